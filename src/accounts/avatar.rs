//! Avatars: an upload becomes a thumbnail in object storage, and the table
//! `user_avatars` points the user at it; removing the avatar or deleting
//! the account takes it away.
//!
//! Write order, so that a row never points to a missing object: the new
//! object is stored first under a new unguessable key; one transaction then
//! records it, after taking the user's row (`UPDATE users`), so uploads,
//! removals and the deletion of one account queue up behind each other;
//! the replaced object is deleted only after the commit. A failed
//! transaction deletes the object it stored. At worst (a crash, a failed
//! delete) an object is left that nothing points to.

use std::io::Read;

use async_graphql::UploadValue;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::model::UserRow;
use super::profile::{self, ProfileChangeset};
use super::thumbnail::{self, Thumbnail};
use crate::auth::Viewer;
use crate::db::UserId;
use crate::db::schema::user_avatars;
use crate::db::types::Timestamp;
use crate::db::{Conn, now};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{cpu, with_conn};

/// Make a thumbnail of `upload` and make it the viewer's avatar, replacing
/// (and deleting) the previous one. Answers the user and the new object's
/// key. Errors: `PAYLOAD_TOO_LARGE` on `file` (past `MAX_AVATAR_BYTES`),
/// `BAD_USER_INPUT` on `file` (not a PNG, JPEG or WebP image).
pub async fn upload(state: &AppState, viewer: Viewer, upload: UploadValue) -> AppResult<(UserRow, String)> {
    let max = state.config.max_avatar_bytes;
    let size = upload.size().map_err(AppError::internal)?;
    if size > max as u64 {
        return Err(AppError::PayloadTooLarge {
            field: "file",
            message: format!("the image is larger than {max} bytes"),
        });
    }
    let Thumbnail { bytes, file_type } = cpu::run(move |_| {
        let mut bytes = Vec::with_capacity(max.min(size as usize));
        upload
            .into_read()
            .take(max as u64)
            .read_to_end(&mut bytes)
            .map_err(AppError::internal)?;
        thumbnail::make(&bytes)
    })
    .await?;
    let key = format!(
        "avatars/{}/{}.{}",
        viewer.user_id,
        uuid::Uuid::new_v4().simple(),
        file_type.extension()
    );
    state.storage.put(&key, bytes.into()).await?;
    let recorded = async {
        let mut conn = state.pool.get().await?;
        conn.write_tx(async |conn| -> AppResult<(UserRow, Option<String>)> {
            let now = now();
            let user = touch(conn, viewer.user_id, now).await?;
            let old = current(conn, viewer.user_id).await?;
            with_conn!(conn, |c| {
                diesel::insert_into(user_avatars::table)
                    .values((
                        user_avatars::user_id.eq(viewer.user_id),
                        user_avatars::object_key.eq(&key),
                        user_avatars::content_type.eq(file_type.content_type()),
                        user_avatars::updated_at.eq(now),
                    ))
                    .on_conflict(user_avatars::user_id)
                    .do_update()
                    .set((
                        user_avatars::object_key.eq(&key),
                        user_avatars::content_type.eq(file_type.content_type()),
                        user_avatars::updated_at.eq(now),
                    ))
                    .execute(c)
                    .await
            })?;
            Ok((user, old))
        })
        .await
    }
    .await;
    match recorded {
        Ok((user, old)) => {
            if let Some(old) = old {
                state.storage.discard(&old).await;
            }
            Ok((user, key))
        }
        Err(err) => {
            state.storage.discard(&key).await;
            Err(err)
        }
    }
}

/// Remove the viewer's avatar (nothing to remove is fine) and delete its
/// object after the commit.
pub async fn remove(state: &AppState, viewer: Viewer) -> AppResult<UserRow> {
    let mut conn = state.pool.get().await?;
    let (user, old) = conn
        .write_tx(async |conn| -> AppResult<(UserRow, Option<String>)> {
            let user = touch(conn, viewer.user_id, now()).await?;
            Ok((user, delete_row(conn, viewer.user_id).await?))
        })
        .await?;
    if let Some(old) = old {
        state.storage.discard(&old).await;
    }
    Ok(user)
}

/// Delete the user's avatar row inside the caller's transaction; answers
/// the key of the object to delete once it commits.
pub async fn delete_row(conn: &mut Conn, user_id: UserId) -> AppResult<Option<String>> {
    Ok(with_conn!(conn, |c| {
        diesel::delete(user_avatars::table.find(user_id))
            .returning(user_avatars::object_key)
            .get_result(c)
            .await
            .optional()
    })?)
}

/// The avatar keys of these users (users without one are left out).
pub async fn keys_of(conn: &mut Conn, user_ids: &[UserId]) -> AppResult<Vec<(UserId, String)>> {
    Ok(with_conn!(conn, |c| {
        user_avatars::table
            .filter(user_avatars::user_id.eq_any(user_ids))
            .select((user_avatars::user_id, user_avatars::object_key))
            .load(c)
            .await
    })?)
}

async fn current(conn: &mut Conn, user_id: UserId) -> AppResult<Option<String>> {
    Ok(keys_of(conn, &[user_id]).await?.pop().map(|(_, key)| key))
}

/// Mark the profile changed, which also takes the user's row until the
/// transaction ends (PostgreSQL; SQLite's writer lock already serialises).
/// A deleted account is `NOT_FOUND`.
async fn touch(conn: &mut Conn, user_id: UserId, now: Timestamp) -> AppResult<UserRow> {
    let changes = ProfileChangeset {
        updated_at: Some(now),
        ..ProfileChangeset::default()
    };
    profile::apply(conn, user_id, &changes).await
}
