//! Who is asking: passwords, tokens, sign-in throttling, the [`Viewer`] of a
//! request and the guards that check it.

mod client;
mod guard;
pub mod password;
mod role;
mod session_cache;
pub mod session_check;
pub mod throttle;
pub mod tokens;

pub use client::ClientInfo;
pub use guard::{RoleGuard, require_viewer, viewer};
pub use role::Role;
pub use session_cache::SessionCache;

use crate::db::{SessionId, UserId};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use session_check::live_viewer;

/// The signed-in user of a request, resolved once per request (or per WebSocket connection) from the access token and a live session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    /// The user.
    pub user_id: UserId,
    /// The session the access token belongs to.
    pub session_id: SessionId,
    /// The user's role now (not when the token was issued).
    pub role: Role,
}

/// A bearer token that passed: who it speaks for, and until when.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated {
    /// The viewer, with the user's role now.
    pub viewer: Viewer,
    /// When the token stops being accepted (seconds since the epoch).
    pub expires_at: u64,
}

/// Resolve an `Authorization` header value: no header is an anonymous request; a header that is not a valid bearer token of a live session is refused (the client should refresh or sign in again).
pub async fn authenticate(state: &AppState, authorization: Option<&str>) -> AppResult<Option<Viewer>> {
    match authorization {
        None => Ok(None),
        Some(value) => Ok(Some(authenticate_bearer(state, value).await?.viewer)),
    }
}

/// Check `Bearer <accessToken>`: the token itself, then its session (live, the user neither blocked, deactivated nor deleted), the session check cached briefly ([`SessionCache`]). Every HTTP request and every operation on a WebSocket goes through here.
pub async fn authenticate_bearer(state: &AppState, value: &str) -> AppResult<Authenticated> {
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AppError::Unauthenticated(
            "the Authorization header must be `Bearer <accessToken>`",
        ))?;
    let claims = state.keys.verify_access(token)?;
    let viewer = match state.sessions.get(claims.session_id) {
        Some(cached) => cached,
        None => {
            let mut conn = state.pool.get().await?;
            let live = live_viewer(&mut conn, claims.user_id, claims.session_id).await?;
            state.sessions.put(claims.session_id, live);
            live
        }
    };
    match viewer {
        Some(viewer) if viewer.user_id == claims.user_id => Ok(Authenticated {
            viewer,
            expires_at: claims.expires_at,
        }),
        _ => Err(AppError::Unauthenticated("this session has ended; sign in again")),
    }
}

/// A boxed query as it is for admins, narrowed by `$condition` for anyone else: `unless_admin!(query, viewer, |v| column.eq(v.user_id))`. The visibility rules of the areas' policies are written with it.
#[macro_export]
macro_rules! unless_admin {
    ($query:expr, $viewer:expr, |$v:ident| $condition:expr) => {{
        let $v: $crate::auth::Viewer = $viewer;
        let query = $query;
        if $v.role.is_admin() {
            query
        } else {
            query.filter($condition)
        }
    }};
}
