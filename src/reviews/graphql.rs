//! Reviews and ratings in the schema.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use crate::graphql::loader;
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, Enum, ID, Object, SimpleObject, Union};

use super::{ReviewRow, queries};
use crate::accounts::users::graphql::{User, load_user};
use crate::contracts::graphql::Contract;
use crate::contracts::loader::VisibleContractLoader;
use crate::db::Pool;
use crate::db::UserId;
use crate::db::keyset::PageArgs;
use crate::error::{AppError, SharedError};
use crate::graphql::context::{global, state};
use crate::graphql::pagination::{Page, page, wants_total};
use crate::service_requests::graphql::ServiceRequest;
use crate::service_requests::loader::VisibleRequestLoader;

/// A review: after a completed contract, of one party by the other; after a completed service request, of the professional by the client. Public.
pub struct Review(pub ReviewRow);

/// What a review was for.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewKind {
    /// A completed contract (either party reviews the other).
    Contract,
    /// A completed service request (the client reviews the professional).
    ServiceRequest,
}

/// The contract or service request a review was for.
#[derive(Union)]
pub enum ReviewSubject {
    /// A completed contract.
    Contract(Contract),
    /// A completed service request.
    ServiceRequest(ServiceRequest),
}

/// A review: after a completed contract, of one party by the other; after a completed service request, of the professional by the client. Public.
#[Object]
impl Review {
    /// Stable id.
    pub(crate) async fn id(&self) -> ID {
        global(self.0.id)
    }

    /// What the review was for.
    async fn kind(&self) -> ReviewKind {
        if self.0.service_request_id.is_some() {
            ReviewKind::ServiceRequest
        } else {
            ReviewKind::Contract
        }
    }

    /// The contract or service request reviewed: `null` unless you may see it (its parties and admins).
    async fn subject(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ReviewSubject>> {
        if let Some(id) = self.0.contract_id {
            let row = loader::<VisibleContractLoader>(ctx)?.load_one(id).await?;
            return Ok(row.map(|r| ReviewSubject::Contract(Contract(r))));
        }
        if let Some(id) = self.0.service_request_id {
            let row = loader::<VisibleRequestLoader>(ctx)?.load_one(id).await?;
            return Ok(row.map(|r| ReviewSubject::ServiceRequest(ServiceRequest(r))));
        }
        Ok(None)
    }

    /// 1 to 5 stars.
    async fn rating(&self) -> i32 {
        self.0.rating
    }

    /// What the reviewer said.
    async fn comment(&self) -> &str {
        &self.0.comment
    }

    /// Who wrote it.
    async fn reviewer(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        load_user(ctx, self.0.reviewer_id).await
    }

    /// Who it is about.
    async fn reviewee(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        load_user(ctx, self.0.reviewee_id).await
    }

    /// When it was written.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.0.into()
    }
}

/// A user's standing from the reviews they received.
#[derive(SimpleObject, Clone, Copy, Default)]
pub struct Rating {
    /// Mean of the ratings, 1 to 5; `null` when there are none.
    pub average: Option<f64>,
    /// How many reviews.
    pub count: i64,
}

/// Ratings per user, batched.
pub struct RatingLoader(pub Pool);

impl Loader<UserId> for RatingLoader {
    type Value = Rating;
    type Error = SharedError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, Rating>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        // Every key gets a value (no reviews: the default), so the request's
        // cache also remembers users without reviews.
        let mut ratings: HashMap<UserId, Rating> = keys.iter().map(|k| (*k, Rating::default())).collect();
        for (user, sum, count) in queries::ratings_of(&mut conn, keys).await? {
            let average = sum.filter(|_| count > 0).map(|s| s as f64 / count as f64);
            ratings.insert(user, Rating { average, count });
        }
        Ok(ratings)
    }
}

/// `User.rating`.
pub async fn rating_of(ctx: &Context<'_>, user: UserId) -> async_graphql::Result<Rating> {
    Ok(loader::<RatingLoader>(ctx)?
        .load_one(user)
        .await?
        .unwrap_or_default())
}

/// `User.reviews`: the reviews a user received, newest first.
pub async fn reviews_of(
    ctx: &Context<'_>,
    user: UserId,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Page<Review>> {
    let args = PageArgs::new(first, after, queries::ORDER)?;
    let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
    let (rows, total) = queries::received(&mut conn, user, &args, wants_total(ctx)).await?;
    Ok(page(
        &args,
        queries::ORDER,
        rows,
        |r| (r.created_at.micros(), r.id),
        total,
        Review,
    ))
}
