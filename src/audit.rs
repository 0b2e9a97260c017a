//! The audit log: security-relevant account events (sign-up, sign-in and its
//! failures, logout, password and email changes, deactivation, deletion), each
//! with the user, the client's address and user agent, and the time. Rows are
//! only ever inserted; admins read them (a later issue).
//!
//! Record an event with the connection that makes the change, inside its
//! transaction, so the row commits or rolls back with the change:
//!
//! ```ignore
//! conn.write_tx(async |conn| {
//!     queries::set_password_hash(conn, user.id, &hash).await?;
//!     audit::record(conn, AuditKind::PasswordChanged, user.id, client).await
//! })
//! .await?;
//! ```
//!
//! A failed sign-in changes nothing, so its row is written on its own and
//! stays although the sign-in fails. The email it tried is kept only as a
//! SHA-256 digest ([`email_digest`]): an admin can check whether a given
//! address was tried, but the table lists no addresses of people without an
//! account.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::auth::ClientInfo;
use crate::auth::tokens::digest_token;
use crate::db::schema::audit_events;
use crate::db::types::Timestamp;
use crate::db::{AuditEventId, UserId};
use crate::db::{Conn, now};
use crate::email::Email;
use crate::error::AppResult;
use crate::with_conn;

crate::text_enum! {
    /// What happened to an account.
    pub enum AuditKind {
        /// An account was created (and signed in).
        SignedUp = "SIGNED_UP",
        /// A sign-in succeeded.
        LoginSucceeded = "LOGIN_SUCCEEDED",
        /// A sign-in failed; `detail` says why ([`LoginFailure`]).
        LoginFailed = "LOGIN_FAILED",
        /// A user signed out (`detail`: `THIS_SESSION` or `ALL_SESSIONS`).
        LoggedOut = "LOGGED_OUT",
        /// A signed-in user changed their password.
        PasswordChanged = "PASSWORD_CHANGED",
        /// A password was reset (forgotten-password flow).
        PasswordReset = "PASSWORD_RESET",
        /// A user changed their login email.
        EmailChanged = "EMAIL_CHANGED",
        /// A user deactivated their account.
        AccountDeactivated = "ACCOUNT_DEACTIVATED",
        /// A deactivated account was reactivated (by signing in).
        AccountReactivated = "ACCOUNT_REACTIVATED",
        /// A user deleted their account.
        AccountDeleted = "ACCOUNT_DELETED",
        /// An admin verified a professional (`detail`: `admin=<id>`).
        ProfessionalVerified = "PROFESSIONAL_VERIFIED",
        /// An admin rejected a professional (`detail`: `admin=<id>`).
        ProfessionalRejected = "PROFESSIONAL_REJECTED",
        /// An admin sent a professional back to UNSUBMITTED (`detail`: `admin=<id>`).
        ProfessionalVerificationReset = "PROFESSIONAL_VERIFICATION_RESET",
    }
}

/// Why a sign-in failed: the `detail` of a `LOGIN_FAILED` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFailure {
    /// Unknown email or wrong password (`user_id` tells them apart).
    WrongCredentials,
    /// The account is blocked.
    Blocked,
    /// A signed-in user confirmed an action (password or email change, deactivation, deletion) with a wrong password. Counted by the sign-in throttle like a failed sign-in.
    WrongConfirmation,
    /// Refused by throttling before the password was checked; recorded once per counter and window, not for every refused attempt.
    RateLimited,
}

impl LoginFailure {
    /// The stored `detail`.
    pub fn as_str(self) -> &'static str {
        match self {
            LoginFailure::WrongCredentials => "WRONG_CREDENTIALS",
            LoginFailure::Blocked => "BLOCKED",
            LoginFailure::WrongConfirmation => "WRONG_CONFIRMATION",
            LoginFailure::RateLimited => "RATE_LIMITED",
        }
    }
}

/// A new `audit_events` row.
#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct NewAuditEvent<'a> {
    id: AuditEventId,
    kind: AuditKind,
    user_id: Option<UserId>,
    email_digest: Option<&'a str>,
    ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    detail: Option<&'a str>,
    created_at: Timestamp,
}

/// The digest an email is kept as: SHA-256 (hex) of its canonical form ([`Email::parse`], as sign-up and sign-in take it), so every way of writing one address counts against one throttle key; a string that is not an address is digested trimmed and lower-cased.
pub fn email_digest(email: &str) -> String {
    match Email::parse(email, "email") {
        Ok(email) => digest_token(email.as_str()),
        Err(_) => digest_token(&email.trim().to_lowercase()),
    }
}

/// Record `kind` for `user` (a `UserId`, or `None` when nobody is known) from `client`, now. Call it inside the transaction of the change it records.
pub async fn record(
    conn: &mut Conn,
    kind: AuditKind,
    user: impl Into<Option<UserId>>,
    client: &ClientInfo,
) -> AppResult<()> {
    insert(conn, kind, user.into(), client, None, None).await
}

/// [`record`] with a short, machine-readable `detail` (never personal data).
pub async fn record_with_detail(
    conn: &mut Conn,
    kind: AuditKind,
    user: impl Into<Option<UserId>>,
    client: &ClientInfo,
    detail: &str,
) -> AppResult<()> {
    insert(conn, kind, user.into(), client, None, Some(detail)).await
}

/// Record a failed sign-in with the digest of the email it tried.
pub async fn record_login_failure(
    conn: &mut Conn,
    email_digest: &str,
    user: Option<UserId>,
    client: &ClientInfo,
    reason: LoginFailure,
) -> AppResult<()> {
    let detail = Some(reason.as_str());
    insert(
        conn,
        AuditKind::LoginFailed,
        user,
        client,
        Some(email_digest),
        detail,
    )
    .await
}

async fn insert(
    conn: &mut Conn,
    kind: AuditKind,
    user_id: Option<UserId>,
    client: &ClientInfo,
    email_digest: Option<&str>,
    detail: Option<&str>,
) -> AppResult<()> {
    let row = NewAuditEvent {
        id: AuditEventId::new(),
        kind,
        user_id,
        email_digest,
        ip: client.ip.as_deref(),
        user_agent: client.user_agent.as_deref(),
        detail,
        created_at: now(),
    };
    with_conn!(conn, |c| {
        diesel::insert_into(audit_events::table)
            .values(&row)
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Delete the events recorded before `before` (`AUDIT_RETENTION`).
pub async fn prune(conn: &mut Conn, before: Timestamp) -> AppResult<usize> {
    Ok(with_conn!(conn, |c| {
        diesel::delete(audit_events::table.filter(audit_events::created_at.lt(before)))
            .execute(c)
            .await
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_digests_are_of_the_canonical_form() {
        assert_eq!(email_digest(" Ann@Example.COM "), email_digest("ann@example.com"));
        assert_eq!(
            email_digest("jose\u{301}@EXÄMPLE.de"),
            email_digest("josé@xn--exmple-cua.de")
        );
        assert_eq!(email_digest(" Not An Email "), email_digest("not an email"));
        assert_ne!(email_digest("ann@example.com"), email_digest("bob@example.com"));
        assert_eq!(email_digest("ann@example.com").len(), 64);
    }
}
