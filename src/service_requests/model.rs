//! Service requests: rows, and the pure rules of their status.

use diesel::prelude::*;

use crate::db::schema::service_requests;
use crate::db::types::Timestamp;
use crate::db::{ServiceId, ServiceRequestId, UserId};
use crate::error::{AppError, AppResult};
use crate::text::bounded;

crate::text_enum! {
    /// Where a service request stands.
    pub enum ServiceRequestStatus {
        /// Waiting for a professional.
        Requested = "REQUESTED",
        /// A professional will do it.
        Assigned = "ASSIGNED",
        /// The professional started the work.
        InProgress = "IN_PROGRESS",
        /// The client marked it done.
        Completed = "COMPLETED",
        /// The client or an admin cancelled it.
        Cancelled = "CANCELLED",
    }
}

use ServiceRequestStatus::*;

impl ServiceRequestStatus {
    /// A professional takes it (assigned or claimed): `REQUESTED` → `ASSIGNED`.
    pub fn assign(self) -> AppResult<Self> {
        self.require(&[Requested], "assign").map(|_| Assigned)
    }

    /// An admin takes it back: `ASSIGNED` → `REQUESTED`.
    pub fn unassign(self) -> AppResult<Self> {
        self.require(&[Assigned], "unassign").map(|_| Requested)
    }

    /// The professional starts: `ASSIGNED` → `IN_PROGRESS`.
    pub fn start(self) -> AppResult<Self> {
        self.require(&[Assigned], "start").map(|_| InProgress)
    }

    /// The client signs it off: `IN_PROGRESS` → `COMPLETED`.
    pub fn complete(self) -> AppResult<Self> {
        self.require(&[InProgress], "complete").map(|_| Completed)
    }

    /// The client cancels: from `REQUESTED` or `ASSIGNED`.
    pub fn cancel_by_client(self) -> AppResult<Self> {
        self.require(&[Requested, Assigned], "cancel").map(|_| Cancelled)
    }

    /// An admin cancels: from any status but `COMPLETED` and `CANCELLED`.
    pub fn cancel_by_admin(self) -> AppResult<Self> {
        self.require(&[Requested, Assigned, InProgress], "cancel")
            .map(|_| Cancelled)
    }

    fn require(self, from: &[Self], action: &str) -> AppResult<()> {
        if from.contains(&self) {
            Ok(())
        } else {
            Err(AppError::InvalidState(format!(
                "cannot {action} a service request that is {}",
                self.as_str()
            )))
        }
    }
}

/// A `service_requests` row.
#[derive(Queryable, Selectable, Identifiable, Insertable, Debug, Clone)]
#[diesel(table_name = service_requests)]
pub struct ServiceRequestRow {
    /// Id.
    pub id: ServiceRequestId,
    /// The catalogue service asked for.
    pub service_id: ServiceId,
    /// The client asking.
    pub client_id: UserId,
    /// The professional doing it, once assigned.
    pub professional_id: Option<UserId>,
    /// Status.
    pub status: ServiceRequestStatus,
    /// What the client needs.
    pub description: String,
    /// Postal code of the address (cleaned: what professionals match on).
    pub postal_code: String,
    /// City of the address.
    pub city: String,
    /// Country of the address.
    pub country: String,
    /// The whole address (JSON, `accounts::profile::Address`); erased with the client's account.
    pub address: Option<String>,
    /// Phone to reach the client on site (E.164).
    pub contact_phone: Option<String>,
    /// Earliest time that suits the client.
    pub preferred_start: Option<Timestamp>,
    /// Latest time that suits the client.
    pub preferred_end: Option<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// Assigned or claimed.
    pub assigned_at: Option<Timestamp>,
    /// Started.
    pub started_at: Option<Timestamp>,
    /// Completed.
    pub completed_at: Option<Timestamp>,
    /// Cancelled.
    pub cancelled_at: Option<Timestamp>,
    /// Why it was cancelled.
    pub cancellation_reason: Option<String>,
}

impl ServiceRequestRow {
    /// Is `user` its client or its assigned professional?
    pub fn is_party(&self, user: UserId) -> bool {
        self.client_id == user || self.professional_id == Some(user)
    }
}

/// A status change, written with a condition on the old status (`None` leaves a column as it is).
#[derive(AsChangeset, Default, Debug)]
#[diesel(table_name = service_requests)]
pub struct Transition {
    /// The new status.
    pub status: Option<ServiceRequestStatus>,
    /// Set (assign, claim) or cleared (unassign).
    pub professional_id: Option<Option<UserId>>,
    /// Set (assign, claim) or cleared (unassign).
    pub assigned_at: Option<Option<Timestamp>>,
    /// Started.
    pub started_at: Option<Timestamp>,
    /// Completed.
    pub completed_at: Option<Timestamp>,
    /// Cancelled.
    pub cancelled_at: Option<Timestamp>,
    /// Why.
    pub cancellation_reason: Option<String>,
    /// Always set: now.
    pub updated_at: Option<Timestamp>,
}

/// A description: trimmed, 1 to 5000 characters.
pub fn parse_description(raw: &str) -> AppResult<String> {
    bounded(raw, "description", 5000, false)
}

/// A cancellation or unassignment reason: trimmed, 1 to 1000 characters.
pub fn parse_reason(raw: &str) -> AppResult<String> {
    bounded(raw, "reason", 1000, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_rules() {
        assert_eq!(Requested.assign().ok(), Some(Assigned));
        assert_eq!(Assigned.unassign().ok(), Some(Requested));
        assert_eq!(Assigned.start().ok(), Some(InProgress));
        assert_eq!(InProgress.complete().ok(), Some(Completed));
        for s in [Assigned, InProgress, Completed, Cancelled] {
            assert!(s.assign().is_err(), "{s:?}");
        }
        for s in [Requested, InProgress, Completed, Cancelled] {
            assert!(s.start().is_err() && s.unassign().is_err(), "{s:?}");
        }
        assert_eq!(Requested.cancel_by_client().ok(), Some(Cancelled));
        assert_eq!(Assigned.cancel_by_client().ok(), Some(Cancelled));
        assert!(InProgress.cancel_by_client().is_err());
        assert_eq!(InProgress.cancel_by_admin().ok(), Some(Cancelled));
        for done in [Completed, Cancelled] {
            assert!(done.cancel_by_admin().is_err() && done.complete().is_err());
        }
        assert!(matches!(Completed.start(), Err(AppError::InvalidState(m)) if m.contains("COMPLETED")));
    }
}
