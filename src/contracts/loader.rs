//! Batched loads behind `Contract` and `Project.contract`.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::model::ContractRow;
use super::queries;
use crate::auth::Viewer;
use crate::db::Pool;
use crate::db::{ContractId, ProjectId, ProposalId};
use crate::error::{AppError, SharedError};
use crate::proposals::model::ProposalRow;
use crate::proposals::queries as proposals;

/// Every contract of a project, newest first.
pub struct ProjectContractsLoader(pub Pool);

impl Loader<ProjectId> for ProjectContractsLoader {
    type Value = Vec<ContractRow>;
    type Error = SharedError;

    async fn load(&self, keys: &[ProjectId]) -> Result<HashMap<ProjectId, Vec<ContractRow>>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        let mut by_project: HashMap<ProjectId, Vec<ContractRow>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for contract in queries::of_projects(&mut conn, keys).await? {
            by_project.entry(contract.project_id).or_default().push(contract);
        }
        Ok(by_project)
    }
}

/// Proposals by id (behind a contract the viewer may see).
pub struct ProposalLoader(pub Pool);

impl Loader<ProposalId> for ProposalLoader {
    type Value = ProposalRow;
    type Error = SharedError;

    async fn load(&self, keys: &[ProposalId]) -> Result<HashMap<ProposalId, ProposalRow>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        Ok(proposals::find_by_ids(&mut conn, keys)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect())
    }
}

/// Contracts by id, as the request's viewer may see them (behind `Review.subject`).
pub struct VisibleContractLoader {
    /// The pool.
    pub pool: Pool,
    /// Who is asking (nobody sees contracts anonymously).
    pub viewer: Option<Viewer>,
}

impl Loader<ContractId> for VisibleContractLoader {
    type Value = ContractRow;
    type Error = SharedError;

    async fn load(&self, keys: &[ContractId]) -> Result<HashMap<ContractId, ContractRow>, Self::Error> {
        let Some(viewer) = self.viewer else {
            return Ok(HashMap::new());
        };
        let mut conn = self.pool.get().await.map_err(AppError::from)?;
        Ok(queries::find_visible_many(&mut conn, viewer, keys)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect())
    }
}
