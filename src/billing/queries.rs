//! Reads and single-statement writes on bills, their lines and sequences.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::model::{BillLineRow, BillRow, BillStatus};
use super::policy::visible_to;
use crate::auth::Viewer;
use crate::db::keyset::PageArgs;
use crate::db::schema::{bill_lines, bill_sequences, bills};
use crate::db::types::Timestamp;
use crate::db::{BillId, Conn, UserId, now};
use crate::error::AppResult;
use crate::{newest_first_page, with_conn};

/// The cursor tag of bill lists (newest first).
pub const ORDER: &str = "CREATED_AT_DESC";

/// Which side of a bill the viewer is on.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillRole {
    /// Bills the viewer pays.
    AsPayer,
    /// Bills the viewer is paid by.
    AsIssuer,
}

/// What a bill is for.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillSubjectKind {
    /// A contract.
    Contract,
    /// A service request.
    ServiceRequest,
    /// Nothing: a manual bill.
    Manual,
}

/// What a list of bills is narrowed to.
#[derive(Debug, Default, Clone)]
pub struct BillFilter {
    /// Only this status.
    pub status: Option<BillStatus>,
    /// Only this side of the viewer's.
    pub role: Option<BillRole>,
    /// Paid by this user.
    pub payer_id: Option<UserId>,
    /// Paid to this user.
    pub issuer_id: Option<UserId>,
    /// For this kind of subject.
    pub subject_kind: Option<BillSubjectKind>,
    /// Issued at or after.
    pub issued_after: Option<Timestamp>,
    /// Issued before.
    pub issued_before: Option<Timestamp>,
    /// `ISSUED` and past due (`true`), or not (`false`).
    pub overdue: Option<bool>,
}

/// A page of the bills the viewer may see, newest first.
pub async fn list(
    conn: &mut Conn,
    viewer: Viewer,
    filter: &BillFilter,
    args: &PageArgs,
    with_total: bool,
) -> AppResult<(Vec<BillRow>, i64)> {
    let after = args.after_time::<BillId>()?;
    let now = now();
    Ok(with_conn!(conn, |c| {
        let build = || {
            let mut q = visible_to!(bills::table.into_boxed(), viewer);
            if let Some(status) = filter.status {
                q = q.filter(bills::status.eq(status));
            }
            match filter.role {
                Some(BillRole::AsPayer) => q = q.filter(bills::payer_id.eq(viewer.user_id)),
                Some(BillRole::AsIssuer) => q = q.filter(bills::issuer_id.eq(viewer.user_id)),
                None => {}
            }
            if let Some(payer) = filter.payer_id {
                q = q.filter(bills::payer_id.eq(payer));
            }
            if let Some(issuer) = filter.issuer_id {
                q = q.filter(bills::issuer_id.eq(issuer));
            }
            match filter.subject_kind {
                Some(BillSubjectKind::Contract) => q = q.filter(bills::contract_id.is_not_null()),
                Some(BillSubjectKind::ServiceRequest) => {
                    q = q.filter(bills::service_request_id.is_not_null())
                }
                Some(BillSubjectKind::Manual) => {
                    q = q
                        .filter(bills::contract_id.is_null())
                        .filter(bills::service_request_id.is_null());
                }
                None => {}
            }
            if let Some(at) = filter.issued_after {
                q = q.filter(bills::issued_at.ge(at));
            }
            if let Some(at) = filter.issued_before {
                q = q.filter(bills::issued_at.lt(at));
            }
            match filter.overdue {
                Some(true) => {
                    q = q
                        .filter(bills::status.eq(BillStatus::Issued))
                        .filter(bills::due_at.lt(now));
                }
                Some(false) => {
                    q = q.filter(bills::status.ne(BillStatus::Issued).or(bills::due_at.ge(now)));
                }
                None => {}
            }
            q
        };
        newest_first_page!(
            c,
            build,
            bills::created_at,
            bills::id,
            BillRow,
            after,
            args.fetch(),
            with_total
        )
    })?)
}

/// The bills among `ids` the viewer may see, in one statement.
pub async fn find_visible_many(conn: &mut Conn, viewer: Viewer, ids: &[BillId]) -> AppResult<Vec<BillRow>> {
    Ok(with_conn!(conn, |c| {
        visible_to!(bills::table.into_boxed(), viewer)
            .filter(bills::id.eq_any(ids))
            .select(BillRow::as_select())
            .load(c)
            .await
    })?)
}

/// The bill, if the viewer may see it.
pub async fn find_visible(conn: &mut Conn, viewer: Viewer, id: BillId) -> AppResult<Option<BillRow>> {
    Ok(find_visible_many(conn, viewer, &[id]).await?.pop())
}

