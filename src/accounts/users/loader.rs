//! Batched user loads: one `IN` query per request tick, whatever the nesting.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use crate::accounts::users::model::UserRow;
use crate::accounts::users::queries;
use crate::db::Pool;
use crate::db::UserId;
use crate::error::{AppError, SharedError};

/// Loads users by id; created per request so nothing is cached across viewers.
pub struct UserLoader(pub Pool);

impl Loader<UserId> for UserLoader {
    type Value = UserRow;
    type Error = SharedError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, UserRow>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        let rows = queries::find_by_ids(&mut conn, keys).await?;
        Ok(rows.into_iter().map(|u| (u.id, u)).collect())
    }
}
