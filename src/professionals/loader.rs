//! Batched loads behind `User.professionalProfile` and the profile's lists.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::documents;
use super::model::{DocumentRow, ProfileRow};
use super::queries;
use crate::db::{Pool, ServiceId, UserId};
use crate::error::{AppError, SharedError};

/// Professional profiles by user; every key is answered (`None`: no profile), so the request's cache remembers users without one too.
pub struct ProfileLoader(pub Pool);

impl Loader<UserId> for ProfileLoader {
    type Value = Option<ProfileRow>;
    type Error = SharedError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, Option<ProfileRow>>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        let mut profiles: HashMap<UserId, Option<ProfileRow>> = keys.iter().map(|k| (*k, None)).collect();
        for profile in queries::find_many(&mut conn, keys).await? {
            profiles.insert(profile.user_id, Some(profile));
        }
        Ok(profiles)
    }
}

/// Group `(user, value)` pairs by user; every key gets a list.
fn grouped<V>(keys: &[UserId], pairs: impl IntoIterator<Item = (UserId, V)>) -> HashMap<UserId, Vec<V>> {
    let mut by_user: HashMap<UserId, Vec<V>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for (user, value) in pairs {
        by_user.entry(user).or_default().push(value);
    }
    by_user
}

/// The services each professional offers.
pub struct OfferedServicesLoader(pub Pool);

impl Loader<UserId> for OfferedServicesLoader {
    type Value = Vec<ServiceId>;
    type Error = SharedError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, Vec<ServiceId>>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        Ok(grouped(keys, queries::services_of(&mut conn, keys).await?))
    }
}

/// The postal codes each professional covers.
pub struct ServiceAreaLoader(pub Pool);

impl Loader<UserId> for ServiceAreaLoader {
    type Value = Vec<String>;
    type Error = SharedError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, Vec<String>>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        Ok(grouped(keys, queries::areas_of(&mut conn, keys).await?))
    }
}

/// The verification documents of each professional (asked for by the professional or an admin only).
pub struct DocumentsLoader(pub Pool);

impl Loader<UserId> for DocumentsLoader {
    type Value = Vec<DocumentRow>;
    type Error = SharedError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, Vec<DocumentRow>>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        let rows = documents::of_users(&mut conn, keys).await?;
        Ok(grouped(keys, rows.into_iter().map(|d| (d.user_id, d))))
    }
}
