//! Reviews: after a completed contract, each party rates the other once;
//! after a completed service request, the client rates the professional
//! (written by `service_requests::ops::complete`).

pub mod graphql;
pub mod queries;

use diesel::prelude::*;

use crate::contracts::model::ContractStatus;
use crate::contracts::ops as contracts;
use crate::contracts::policy::ContractAction;
use crate::db::now;
use crate::db::schema::reviews;
use crate::db::types::Timestamp;
use crate::db::{ContractId, ReviewId, ServiceRequestId, UserId};
use crate::error::{AppError, AppResult};
use crate::tx::Tx;

/// A `reviews` row.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = reviews)]
pub struct ReviewRow {
    /// Id.
    pub id: ReviewId,
    /// The completed contract reviewed (or none: a service request).
    pub contract_id: Option<ContractId>,
    /// Who wrote it.
    pub reviewer_id: UserId,
    /// Who it is about.
    pub reviewee_id: UserId,
    /// 1 to 5 stars.
    pub rating: i32,
    /// What the reviewer says.
    pub comment: String,
    /// Written.
    pub created_at: Timestamp,
    /// The completed service request reviewed (or none: a contract).
    pub service_request_id: Option<ServiceRequestId>,
}

/// Check a review's rating (1 to 5) and comment (trimmed, at most 2000 characters, may be empty).
pub fn parse_review(rating: i32, comment: &str) -> AppResult<(i32, String)> {
    if !(1..=5).contains(&rating) {
        return Err(AppError::bad_input("rating", "must be between 1 and 5"));
    }
    let comment = comment.trim();
    if comment.chars().count() > 2000 {
        return Err(AppError::bad_input("comment", "must be at most 2000 characters"));
    }
    Ok((rating, comment.to_owned()))
}

/// Rate the other party of a completed contract, once.
pub async fn review(
    tx: &mut Tx<'_>,
    contract_id: ContractId,
    rating: i32,
    comment: &str,
) -> AppResult<ReviewRow> {
    let (rating, comment) = parse_review(rating, comment)?;
    let contract = contracts::acting_on(tx, contract_id, ContractAction::Review).await?;
    let viewer = tx.viewer()?;
    if contract.status != ContractStatus::Completed {
        return Err(AppError::InvalidState(
            "only a COMPLETED contract can be reviewed".into(),
        ));
    }
    let reviewee_id = if contract.client_id == viewer.user_id {
        contract.freelancer_id
    } else {
        contract.client_id
    };
    let row = ReviewRow {
        id: ReviewId::new(),
        contract_id: Some(contract_id),
        service_request_id: None,
        reviewer_id: viewer.user_id,
        reviewee_id,
        rating,
        comment,
        created_at: now(),
    };
    queries::insert(tx, &row).await
}
