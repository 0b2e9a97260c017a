//! Batched loads behind `ServiceRequest.review` and `Review.subject`.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::model::ServiceRequestRow;
use super::queries as requests;
use crate::auth::Viewer;
use crate::db::{Pool, ServiceRequestId};
use crate::error::{AppError, SharedError};
use crate::reviews::ReviewRow;
use crate::reviews::queries;

/// The review of each service request; every key is answered (`None`: no review), so the request's cache remembers requests without one too.
pub struct RequestReviewLoader(pub Pool);

impl Loader<ServiceRequestId> for RequestReviewLoader {
    type Value = Option<ReviewRow>;
    type Error = SharedError;

    async fn load(
        &self,
        keys: &[ServiceRequestId],
    ) -> Result<HashMap<ServiceRequestId, Option<ReviewRow>>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        let mut reviews: HashMap<ServiceRequestId, Option<ReviewRow>> =
            keys.iter().map(|k| (*k, None)).collect();
        for review in queries::of_service_requests(&mut conn, keys).await? {
            if let Some(id) = review.service_request_id {
                reviews.insert(id, Some(review));
            }
        }
        Ok(reviews)
    }
}

/// Service requests by id, as the request's viewer may see them (behind `Review.subject`).
pub struct VisibleRequestLoader {
    /// The pool.
    pub pool: Pool,
    /// Who is asking (nobody sees requests anonymously).
    pub viewer: Option<Viewer>,
}

impl Loader<ServiceRequestId> for VisibleRequestLoader {
    type Value = ServiceRequestRow;
    type Error = SharedError;

    async fn load(
        &self,
        keys: &[ServiceRequestId],
    ) -> Result<HashMap<ServiceRequestId, ServiceRequestRow>, Self::Error> {
        let Some(viewer) = self.viewer else {
            return Ok(HashMap::new());
        };
        let mut conn = self.pool.get().await.map_err(AppError::from)?;
        Ok(requests::find_visible_many(&mut conn, viewer, keys)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect())
    }
}
