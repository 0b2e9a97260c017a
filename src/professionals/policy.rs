//! Who may do what with professional profiles. Profiles are public (the
//! public parts: headline, bio, services, area, rate, status, rating);
//! documents and a rejection's reason only to the professional and admins.
//! FREELANCER accounts keep a profile; admins decide verifications.

use crate::auth::{Role, Viewer};
use crate::db::UserId;
use crate::error::{AppError, AppResult};

fn signed_in(viewer: Option<Viewer>) -> AppResult<Viewer> {
    viewer.ok_or(AppError::Unauthenticated("sign in first"))
}

/// Edit one's professional profile, send documents, submit: freelancers only.
pub fn may_keep_profile(viewer: Option<Viewer>) -> AppResult<Viewer> {
    let viewer = signed_in(viewer)?;
    if viewer.role != Role::Freelancer {
        return Err(AppError::forbidden(
            "only freelancer accounts have a professional profile",
        ));
    }
    Ok(viewer)
}

/// Verify, reject, reset, and browse the verification queue: admins only.
pub fn may_decide(viewer: Option<Viewer>) -> AppResult<Viewer> {
    let viewer = signed_in(viewer)?;
    if !viewer.role.is_admin() {
        return Err(AppError::forbidden("only admins decide verifications"));
    }
    Ok(viewer)
}

/// May `viewer` see the private parts (documents, rejection reason) of `professional`'s profile?
pub fn may_see_private(viewer: Option<Viewer>, professional: UserId) -> bool {
    viewer.is_some_and(|v| v.user_id == professional || v.role.is_admin())
}
