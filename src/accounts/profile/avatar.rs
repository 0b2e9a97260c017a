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

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::accounts::profile::{self, ProfileChangeset};
use crate::accounts::users::model::UserRow;
use crate::db::schema::user_avatars;
use crate::db::types::Timestamp;
use crate::db::{Conn, UserId, now};
use crate::error::AppResult;
use crate::state::AppState;
use crate::storage::FileType;
use crate::tx::{Actor, Effect, Tx};
use crate::uploads::Upload;
use crate::uploads::image::{self, Thumbnail};
use crate::{cpu, with_conn};

/// Make a thumbnail of `file` and make it the actor's avatar, replacing (and, after the commit, deleting) the previous one. Answers the user and the new object's key. Errors: `UNAUTHENTICATED`, `PAYLOAD_TOO_LARGE` on `file` (past `MAX_AVATAR_BYTES`), `BAD_USER_INPUT` on `file` (not a PNG, JPEG or WebP image).
pub async fn upload(state: &AppState, actor: Actor, file: Upload) -> AppResult<(UserRow, String)> {
    let viewer = actor
        .viewer
        .ok_or(crate::error::AppError::Unauthenticated("sign in first"))?;
    let max = state.config.max_avatar_bytes;
    file.check_size(max, "file")?;
    let Thumbnail { bytes, file_type } = cpu::run(move |_| image::thumbnail(&file.read(max)?)).await?;
    let key = format!(
        "avatars/{}/{}.{}",
        viewer.user_id,
        uuid::Uuid::new_v4().simple(),
        file_type.extension()
    );
    state.storage.put(&key, bytes.into()).await?;
    match state
        .write(actor, async |tx| record(tx, &key, file_type).await)
        .await
    {
        Ok(user) => Ok((user, key)),
        Err(err) => {
            // Compensation, not an effect: the object stored before the
            // transaction is not referenced by anything now.
            state.storage.discard(&key).await;
            Err(err)
        }
    }
}

/// Point the viewer at the stored object `key`; the one it replaces is deleted after the commit.
async fn record(tx: &mut Tx<'_>, key: &str, file_type: FileType) -> AppResult<UserRow> {
    let viewer = tx.viewer()?;
    let now = now();
    let user = touch(tx, viewer.user_id, now).await?;
    if let Some(old) = current(tx, viewer.user_id).await? {
        tx.after_commit(Effect::DiscardFile(old));
    }
    with_conn!(&mut **tx, |c| {
        diesel::insert_into(user_avatars::table)
            .values((
                user_avatars::user_id.eq(viewer.user_id),
                user_avatars::object_key.eq(key),
                user_avatars::content_type.eq(file_type.content_type()),
                user_avatars::updated_at.eq(now),
            ))
            .on_conflict(user_avatars::user_id)
            .do_update()
            .set((
                user_avatars::object_key.eq(key),
                user_avatars::content_type.eq(file_type.content_type()),
                user_avatars::updated_at.eq(now),
            ))
            .execute(c)
            .await
    })?;
    Ok(user)
}

/// Remove the viewer's avatar (nothing to remove is fine); its object is deleted after the commit.
pub async fn remove(tx: &mut Tx<'_>) -> AppResult<UserRow> {
    let viewer = tx.viewer()?;
    let user = touch(tx, viewer.user_id, now()).await?;
    delete_row(tx, viewer.user_id).await?;
    Ok(user)
}

/// Delete the user's avatar row inside the caller's transaction; its object is deleted once the transaction commits.
pub async fn delete_row(tx: &mut Tx<'_>, user_id: UserId) -> AppResult<()> {
    let key: Option<String> = with_conn!(&mut **tx, |c| {
        diesel::delete(user_avatars::table.find(user_id))
            .returning(user_avatars::object_key)
            .get_result(c)
            .await
            .optional()
    })?;
    if let Some(key) = key {
        tx.after_commit(Effect::DiscardFile(key));
    }
    Ok(())
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

/// Mark the profile changed, which also takes the user's row until the transaction ends (PostgreSQL; SQLite's writer lock already serialises). A deleted account is `NOT_FOUND`.
async fn touch(conn: &mut Conn, user_id: UserId, now: Timestamp) -> AppResult<UserRow> {
    let changes = ProfileChangeset {
        updated_at: Some(now),
        ..ProfileChangeset::default()
    };
    profile::apply(conn, user_id, &changes).await
}
