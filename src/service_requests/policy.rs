//! Who may see a service request and who may do what with it. Its client,
//! its assigned professional and admins see it; verified professionals
//! also see the `REQUESTED` ones they could take, without the street
//! address (`availableServiceRequests`).

use super::model::ServiceRequestRow;
use crate::auth::{Role, Viewer};
use crate::error::{AppError, AppResult};

/// Narrow a boxed `service_requests` query to the rows `$viewer` (a `Viewer`) may see: admins every request, others those they are a party to.
macro_rules! visible_to {
    ($query:expr, $viewer:expr) => {{
        use $crate::db::schema::service_requests;
        $crate::unless_admin!($query, $viewer, |v| service_requests::client_id
            .eq(v.user_id)
            .or(service_requests::professional_id.eq(v.user_id)))
    }};
}
pub(crate) use visible_to;

/// What may be done to a service request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceRequestAction {
    /// Give it to a professional, or take it back (admins).
    Assign,
    /// Take it oneself (verified professionals).
    Claim,
    /// Start the work (the assigned professional).
    Start,
    /// Sign the work off (the client).
    Complete,
    /// Cancel it (the client, or an admin).
    Cancel,
}

fn signed_in(viewer: Option<Viewer>) -> AppResult<Viewer> {
    viewer.ok_or(AppError::Unauthenticated("sign in first"))
}

/// Ask for a service: clients only.
pub fn may_request(viewer: Option<Viewer>) -> AppResult<Viewer> {
    let viewer = signed_in(viewer)?;
    if viewer.role != Role::Client {
        return Err(AppError::forbidden("only clients request services"));
    }
    Ok(viewer)
}

/// May `viewer` take `action` on `request`?
pub fn may(
    viewer: Option<Viewer>,
    action: ServiceRequestAction,
    request: &ServiceRequestRow,
) -> AppResult<Viewer> {
    let viewer = signed_in(viewer)?;
    let (allowed, refusal) = match action {
        ServiceRequestAction::Assign => (viewer.role.is_admin(), "only admins assign service requests"),
        ServiceRequestAction::Claim => (
            viewer.role == Role::Freelancer && request.client_id != viewer.user_id,
            "only professionals claim service requests",
        ),
        ServiceRequestAction::Start => (
            request.professional_id == Some(viewer.user_id),
            "only the assigned professional starts the work",
        ),
        ServiceRequestAction::Complete => (
            request.client_id == viewer.user_id,
            "only the client completes a service request",
        ),
        ServiceRequestAction::Cancel => (
            request.client_id == viewer.user_id || viewer.role.is_admin(),
            "only the client or an admin cancels a service request",
        ),
    };
    if allowed {
        Ok(viewer)
    } else {
        Err(AppError::forbidden(refusal))
    }
}

/// May `viewer` see the street address and contact phone of `request`? Its client and admins always; a professional once it is theirs.
pub fn may_see_address(viewer: Option<Viewer>, request: &ServiceRequestRow) -> bool {
    viewer.is_some_and(|v| v.role.is_admin() || request.is_party(v.user_id))
}
