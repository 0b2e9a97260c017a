//! Reads and writes on reviews (public: anyone may read them).

use diesel::dsl::{count_star, sum};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::ReviewRow;
use crate::db::Conn;
use crate::db::keyset::PageArgs;
use crate::db::schema::reviews;
use crate::db::{ReviewId, ServiceRequestId, UserId};
use crate::error::AppResult;
use crate::{newest_first_page, with_conn};

/// The cursor tag of review lists (newest first).
pub const ORDER: &str = "CREATED_AT_DESC";

/// Insert a review; a second by the same reviewer is `CONFLICT` on `id`.
pub async fn insert(conn: &mut Conn, row: &ReviewRow) -> AppResult<ReviewRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(reviews::table)
            .values(row)
            .returning(ReviewRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// Sum of ratings and count per reviewed user.
pub async fn ratings_of(conn: &mut Conn, users: &[UserId]) -> AppResult<Vec<(UserId, Option<i64>, i64)>> {
    Ok(with_conn!(conn, |c| {
        reviews::table
            .filter(reviews::reviewee_id.eq_any(users))
            .group_by(reviews::reviewee_id)
            .select((reviews::reviewee_id, sum(reviews::rating), count_star()))
            .load(c)
            .await
    })?)
}

/// A page of the reviews a user received, newest first.
pub async fn received(
    conn: &mut Conn,
    user: UserId,
    args: &PageArgs,
    with_total: bool,
) -> AppResult<(Vec<ReviewRow>, i64)> {
    let after = args.after_time::<ReviewId>()?;
    Ok(with_conn!(conn, |c| {
        let build = || reviews::table.filter(reviews::reviewee_id.eq(user)).into_boxed();
        newest_first_page!(
            c,
            build,
            reviews::created_at,
            reviews::id,
            ReviewRow,
            after,
            args.fetch(),
            with_total
        )
    })?)
}

/// Reviews by id, in one statement (public: every review is listed under its reviewee's `User.reviews`).
pub async fn find_by_ids(conn: &mut Conn, ids: &[ReviewId]) -> AppResult<Vec<ReviewRow>> {
    Ok(with_conn!(conn, |c| {
        reviews::table
            .filter(reviews::id.eq_any(ids))
            .select(ReviewRow::as_select())
            .load(c)
            .await
    })?)
}

/// The reviews of these service requests (one each at most), in one statement.
pub async fn of_service_requests(conn: &mut Conn, ids: &[ServiceRequestId]) -> AppResult<Vec<ReviewRow>> {
    Ok(with_conn!(conn, |c| {
        reviews::table
            .filter(reviews::service_request_id.eq_any(ids))
            .select(ReviewRow::as_select())
            .load(c)
            .await
    })?)
}
