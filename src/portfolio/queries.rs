//! Reads and single-statement writes on portfolio items.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::model::{PortfolioItemChangeset, PortfolioItemRow};
use crate::db::Conn;
use crate::db::keyset::PageArgs;
use crate::db::schema::portfolio_items;
use crate::db::{PortfolioItemId, UserId};
use crate::error::AppResult;
use crate::{newest_first_page, with_conn};

/// The cursor tag of portfolio lists (newest first).
pub const ORDER: &str = "CREATED_AT_DESC";

/// Insert an item.
pub async fn insert(conn: &mut Conn, row: &PortfolioItemRow) -> AppResult<PortfolioItemRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(portfolio_items::table)
            .values(row)
            .returning(PortfolioItemRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// The item `id` (items are public).
pub async fn find(conn: &mut Conn, id: PortfolioItemId) -> AppResult<Option<PortfolioItemRow>> {
    Ok(with_conn!(conn, |c| {
        portfolio_items::table
            .find(id)
            .select(PortfolioItemRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// Apply `changes` to item `id`.
pub async fn update(
    conn: &mut Conn,
    id: PortfolioItemId,
    changes: &PortfolioItemChangeset,
) -> AppResult<PortfolioItemRow> {
    Ok(with_conn!(conn, |c| {
        diesel::update(portfolio_items::table.find(id))
            .set(changes)
            .returning(PortfolioItemRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// Delete item `id`.
pub async fn delete(conn: &mut Conn, id: PortfolioItemId) -> AppResult<()> {
    with_conn!(conn, |c| diesel::delete(portfolio_items::table.find(id))
        .execute(c)
        .await)?;
    Ok(())
}

/// A page of a freelancer's items, newest first, and (when `with_total`) how many they have in all.
pub async fn list_by_freelancer(
    conn: &mut Conn,
    freelancer: UserId,
    args: &PageArgs,
    with_total: bool,
) -> AppResult<(Vec<PortfolioItemRow>, i64)> {
    let after = args.after_time::<PortfolioItemId>()?;
    Ok(with_conn!(conn, |c| {
        let build = || {
            portfolio_items::table
                .filter(portfolio_items::freelancer_id.eq(freelancer))
                .into_boxed()
        };
        newest_first_page!(
            c,
            build,
            portfolio_items::created_at,
            portfolio_items::id,
            PortfolioItemRow,
            after,
            args.fetch(),
            with_total
        )
    })?)
}

/// Portfolio items by id, in one statement (public: every item is listed by `portfolioItems` and its freelancer's `User.portfolio`).
pub async fn find_by_ids(conn: &mut Conn, ids: &[PortfolioItemId]) -> AppResult<Vec<PortfolioItemRow>> {
    Ok(with_conn!(conn, |c| {
        portfolio_items::table
            .filter(portfolio_items::id.eq_any(ids))
            .select(PortfolioItemRow::as_select())
            .load(c)
            .await
    })?)
}
