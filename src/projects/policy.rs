//! Who may see a project, and who may do what with it. Every read of
//! projects applies [`visible_to!`]; every project operation asks [`may`]
//! (or [`may_post`]) before it writes.

use super::model::ProjectRow;
use crate::auth::{Role, Viewer};
use crate::error::{AppError, AppResult};

/// Narrow a boxed `projects` query to the rows `$viewer` (an `Option<Viewer>`) may see: admins see every project; others see open ones, their own, and those they bid on.
macro_rules! visible_to {
    ($query:expr, $viewer:expr) => {{
        use $crate::db::schema::{projects, proposals};
        use $crate::projects::model::ProjectStatus;
        let query = $query;
        match $viewer {
            Some(v) if v.role.is_admin() => query,
            Some(v) => query.filter(
                projects::status
                    .eq(ProjectStatus::Open)
                    .or(projects::client_id.eq(v.user_id))
                    .or(diesel::dsl::exists(
                        proposals::table
                            .filter(proposals::project_id.eq(projects::id))
                            .filter(proposals::freelancer_id.eq(v.user_id)),
                    )),
            ),
            None => query.filter(projects::status.eq(ProjectStatus::Open)),
        }
    }};
}
pub(crate) use visible_to;

/// What may be done to a posted project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectAction {
    /// Change its fields.
    Edit,
    /// Cancel it (and its active contract).
    Cancel,
    /// Delete it.
    Delete,
    /// Submit a proposal on it.
    Bid,
}

fn signed_in(viewer: Option<Viewer>) -> AppResult<Viewer> {
    viewer.ok_or(AppError::Unauthenticated("sign in first"))
}

/// Post a project: clients only.
pub fn may_post(viewer: Option<Viewer>) -> AppResult<Viewer> {
    let viewer = signed_in(viewer)?;
    if viewer.role != Role::Client {
        return Err(AppError::forbidden("only clients post projects"));
    }
    Ok(viewer)
}

/// May `viewer` take `action` on `project` (one they may see)? Its client runs it; freelancers bid on others' projects; admins see projects but do not act on them.
pub fn may(viewer: Option<Viewer>, action: ProjectAction, project: &ProjectRow) -> AppResult<Viewer> {
    let viewer = signed_in(viewer)?;
    let allowed = match action {
        ProjectAction::Edit | ProjectAction::Cancel | ProjectAction::Delete => {
            project.client_id == viewer.user_id
        }
        ProjectAction::Bid => viewer.role == Role::Freelancer && project.client_id != viewer.user_id,
    };
    if allowed {
        Ok(viewer)
    } else if action == ProjectAction::Bid {
        Err(AppError::forbidden(
            "only freelancers bid, and not on their own projects",
        ))
    } else {
        Err(AppError::forbidden("only the project's client may do this"))
    }
}
