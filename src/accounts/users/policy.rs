//! Who may see what of a user. Every user's public profile (name, role,
//! bio, rating, reviews, portfolio) is visible to anyone; the private
//! fields (email, phone, last name, address, …) only to the user and to
//! admins, and to nobody once the account is deleted.

use crate::accounts::users::model::UserRow;
use crate::auth::Viewer;

/// May `viewer` read `user`'s private fields?
pub fn may_see_private(viewer: Option<Viewer>, user: &UserRow) -> bool {
    user.deleted_at.is_none() && viewer.is_some_and(|v| v.user_id == user.id || v.role.is_admin())
}
