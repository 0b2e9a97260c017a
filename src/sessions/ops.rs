//! Session workflows: start on sign-in, rotate on refresh, end on logout.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::model::{NewRefreshToken, NewSession, SessionRow};
use super::queries;
use crate::audit::{self, AuditKind};
use crate::auth::tokens::{digest_token, new_opaque_token};
use crate::db::schema::{refresh_tokens, sessions, users};
use crate::db::types::Timestamp;
use crate::db::{Conn, now};
use crate::db::{SessionId, UserId};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tx::{Actor, Effect, Tx};
use crate::with_conn;

/// A spent refresh token presented again within this time is taken for a client racing itself (two tabs refreshing at once): refused, but the session is not ended. Later, it is taken for theft and ends the session.
pub const REFRESH_RACE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// What a client keeps after signing in or refreshing.
pub struct Tokens {
    /// JWT for the `Authorization` header.
    pub access_token: String,
    /// Opaque, single-use token for `refreshToken`.
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// The signed-in user.
    pub user_id: UserId,
}

/// Start a session for `user_id` from the actor's client, in the caller's transaction.
pub async fn start(tx: &mut Tx<'_>, user_id: UserId) -> AppResult<Tokens> {
    let session_id = SessionId::new();
    let now = now();
    let (refresh_token, digest) = new_opaque_token()?;
    let state = tx.state().clone();
    let client = tx.actor().client.clone();
    let session = NewSession {
        id: session_id,
        user_id,
        created_at: now,
        last_used_at: now,
        expires_at: now.plus(state.config.refresh_token_ttl),
        user_agent: client.user_agent.as_deref(),
        ip: client.ip.as_deref(),
    };
    with_conn!(&mut **tx, |c| {
        diesel::insert_into(sessions::table)
            .values(&session)
            .execute(c)
            .await
    })?;
    insert_refresh_token(tx, &digest, session_id, now).await?;
    Ok(Tokens {
        access_token: state.keys.issue_access(user_id, session_id)?,
        refresh_token,
        expires_in: state.keys.access_ttl_secs(),
        user_id,
    })
}

async fn insert_refresh_token(
    conn: &mut Conn,
    digest: &str,
    session_id: SessionId,
    now: Timestamp,
) -> AppResult<()> {
    let row = NewRefreshToken {
        token_hash: digest,
        session_id,
        created_at: now,
    };
    with_conn!(conn, |c| {
        diesel::insert_into(refresh_tokens::table)
            .values(&row)
            .execute(c)
            .await
    })?;
    Ok(())
}

/// What presenting a refresh token came to.
enum Refresh {
    /// Spent now; the session goes on with this new token.
    Rotated {
        user_id: UserId,
        session_id: SessionId,
        token: String,
    },
    /// Valid token of a session that has ended or an account that cannot sign in.
    Ended,
    /// Spent moments ago by a concurrent refresh.
    Raced,
    /// Spent earlier: replayed; its session has been ended.
    Reused { session_id: SessionId },
    /// Never issued.
    Unknown,
}

/// Exchange a refresh token for a new pair. The token is spent atomically, so of two concurrent refreshes exactly one wins.
pub async fn refresh(state: &AppState, presented: &str) -> AppResult<Tokens> {
    let digest = digest_token(presented.trim());
    let ttl = state.config.refresh_token_ttl;
    let outcome = state
        .write(Actor::default(), async |tx| {
            let now = now();
            let spent: Option<SessionId> = with_conn!(&mut **tx, |c| {
                diesel::update(
                    refresh_tokens::table
                        .filter(refresh_tokens::token_hash.eq(&digest))
                        .filter(refresh_tokens::used_at.is_null()),
                )
                .set(refresh_tokens::used_at.eq(now))
                .returning(refresh_tokens::session_id)
                .get_result(c)
                .await
                .optional()
            })?;
            match spent {
                Some(session_id) => rotate(tx, session_id, now, ttl).await,
                None => handle_spent(tx, &digest, now).await,
            }
        })
        .await?;
    match outcome {
        Refresh::Rotated {
            user_id,
            session_id,
            token,
        } => Ok(Tokens {
            access_token: state.keys.issue_access(user_id, session_id)?,
            refresh_token: token,
            expires_in: state.keys.access_ttl_secs(),
            user_id,
        }),
        Refresh::Reused { session_id } => {
            tracing::warn!(%session_id, "spent refresh token presented again; session ended");
            Err(AppError::Unauthenticated("invalid refresh token"))
        }
        Refresh::Ended | Refresh::Raced | Refresh::Unknown => {
            Err(AppError::Unauthenticated("invalid refresh token"))
        }
    }
}

