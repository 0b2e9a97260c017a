//! Who may see a proposal, and who may do what with it. Every read of
//! proposals applies [`visible_to!`]; every proposal operation asks [`may`].

use super::model::ProposalRow;
use crate::auth::Viewer;
use crate::db::UserId;
use crate::error::{AppError, AppResult};

/// Narrow a boxed `proposals` query to the rows `$viewer` (a `Viewer`) may see: its freelancer's, those on the viewer's projects, every one for admins.
macro_rules! visible_to {
    ($query:expr, $viewer:expr) => {{
        use $crate::db::schema::{projects, proposals};
        $crate::unless_admin!($query, $viewer, |v| proposals::freelancer_id.eq(v.user_id).or(
            proposals::project_id.eq_any(
                projects::table
                    .filter(projects::client_id.eq(v.user_id))
                    .select(projects::id),
            )
        ))
    }};
}
pub(crate) use visible_to;

/// Does `viewer` see every proposal on a project of `project_client` (its client and admins), rather than only their own ([`visible_to!`] for the proposals of one project)?
pub fn sees_all_on_project(viewer: Viewer, project_client: UserId) -> bool {
    viewer.role.is_admin() || viewer.user_id == project_client
}

/// What may be done to a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalAction {
    /// Change it (its freelancer).
    Edit,
    /// Take it back (its freelancer).
    Withdraw,
    /// Hire on it (the project's client).
    Accept,
    /// Decline it (the project's client).
    Reject,
}

/// May `viewer` take `action` on `proposal`, a bid on a project of `project_client`? The freelancer edits and withdraws; the project's client accepts and rejects; admins see proposals but do not act.
pub fn may(
    viewer: Option<Viewer>,
    action: ProposalAction,
    proposal: &ProposalRow,
    project_client: UserId,
) -> AppResult<Viewer> {
    let viewer = viewer.ok_or(AppError::Unauthenticated("sign in first"))?;
    match action {
        ProposalAction::Edit | ProposalAction::Withdraw if proposal.freelancer_id != viewer.user_id => {
            Err(AppError::forbidden("only the proposal's freelancer may do this"))
        }
        ProposalAction::Accept | ProposalAction::Reject if project_client != viewer.user_id => {
            Err(AppError::forbidden("only the project's client may do this"))
        }
        _ => Ok(viewer),
    }
}
