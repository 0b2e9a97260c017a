//! Who may see a contract, and who may do what with it. Every read of
//! contracts applies [`visible_to!`]; every contract operation (reviews
//! included) asks [`may`].

use super::model::ContractRow;
use crate::auth::Viewer;
use crate::error::{AppError, AppResult};

/// Narrow a boxed `contracts` query to the rows `$viewer` (a `Viewer`) may see: its two parties', every one for admins.
macro_rules! visible_to {
    ($query:expr, $viewer:expr) => {{
        use $crate::db::schema::contracts;
        $crate::unless_admin!($query, $viewer, |v| contracts::client_id
            .eq(v.user_id)
            .or(contracts::freelancer_id.eq(v.user_id)))
    }};
}
pub(crate) use visible_to;

/// [`visible_to!`] for a row already loaded (a nested field): its parties and admins.
pub fn sees(viewer: Viewer, contract: &ContractRow) -> bool {
    viewer.role.is_admin() || contract.is_party(viewer.user_id)
}

/// What may be done to a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractAction {
    /// Sign the work off (the client).
    Complete,
    /// End it early (either party).
    Cancel,
    /// Rate the other party (either party).
    Review,
}

/// May `viewer` take `action` on `contract`? Its parties act on it (the client alone completes it); admins see contracts but do not act.
pub fn may(viewer: Option<Viewer>, action: ContractAction, contract: &ContractRow) -> AppResult<Viewer> {
    let viewer = viewer.ok_or(AppError::Unauthenticated("sign in first"))?;
    if !contract.is_party(viewer.user_id) {
        return Err(AppError::forbidden("only the contract's parties may do this"));
    }
    if action == ContractAction::Complete && contract.client_id != viewer.user_id {
        return Err(AppError::forbidden("only the client completes a contract"));
    }
    Ok(viewer)
}
