//! Reads and single-statement writes on sessions.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::model::SessionRow;
use crate::db::schema::sessions;
use crate::db::types::Timestamp;
use crate::db::{Conn, now};
use crate::db::{SessionId, UserId};
use crate::error::AppResult;
use crate::tx::{Effect, Tx};
use crate::with_conn;

/// The user's live sessions, most recently used first.
pub async fn list_live(conn: &mut Conn, user_id: UserId) -> AppResult<Vec<SessionRow>> {
    let now = now();
    Ok(with_conn!(conn, |c| {
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(now))
            .order((sessions::last_used_at.desc(), sessions::id.desc()))
            .select(SessionRow::as_select())
            .load(c)
            .await
    })?)
}

/// End one live session of `user_id` (as [`revoke_all`]); `None` when there is no such live session.
pub async fn revoke(
    tx: &mut Tx<'_>,
    user_id: UserId,
    session_id: SessionId,
) -> AppResult<Option<SessionRow>> {
    let now = now();
    let ended = with_conn!(&mut **tx, |c| {
        diesel::update(
            sessions::table
                .filter(sessions::id.eq(session_id))
                .filter(sessions::user_id.eq(user_id))
                .filter(sessions::revoked_at.is_null()),
        )
        .set(sessions::revoked_at.eq(now))
        .returning(SessionRow::as_returning())
        .get_result(c)
        .await
        .optional()
    })?;
    if let Some(session) = &ended {
        tx.after_commit(Effect::SessionsEnded(vec![session.id]));
    }
    Ok(ended)
}

/// End every live session of `user_id`; once committed, they are forgotten and their subscribers told.
pub async fn revoke_all(tx: &mut Tx<'_>, user_id: UserId) -> AppResult<()> {
    revoke_all_but(tx, user_id, None).await
}

/// End every live session of `user_id` except `keep` (as [`revoke_all`]).
pub async fn revoke_others(tx: &mut Tx<'_>, user_id: UserId, keep: SessionId) -> AppResult<()> {
    revoke_all_but(tx, user_id, Some(keep)).await
}

async fn revoke_all_but(tx: &mut Tx<'_>, user_id: UserId, keep: Option<SessionId>) -> AppResult<()> {
    let now = now();
    let ended = with_conn!(&mut **tx, |c| {
        let mut live = sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .into_boxed();
        if let Some(keep) = keep {
            live = live.filter(sessions::id.ne(keep));
        }
        diesel::update(sessions::table)
            .filter(sessions::id.eq_any(live.select(sessions::id)))
            .set(sessions::revoked_at.eq(now))
            .returning(sessions::id)
            .get_results(c)
            .await
    })?;
    tx.after_commit(Effect::SessionsEnded(ended));
    Ok(())
}

/// The live sessions of `user_id` among `ids` (what `mySessions` lists), in one statement (for `nodes`); others' sessions and ended ones are left out.
pub async fn find_live_many(
    conn: &mut Conn,
    user_id: UserId,
    ids: &[SessionId],
) -> AppResult<Vec<SessionRow>> {
    let now = now();
    Ok(with_conn!(conn, |c| {
        sessions::table
            .filter(sessions::id.eq_any(ids))
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(now))
            .select(SessionRow::as_select())
            .load(c)
            .await
    })?)
}

/// Delete the sessions that ended (revoked or expired) before `before`, with their refresh tokens (retention).
pub async fn prune_ended(conn: &mut Conn, before: Timestamp) -> AppResult<usize> {
    Ok(with_conn!(conn, |c| {
        diesel::delete(
            sessions::table.filter(
                sessions::revoked_at
                    .lt(before)
                    .or(sessions::expires_at.lt(before)),
            ),
        )
        .execute(c)
        .await
    })?)
}
