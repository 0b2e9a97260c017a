//! Batched loads of catalogue services, active or not (behind a request or
//! a profile that names them).

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::model::ServiceRow;
use super::queries;
use crate::db::{Pool, ServiceId};
use crate::error::{AppError, SharedError};

/// Services by id.
pub struct ServiceLoader(pub Pool);

impl Loader<ServiceId> for ServiceLoader {
    type Value = ServiceRow;
    type Error = SharedError;

    async fn load(&self, keys: &[ServiceId]) -> Result<HashMap<ServiceId, ServiceRow>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        Ok(queries::find_by_ids(&mut conn, keys)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect())
    }
}