/// Bills by id, whoever may see them (behind a payment the viewer sees).
pub async fn find_by_ids(conn: &mut Conn, ids: &[BillId]) -> AppResult<Vec<BillRow>> {
    Ok(with_conn!(conn, |c| {
        bills::table
            .filter(bills::id.eq_any(ids))
            .select(BillRow::as_select())
            .load(c)
            .await
    })?)
}

/// The lines of these bills, in order.
pub async fn lines_of(conn: &mut Conn, ids: &[BillId]) -> AppResult<Vec<BillLineRow>> {
    Ok(with_conn!(conn, |c| {
        bill_lines::table
            .filter(bill_lines::bill_id.eq_any(ids))
            .order((bill_lines::bill_id, bill_lines::position))
            .select(BillLineRow::as_select())
            .load(c)
            .await
    })?)
}

/// Insert a bill.
pub async fn insert(conn: &mut Conn, row: &BillRow) -> AppResult<BillRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(bills::table)
            .values(row)
            .returning(BillRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// Replace a bill's lines.
pub async fn set_lines(conn: &mut Conn, id: BillId, lines: &[BillLineRow]) -> AppResult<()> {
    with_conn!(conn, |c| {
        diesel::delete(bill_lines::table.filter(bill_lines::bill_id.eq(id)))
            .execute(c)
            .await
    })?;
    crate::insert_all!(conn, bill_lines::table, lines.to_vec());
    Ok(())
}

/// Delete a draft and its lines.
pub async fn delete(conn: &mut Conn, id: BillId) -> AppResult<()> {
    with_conn!(conn, |c| {
        diesel::delete(bill_lines::table.filter(bill_lines::bill_id.eq(id)))
            .execute(c)
            .await?;
        diesel::delete(
            bills::table
                .filter(bills::id.eq(id))
                .filter(bills::status.eq(BillStatus::Draft)),
        )
        .execute(c)
        .await
    })?;
    Ok(())
}

/// A change to a bill, written if its status is still the one read.
#[derive(AsChangeset, Default, Debug)]
#[diesel(table_name = bills)]
pub struct BillChange {
    /// New status.
    pub status: Option<BillStatus>,
    /// Its number (issuing).
    pub number: Option<String>,
    /// Currency (drafts).
    pub currency: Option<String>,
    /// Subtotal (drafts).
    pub subtotal_minor: Option<i64>,
    /// Tax rate (drafts).
    pub tax_rate_bp: Option<i32>,
    /// Tax (drafts).
    pub tax_minor: Option<i64>,
    /// Total (drafts).
    pub total_minor: Option<i64>,
    /// Due (drafts).
    pub due_at: Option<Timestamp>,
    /// Issued.
    pub issued_at: Option<Timestamp>,
    /// Paid.
    pub paid_at: Option<Timestamp>,
    /// Voided.
    pub voided_at: Option<Timestamp>,
    /// Why.
    pub void_reason: Option<String>,
    /// Refunded.
    pub refunded_at: Option<Timestamp>,
    /// Always set: now.
    pub updated_at: Option<Timestamp>,
}

/// Apply `change` to bill `id` if its status is still `from`; `None` when not.
pub async fn change(
    conn: &mut Conn,
    id: BillId,
    from: BillStatus,
    change: &BillChange,
) -> AppResult<Option<BillRow>> {
    Ok(with_conn!(conn, |c| {
        diesel::update(
            bills::table
                .filter(bills::id.eq(id))
                .filter(bills::status.eq(from)),
        )
        .set(change)
        .returning(BillRow::as_returning())
        .get_result(c)
        .await
        .optional()
    })?)
}

/// Take the next number of `year`'s sequence (1 for the first), in the caller's transaction: the row stays locked until it ends (PostgreSQL; SQLite has one writer), so concurrent issues queue, and a rollback gives the number back.
pub async fn next_number(conn: &mut Conn, year: i32) -> AppResult<i64> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(bill_sequences::table)
            .values((bill_sequences::year.eq(year), bill_sequences::last.eq(1_i64)))
            .on_conflict(bill_sequences::year)
            .do_update()
            .set(bill_sequences::last.eq(bill_sequences::last + 1_i64))
            .returning(bill_sequences::last)
            .get_result(c)
            .await
    })?)
}

/// `payer`'s bills that count in a summary (`ISSUED`, `PAID`): currency, status, due date and total of each.
pub async fn totals_of(
    conn: &mut Conn,
    payer: UserId,
) -> AppResult<Vec<(String, BillStatus, Timestamp, i64)>> {
    Ok(with_conn!(conn, |c| {
        bills::table
            .filter(bills::payer_id.eq(payer))
            .filter(bills::status.eq_any([BillStatus::Issued, BillStatus::Paid]))
            .select((bills::currency, bills::status, bills::due_at, bills::total_minor))
            .load(c)
            .await
    })?)
}