/// The token was just spent: continue its session with a new one.
async fn rotate(
    conn: &mut Conn,
    session_id: SessionId,
    now: Timestamp,
    ttl: std::time::Duration,
) -> AppResult<Refresh> {
    let live: Option<UserId> = with_conn!(conn, |c| {
        sessions::table
            .inner_join(users::table)
            .filter(sessions::id.eq(session_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(now))
            .filter(users::blocked_at.is_null())
            .filter(users::deactivated_at.is_null())
            .filter(users::deleted_at.is_null())
            .select(sessions::user_id)
            .first(c)
            .await
            .optional()
    })?;
    let Some(user_id) = live else {
        return Ok(Refresh::Ended);
    };
    let (token, digest) = new_opaque_token()?;
    insert_refresh_token(conn, &digest, session_id, now).await?;
    with_conn!(conn, |c| {
        diesel::update(sessions::table.find(session_id))
            .set((
                sessions::last_used_at.eq(now),
                sessions::expires_at.eq(now.plus(ttl)),
            ))
            .execute(c)
            .await
    })?;
    Ok(Refresh::Rotated {
        user_id,
        session_id,
        token,
    })
}

/// The token was not spendable: unknown, raced, or replayed.
async fn handle_spent(tx: &mut Tx<'_>, digest: &str, now: Timestamp) -> AppResult<Refresh> {
    let prior: Option<(SessionId, Option<Timestamp>)> = with_conn!(&mut **tx, |c| {
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(digest))
            .select((refresh_tokens::session_id, refresh_tokens::used_at))
            .first(c)
            .await
            .optional()
    })?;
    match prior {
        None => Ok(Refresh::Unknown),
        Some((_, Some(used_at))) if now <= used_at.plus(REFRESH_RACE_GRACE) => Ok(Refresh::Raced),
        Some((session_id, _)) => {
            with_conn!(&mut **tx, |c| {
                diesel::update(sessions::table.find(session_id))
                    .set(sessions::revoked_at.eq(now))
                    .execute(c)
                    .await
            })?;
            tx.after_commit(Effect::SessionsEnded(vec![session_id]));
            Ok(Refresh::Reused { session_id })
        }
    }
}

/// End the viewer's session, or all of their sessions, and audit it (in the same transaction).
pub async fn logout(tx: &mut Tx<'_>, all_sessions: bool) -> AppResult<()> {
    let viewer = tx.viewer()?;
    let client = tx.actor().client.clone();
    let detail = if all_sessions {
        queries::revoke_all(tx, viewer.user_id).await?;
        "ALL_SESSIONS"
    } else {
        queries::revoke(tx, viewer.user_id, viewer.session_id).await?;
        "THIS_SESSION"
    };
    audit::record_with_detail(tx, AuditKind::LoggedOut, viewer.user_id, &client, detail).await
}

/// End one of the viewer's own sessions, audited as a logout (detail `THIS_SESSION` for the viewer's own, which is then a logout, or `OTHER_SESSION`); another user's id is `NOT_FOUND`.
pub async fn revoke(tx: &mut Tx<'_>, session_id: SessionId) -> AppResult<SessionRow> {
    let viewer = tx.viewer()?;
    let client = tx.actor().client.clone();
    let session = queries::revoke(tx, viewer.user_id, session_id)
        .await?
        .ok_or(AppError::NotFound("session"))?;
    let detail = if session.id == viewer.session_id {
        "THIS_SESSION"
    } else {
        "OTHER_SESSION"
    };
    audit::record_with_detail(tx, AuditKind::LoggedOut, viewer.user_id, &client, detail).await?;
    Ok(session)
}
