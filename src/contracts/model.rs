//! Contracts: the agreement an accepted proposal creates, and its status rules.

use diesel::prelude::*;

use crate::db::schema::contracts;
use crate::db::types::Timestamp;
use crate::db::{ContractId, ProjectId, ProposalId, UserId};
use crate::error::{AppError, AppResult};
use crate::money::Money;
use crate::projects::model::BudgetType;

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
    pub id: ContractId,
    /// The project.
    pub project_id: ProjectId,
    /// The accepted proposal.
    pub proposal_id: ProposalId,
    /// The hiring client.
    pub client_id: UserId,
    /// The hired freelancer.
    pub freelancer_id: UserId,
    /// The agreed amount (the bid), minor units.
    pub amount_minor: i64,
    /// Its currency.
    pub currency: String,
    /// `FIXED` or `HOURLY` (the project's budget type).
    pub contract_type: BudgetType,
    /// Status.
    pub status: ContractStatus,
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
    /// Is `user` one of the two parties?
    pub fn is_party(&self, user: UserId) -> bool {
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
    pub id: ContractId,
    /// Project.
    pub project_id: ProjectId,
    /// Accepted proposal.
    pub proposal_id: ProposalId,
    /// Client.
    pub client_id: UserId,
    /// Freelancer.
    pub freelancer_id: UserId,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// Currency.
    pub currency: &'a str,
    /// Type.
    pub contract_type: BudgetType,
    /// Status.
    pub status: ContractStatus,
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
