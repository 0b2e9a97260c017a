//! Per-request batched loads behind `Project` fields: one statement per
//! field per request, whatever the page size.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::model::ProjectRow;
use super::queries;
use crate::db::Pool;
use crate::db::ProjectId;
use crate::error::{AppError, SharedError};

/// Projects by id.
pub struct ProjectLoader(pub Pool);

impl Loader<ProjectId> for ProjectLoader {
    type Value = ProjectRow;
    type Error = SharedError;

    async fn load(&self, keys: &[ProjectId]) -> Result<HashMap<ProjectId, ProjectRow>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        Ok(queries::find_by_ids(&mut conn, keys)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect())
    }
}

/// A project's skills, in order.
pub struct SkillsLoader(pub Pool);

impl Loader<ProjectId> for SkillsLoader {
    type Value = Vec<String>;
    type Error = SharedError;

    async fn load(&self, keys: &[ProjectId]) -> Result<HashMap<ProjectId, Vec<String>>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        let mut skills: HashMap<ProjectId, Vec<String>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for (project, skill) in queries::skills_of(&mut conn, keys).await? {
            skills.entry(project).or_default().push(skill);
        }
        Ok(skills)
    }
}
