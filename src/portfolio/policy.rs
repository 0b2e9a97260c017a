//! Who may do what with portfolio items. Every item is public; only its
//! freelancer changes it, and to anyone else another's item answers
//! `NOT_FOUND`, as if absent (the API has said so from the start).

use super::model::PortfolioItemRow;
use crate::auth::{Role, Viewer};
use crate::error::{AppError, AppResult};

/// What may be done to a portfolio item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortfolioAction {
    /// Change it.
    Edit,
    /// Delete it.
    Delete,
}

/// Add an item: freelancers only.
pub fn may_add(viewer: Option<Viewer>) -> AppResult<Viewer> {
    let viewer = viewer.ok_or(AppError::Unauthenticated("sign in first"))?;
    if viewer.role != Role::Freelancer {
        return Err(AppError::forbidden("only freelancers keep a portfolio"));
    }
    Ok(viewer)
}

/// May `viewer` take `action` on `item`? Its freelancer only; for anyone else the item is `NOT_FOUND`.
pub fn may(viewer: Option<Viewer>, _action: PortfolioAction, item: &PortfolioItemRow) -> AppResult<Viewer> {
    let viewer = viewer.ok_or(AppError::Unauthenticated("sign in first"))?;
    if item.freelancer_id != viewer.user_id {
        return Err(AppError::NotFound("portfolio item"));
    }
    Ok(viewer)
}
