//! Session workflows: start on sign-in, rotate on refresh, end on logout.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::model::{NewRefreshToken, NewSession};
use super::queries;
use crate::audit::{self, AuditKind};
use crate::auth::ClientInfo;
use crate::auth::Viewer;
use crate::auth::tokens::{digest_token, new_opaque_token};
use crate::db::schema::{refresh_tokens, sessions, users};
use crate::db::types::Timestamp;
use crate::db::{Conn, now};
use crate::db::{SessionId, UserId};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::with_conn;

/// A spent refresh token presented again within this time is taken for a
/// client racing itself (two tabs refreshing at once): refused, but the
/// session is not ended. Later, it is taken for theft and ends the session.
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

/// Start a session for `user_id` (joins the caller's transaction, if any).
pub async fn start(
    state: &AppState,
    conn: &mut Conn,
    user_id: UserId,
    client: &ClientInfo,
) -> AppResult<Tokens> {
    let session_id = SessionId::new();
    let now = now();
    let (refresh_token, digest) = new_opaque_token()?;
    let expires_at = now.plus(state.config.refresh_token_ttl);
    conn.write_tx(async |conn| -> AppResult<()> {
        let session = NewSession {
            id: session_id,
            user_id,
            created_at: now,
            last_used_at: now,
            expires_at,
            user_agent: client.user_agent.as_deref(),
            ip: client.ip.as_deref(),
        };
        with_conn!(conn, |c| {
            diesel::insert_into(sessions::table)
                .values(&session)
                .execute(c)
                .await
        })?;
        insert_refresh_token(conn, &digest, session_id, now).await
    })
    .await?;
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

/// Exchange a refresh token for a new pair. The token is spent atomically, so
/// of two concurrent refreshes exactly one wins.
pub async fn refresh(state: &AppState, presented: &str) -> AppResult<Tokens> {
    let digest = digest_token(presented.trim());
    let ttl = state.config.refresh_token_ttl;
    let mut conn = state.pool.get().await?;
    let outcome = conn
        .write_tx(async |conn| -> AppResult<Refresh> {
            let now = now();
            let spent: Option<SessionId> = with_conn!(conn, |c| {
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
                Some(session_id) => rotate(conn, session_id, now, ttl).await,
                None => handle_spent(conn, &digest, now).await,
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
            state.sessions_ended(&[session_id]);
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
async fn handle_spent(conn: &mut Conn, digest: &str, now: Timestamp) -> AppResult<Refresh> {
    let prior: Option<(SessionId, Option<Timestamp>)> = with_conn!(conn, |c| {
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
            with_conn!(conn, |c| {
                diesel::update(sessions::table.find(session_id))
                    .set(sessions::revoked_at.eq(now))
                    .execute(c)
                    .await
            })?;
            Ok(Refresh::Reused { session_id })
        }
    }
}

/// End the viewer's session, or all of their sessions, and audit it (in the
/// same transaction).
pub async fn logout(
    state: &AppState,
    viewer: Viewer,
    all_sessions: bool,
    client: &ClientInfo,
) -> AppResult<()> {
    let mut conn = state.pool.get().await?;
    let ended = conn
        .write_tx(async |conn| -> AppResult<Vec<SessionId>> {
            let (ended, detail) = if all_sessions {
                (queries::revoke_all(conn, viewer.user_id).await?, "ALL_SESSIONS")
            } else {
                let ended = queries::revoke(conn, viewer.user_id, viewer.session_id).await?;
                (ended.map(|s| s.id).into_iter().collect(), "THIS_SESSION")
            };
            audit::record_with_detail(conn, AuditKind::LoggedOut, viewer.user_id, client, detail).await?;
            Ok(ended)
        })
        .await?;
    state.sessions_ended(&ended);
    Ok(())
}

/// End one of the viewer's own sessions, audited as a logout (detail
/// `THIS_SESSION` for the viewer's own, which is then a logout, or
/// `OTHER_SESSION`); another user's id is `NOT_FOUND`.
pub async fn revoke(
    state: &AppState,
    viewer: Viewer,
    session_id: SessionId,
    client: &ClientInfo,
) -> AppResult<super::model::SessionRow> {
    let mut conn = state.pool.get().await?;
    let session = conn
        .write_tx(async |conn| -> AppResult<super::model::SessionRow> {
            let session = queries::revoke(conn, viewer.user_id, session_id)
                .await?
                .ok_or(AppError::NotFound("session"))?;
            let detail = if session.id == viewer.session_id {
                "THIS_SESSION"
            } else {
                "OTHER_SESSION"
            };
            audit::record_with_detail(conn, AuditKind::LoggedOut, viewer.user_id, client, detail).await?;
            Ok(session)
        })
        .await?;
    state.sessions_ended(&[session.id]);
    Ok(session)
}
