//! The check behind every authenticated request: is the token's session
//! live, and may its user sign in?

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{Role, Viewer};
use crate::db::schema::{sessions, users};
use crate::db::types::Timestamp;
use crate::db::{Conn, SessionId, UserId, now};
use crate::error::AppResult;
use crate::with_conn;

/// How stale `last_used_at` may get before an authenticated request refreshes it.
const LAST_USED_GRANULARITY: std::time::Duration = std::time::Duration::from_secs(60);

/// The viewer for a token's user and session, when the session is live and the account can sign in (not blocked, deactivated or deleted); also notes the use (at most once a minute).
pub async fn live_viewer(
    conn: &mut Conn,
    user_id: UserId,
    session_id: SessionId,
) -> AppResult<Option<Viewer>> {
    let now = now();
    let row: Option<(Role, Timestamp)> = with_conn!(conn, |c| {
        sessions::table
            .inner_join(users::table)
            .filter(sessions::id.eq(session_id))
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(now))
            .filter(users::blocked_at.is_null())
            .filter(users::deactivated_at.is_null())
            .filter(users::deleted_at.is_null())
            .select((users::role, sessions::last_used_at))
            .first(c)
            .await
            .optional()
    })?;
    let Some((role, last_used_at)) = row else {
        return Ok(None);
    };
    if last_used_at.plus(LAST_USED_GRANULARITY) < now {
        with_conn!(conn, |c| {
            diesel::update(sessions::table.find(session_id))
                .set(sessions::last_used_at.eq(now))
                .execute(c)
                .await
        })?;
    }
    Ok(Some(Viewer {
        user_id,
        session_id,
        role,
    }))
}
