//! Contracts: the agreement an accepted proposal creates, and its status rules.

use diesel::prelude::*;

use crate::db::DbId;
use crate::db::schema::contracts;
use crate::db::types::Timestamp;
use crate::error::{AppError, AppResult};
use crate::money::Money;

crate::text_enum! {
    /// Where a contract stands.
    pub enum ContractStatus {
        /// Work is under way.
        Active = "ACTIVE",
        /// The client marked the work done.
        Completed = "COMPLETED",
        /// A party ended it early.
        Cancelled = "CANCELLED",
    }
}

impl ContractStatus {
    /// The client signs off: `ACTIVE` → `COMPLETED`.
    pub fn complete(self) -> AppResult<Self> {
        self.active("complete").map(|_| ContractStatus::Completed)
    }

    /// A party ends it: `ACTIVE` → `CANCELLED`.
    pub fn cancel(self) -> AppResult<Self> {
        self.active("cancel").map(|_| ContractStatus::Cancelled)
    }

    fn active(self, action: &str) -> AppResult<()> {
        if self == ContractStatus::Active {
            Ok(())
        } else {
            Err(AppError::InvalidState(format!(
                "cannot {action} a contract that is {}",
                self.as_str()
            )))
        }
    }
}

/// A `contracts` row.
#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = contracts)]
pub struct ContractRow {
    /// Id.
    pub id: DbId,
    /// The project.
    pub project_id: DbId,
    /// The accepted proposal.
    pub proposal_id: DbId,
    /// The hiring client.
    pub client_id: DbId,
    /// The hired freelancer.
    pub freelancer_id: DbId,
    /// The agreed amount (the bid), minor units.
    pub amount_minor: i64,
    /// Its currency.
    pub currency: String,
    /// `FIXED` or `HOURLY` (the project's budget type).
    pub contract_type: String,
    /// Status text.
    pub status: String,
    /// The terms agreed.
    pub terms: String,
    /// Created (the proposal was accepted).
    pub started_at: Timestamp,
    /// Completed.
    pub completed_at: Option<Timestamp>,
    /// Cancelled.
    pub cancelled_at: Option<Timestamp>,
    /// Why it was cancelled.
    pub cancellation_reason: Option<String>,
}

impl ContractRow {
    /// The status, parsed.
    pub fn status(&self) -> AppResult<ContractStatus> {
        ContractStatus::from_db(&self.status)
    }

    /// Is `user` one of the two parties?
    pub fn is_party(&self, user: DbId) -> bool {
        self.client_id == user || self.freelancer_id == user
    }

    /// The agreed amount.
    pub fn amount(&self) -> AppResult<Money> {
        Money::stored(self.amount_minor, &self.currency)
    }
}

/// A new `contracts` row.
#[derive(Insertable)]
#[diesel(table_name = contracts)]
pub struct NewContract<'a> {
    /// Id.
    pub id: DbId,
    /// Project.
    pub project_id: DbId,
    /// Accepted proposal.
    pub proposal_id: DbId,
    /// Client.
    pub client_id: DbId,
    /// Freelancer.
    pub freelancer_id: DbId,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// Currency.
    pub currency: &'a str,
    /// Type text.
    pub contract_type: &'a str,
    /// Status text.
    pub status: &'a str,
    /// Terms.
    pub terms: &'a str,
    /// Now.
    pub started_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::ContractStatus::*;

    #[test]
    fn only_active_contracts_end() {
        assert_eq!(Active.complete().ok(), Some(Completed));
        assert_eq!(Active.cancel().ok(), Some(Cancelled));
        for done in [Completed, Cancelled] {
            assert!(done.complete().is_err() && done.cancel().is_err());
        }
    }
}
