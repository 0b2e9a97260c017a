//! Sessions (one per sign-in) and the refresh tokens that keep them alive.

use diesel::prelude::*;

use crate::db::schema::{refresh_tokens, sessions};
use crate::db::types::Timestamp;
use crate::db::{SessionId, UserId};

/// A `sessions` row.
#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    /// Id (the `sid` claim of its access tokens).
    pub id: SessionId,
    /// Whose session.
    pub user_id: UserId,
    /// Signed in at.
    pub created_at: Timestamp,
    /// Last sign-in, refresh or authenticated request (updated at most once a minute).
    pub last_used_at: Timestamp,
    /// Ends unless refreshed before.
    pub expires_at: Timestamp,
    /// Ended by logout, revocation or refresh-token reuse.
    pub revoked_at: Option<Timestamp>,
    /// The `User-Agent` at sign-in.
    pub user_agent: Option<String>,
    /// The client address at sign-in.
    pub ip: Option<String>,
}

/// A new `sessions` row.
#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    /// Id.
    pub id: SessionId,
    /// Whose session.
    pub user_id: UserId,
    /// Now.
    pub created_at: Timestamp,
    /// Now.
    pub last_used_at: Timestamp,
    /// Now plus the refresh-token life.
    pub expires_at: Timestamp,
    /// `User-Agent`.
    pub user_agent: Option<&'a str>,
    /// Client address.
    pub ip: Option<&'a str>,
}

/// A new `refresh_tokens` row.
#[derive(Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken<'a> {
    /// SHA-256 of the token.
    pub token_hash: &'a str,
    /// The session it renews.
    pub session_id: SessionId,
    /// Now.
    pub created_at: Timestamp,
}
