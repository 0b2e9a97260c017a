//! Users: rows, roles and the validated values an account is made of.

use diesel::prelude::*;

use crate::auth::Role;
use crate::db::UserId;
use crate::db::schema::users;
use crate::db::types::Timestamp;
use crate::error::AppResult;

/// A `users` row.
#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = users)]
pub struct UserRow {
    /// Id.
    pub id: UserId,
    /// Login email, in canonical form (`accounts::email`).
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// When the email was verified.
    pub email_verified_at: Option<Timestamp>,
    /// When the account was blocked by an admin.
    pub blocked_at: Option<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// Given name (profile).
    pub first_name: Option<String>,
    /// Family name (profile).
    pub last_name: Option<String>,
    /// Phone number in E.164 (profile).
    pub phone: Option<String>,
    /// Free text about the user (profile).
    pub bio: Option<String>,
    /// Postal address, a JSON object (see `accounts::profile::Address`).
    pub address: Option<String>,
    /// When the user deactivated the account (signing in again clears it).
    pub deactivated_at: Option<Timestamp>,
    /// When the user deleted the account; its personal data is erased.
    pub deleted_at: Option<Timestamp>,
}

/// A new `users` row.
#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    /// Id.
    pub id: UserId,
    /// Login email, in canonical form (`accounts::email`).
    pub email: &'a str,
    /// argon2id PHC string.
    pub password_hash: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Role.
    pub role: Role,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A display name: trimmed, 1 to 100 characters.
pub fn parse_name(raw: &str) -> AppResult<String> {
    crate::text::line(raw, "name", 100, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Ann  ").ok().as_deref(), Some("Ann"));
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(101)).is_err());
    }
}
