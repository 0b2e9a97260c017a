//! Reads and single-statement writes on users.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::accounts::users::model::{NewUser, UserRow};
use crate::db::UserId;
use crate::db::schema::users;
use crate::db::{Conn, now};
use crate::error::AppResult;
use crate::with_conn;

/// The user with this (normalised) email.
pub async fn find_by_email(conn: &mut Conn, email: &str) -> AppResult<Option<UserRow>> {
    Ok(with_conn!(conn, |c| {
        users::table
            .filter(users::email.eq(email))
            .select(UserRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// The users with these ids (missing ids are left out).
pub async fn find_by_ids(conn: &mut Conn, ids: &[UserId]) -> AppResult<Vec<UserRow>> {
    Ok(with_conn!(conn, |c| {
        users::table
            .filter(users::id.eq_any(ids))
            .select(UserRow::as_select())
            .load(c)
            .await
    })?)
}

/// The user `id`, unless deleted.
pub async fn find_live(conn: &mut Conn, id: UserId) -> AppResult<Option<UserRow>> {
    Ok(with_conn!(conn, |c| {
        users::table
            .find(id)
            .filter(users::deleted_at.is_null())
            .select(UserRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// Insert a user; a taken email is `CONFLICT` on `email`.
pub async fn insert(conn: &mut Conn, new: &NewUser<'_>) -> AppResult<UserRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(users::table)
            .values(new)
            .returning(UserRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// Store a new password hash (after a parameter upgrade or a change).
pub async fn set_password_hash(conn: &mut Conn, id: UserId, hash: &str) -> AppResult<()> {
    with_conn!(conn, |c| {
        diesel::update(users::table.find(id))
            .set((users::password_hash.eq(hash), users::updated_at.eq(now())))
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Mark the user's current email verified (if it is not already).
pub async fn mark_email_verified(conn: &mut Conn, id: UserId) -> AppResult<()> {
    let now = now();
    with_conn!(conn, |c| {
        diesel::update(users::table.find(id).filter(users::email_verified_at.is_null()))
            .set((users::email_verified_at.eq(Some(now)), users::updated_at.eq(now)))
            .execute(c)
            .await
    })?;
    Ok(())
}
