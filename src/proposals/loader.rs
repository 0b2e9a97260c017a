//! Per-request batched loads of proposals behind `Project` fields
//! (`proposalCount`, `proposals`): one statement per field per request,
//! whatever the page size.

use std::collections::{HashMap, HashSet};

use async_graphql::dataloader::Loader;

use super::model::ProposalRow;
use super::queries as proposals;
use crate::db::Pool;
use crate::db::{ProjectId, UserId};
use crate::error::{AppError, SharedError};

/// How many proposals a project received.
pub struct ProposalCountLoader(pub Pool);

impl Loader<ProjectId> for ProposalCountLoader {
    type Value = i64;
    type Error = SharedError;

    async fn load(&self, keys: &[ProjectId]) -> Result<HashMap<ProjectId, i64>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        let mut counts: HashMap<ProjectId, i64> = keys.iter().map(|k| (*k, 0)).collect();
        counts.extend(proposals::count_by_project(&mut conn, keys).await?);
        Ok(counts)
    }
}

/// Which proposals of a project to load for `Project.proposals`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProposalsOf {
    /// The project.
    pub project_id: ProjectId,
    /// Rows to fetch (page size plus one).
    pub fetch: i64,
    /// All of them (the viewer owns the project or is an admin), or only the viewer's own.
    pub all: bool,
}

/// The newest proposals of each project the viewer may see.
pub struct ProjectProposalsLoader {
    /// Connections.
    pub pool: Pool,
    /// The signed-in user, whose own proposals show on others' projects.
    pub viewer: Option<UserId>,
}

impl Loader<ProposalsOf> for ProjectProposalsLoader {
    type Value = Vec<ProposalRow>;
    type Error = SharedError;

    async fn load(
        &self,
        keys: &[ProposalsOf],
    ) -> Result<HashMap<ProposalsOf, Vec<ProposalRow>>, Self::Error> {
        let mut conn = self.pool.get().await.map_err(AppError::from)?;
        let mut rows: Vec<ProposalRow> = Vec::new();
        let mut sizes: Vec<i64> = keys.iter().filter(|k| k.all).map(|k| k.fetch).collect();
        sizes.sort_unstable();
        sizes.dedup();
        for fetch in sizes {
            let ids: Vec<ProjectId> = keys
                .iter()
                .filter(|k| k.all && k.fetch == fetch)
                .map(|k| k.project_id)
                .collect();
            rows.extend(proposals::newest_of_projects(&mut conn, &ids, fetch).await?);
        }
        let others: Vec<ProjectId> = keys.iter().filter(|k| !k.all).map(|k| k.project_id).collect();
        if let (Some(viewer), false) = (self.viewer, others.is_empty()) {
            rows.extend(proposals::own_on_projects(&mut conn, viewer, &others).await?);
        }
        let mut by_key: HashMap<ProposalsOf, Vec<ProposalRow>> = HashMap::new();
        for key in keys {
            let mut seen = HashSet::new();
            let mine: Vec<ProposalRow> = rows
                .iter()
                .filter(|r| {
                    r.project_id == key.project_id && (key.all || Some(r.freelancer_id) == self.viewer)
                })
                .filter(|r| seen.insert(r.id))
                .take(usize::try_from(key.fetch).unwrap_or(0))
                .cloned()
                .collect();
            by_key.insert(*key, mine);
        }
        Ok(by_key)
    }
}
