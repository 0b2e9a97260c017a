//! Proposals: a freelancer's bid on a project, and the pure rules of its status.

use diesel::prelude::*;

use crate::db::schema::proposals;
use crate::db::types::Timestamp;
use crate::db::{ProjectId, ProposalId, UserId};
use crate::error::{AppError, AppResult};
use crate::money::Money;

crate::text_enum! {
    /// When the freelancer can start.
    pub enum Availability {
        /// Right away.
        Immediate = "IMMEDIATE",
        /// Within two weeks.
        Within2Weeks = "WITHIN_2_WEEKS",
        /// Within a month.
        WithinMonth = "WITHIN_MONTH",
        /// Open to discussion.
        Flexible = "FLEXIBLE",
    }
}

crate::text_enum! {
    /// Where a proposal stands.
    pub enum ProposalStatus {
        /// Waiting for the client.
        Submitted = "SUBMITTED",
        /// The client hired this freelancer; a contract exists.
        Accepted = "ACCEPTED",
        /// The client declined it (or hired someone else).
        Rejected = "REJECTED",
        /// The freelancer took it back.
        Withdrawn = "WITHDRAWN",
    }
}

impl ProposalStatus {
    /// The client hires: `SUBMITTED` → `ACCEPTED`.
    pub fn accept(self) -> AppResult<Self> {
        self.submitted("accept").map(|_| ProposalStatus::Accepted)
    }

    /// The client declines: `SUBMITTED` → `REJECTED`.
    pub fn reject(self) -> AppResult<Self> {
        self.submitted("reject").map(|_| ProposalStatus::Rejected)
    }

    /// The freelancer takes it back: `SUBMITTED` → `WITHDRAWN`.
    pub fn withdraw(self) -> AppResult<Self> {
        self.submitted("withdraw").map(|_| ProposalStatus::Withdrawn)
    }

    /// Only a submitted proposal can be edited.
    pub fn check_editable(self) -> AppResult<()> {
        self.submitted("edit")
    }

    fn submitted(self, action: &str) -> AppResult<()> {
        if self == ProposalStatus::Submitted {
            Ok(())
        } else {
            Err(AppError::InvalidState(format!(
                "cannot {action} a proposal that is {}",
                self.as_str()
            )))
        }
    }
}

/// A `proposals` row.
#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = proposals)]
pub struct ProposalRow {
    /// Id.
    pub id: ProposalId,
    /// The project bid on.
    pub project_id: ProjectId,
    /// The bidder.
    pub freelancer_id: UserId,
    /// The pitch.
    pub cover_letter: String,
    /// The price asked, minor units.
    pub bid_minor: i64,
    /// Its currency (the project's).
    pub currency: String,
    /// Hours the freelancer expects.
    pub estimated_hours: Option<i32>,
    /// Availability.
    pub availability: Availability,
    /// Status.
    pub status: ProposalStatus,
    /// Submitted.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl ProposalRow {
    /// The price asked.
    pub fn bid(&self) -> AppResult<Money> {
        Money::stored(self.bid_minor, &self.currency)
    }
}

/// A new `proposals` row.
#[derive(Insertable)]
#[diesel(table_name = proposals)]
pub struct NewProposal<'a> {
    /// Id.
    pub id: ProposalId,
    /// Project.
    pub project_id: ProjectId,
    /// Bidder.
    pub freelancer_id: UserId,
    /// Pitch.
    pub cover_letter: &'a str,
    /// Price, minor units.
    pub bid_minor: i64,
    /// Currency.
    pub currency: &'a str,
    /// Hours expected.
    pub estimated_hours: Option<i32>,
    /// Availability.
    pub availability: Availability,
    /// Status.
    pub status: ProposalStatus,
    /// Now.
    pub created_at: Timestamp,
    /// Now.
    pub updated_at: Timestamp,
}

/// A change to a submitted proposal (`None`: unchanged).
#[derive(AsChangeset, Default)]
#[diesel(table_name = proposals)]
pub struct ProposalChangeset {
    /// Pitch.
    pub cover_letter: Option<String>,
    /// Price, minor units.
    pub bid_minor: Option<i64>,
    /// Hours expected (`Some(None)` clears).
    pub estimated_hours: Option<Option<i32>>,
    /// Availability text.
    pub availability: Option<Availability>,
    /// Always set: now.
    pub updated_at: Option<Timestamp>,
}

/// Estimated hours: 1 to 10 000.
pub fn parse_hours(hours: i32) -> AppResult<i32> {
    if (1..=10_000).contains(&hours) {
        Ok(hours)
    } else {
        Err(AppError::bad_input(
            "estimatedHours",
            "must be between 1 and 10000",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::ProposalStatus::*;

    #[test]
    fn only_submitted_proposals_move() {
        assert_eq!(Submitted.accept().ok(), Some(Accepted));
        assert_eq!(Submitted.reject().ok(), Some(Rejected));
        assert_eq!(Submitted.withdraw().ok(), Some(Withdrawn));
        assert!(Submitted.check_editable().is_ok());
        for done in [Accepted, Rejected, Withdrawn] {
            assert!(done.accept().is_err() && done.reject().is_err() && done.withdraw().is_err());
            assert!(done.check_editable().is_err());
        }
    }
}
