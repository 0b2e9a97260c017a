//! Reads and single-statement writes on contracts, visible to their two
//! parties and to admins.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::model::{ContractRow, ContractStatus, NewContract};
use super::policy::visible_to;
use crate::auth::Viewer;
use crate::db::keyset::PageArgs;
use crate::db::schema::contracts;
use crate::db::{Conn, now};
use crate::db::{ContractId, ProjectId};
use crate::error::AppResult;
use crate::projects::model::ProjectRow;
use crate::proposals::model::ProposalRow;
use crate::{newest_first_page, with_conn};

/// The cursor tag of contract lists (newest first).
pub const ORDER: &str = "STARTED_AT_DESC";

/// Which side of a contract the viewer is on.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractRole {
    /// Contracts where the viewer hired.
    AsClient,
    /// Contracts where the viewer was hired.
    AsFreelancer,
}

/// What a list of contracts is narrowed to.
#[derive(Debug, Default, Clone)]
pub struct ContractFilter {
    /// Only this status.
    pub status: Option<ContractStatus>,
    /// Only this side.
    pub role: Option<ContractRole>,
}

/// A page of the viewer's contracts, newest first.
pub async fn list(
    conn: &mut Conn,
    viewer: Viewer,
    filter: &ContractFilter,
    args: &PageArgs,
    with_total: bool,
) -> AppResult<(Vec<ContractRow>, i64)> {
    let after = args.after_time::<ContractId>()?;
    Ok(with_conn!(conn, |c| {
        let build = || {
            let mut q = visible_to!(contracts::table.into_boxed(), viewer);
            if let Some(status) = filter.status {
                q = q.filter(contracts::status.eq(status));
            }
            match filter.role {
                Some(ContractRole::AsClient) => q = q.filter(contracts::client_id.eq(viewer.user_id)),
                Some(ContractRole::AsFreelancer) => q = q.filter(contracts::freelancer_id.eq(viewer.user_id)),
                None => {}
            }
            q
        };
        newest_first_page!(
            c,
            build,
            contracts::started_at,
            contracts::id,
            ContractRow,
            after,
            args.fetch(),
            with_total
        )
    })?)
}

/// The contract, if the viewer is a party or an admin.
pub async fn find_visible(conn: &mut Conn, viewer: Viewer, id: ContractId) -> AppResult<Option<ContractRow>> {
    Ok(with_conn!(conn, |c| {
        visible_to!(contracts::table.into_boxed(), viewer)
            .filter(contracts::id.eq(id))
            .select(ContractRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// Every contract of these projects, newest first (for `Project.contract`).
pub async fn of_projects(conn: &mut Conn, project_ids: &[ProjectId]) -> AppResult<Vec<ContractRow>> {
    Ok(with_conn!(conn, |c| {
        contracts::table
            .filter(contracts::project_id.eq_any(project_ids))
            .order((contracts::started_at.desc(), contracts::id.desc()))
            .select(ContractRow::as_select())
            .load(c)
            .await
    })?)
}

/// Create the contract for an accepted proposal.
pub async fn insert_for(
    conn: &mut Conn,
    project: &ProjectRow,
    proposal: &ProposalRow,
) -> AppResult<ContractRow> {
    let terms = format!(
        "{} for \"{}\": {} at {}, as proposed.",
        project.budget_type.as_str(),
        project.title,
        proposal.currency,
        proposal.bid()?.amount_text()
    );
    let new = NewContract {
        id: ContractId::new(),
        project_id: project.id,
        proposal_id: proposal.id,
        client_id: project.client_id,
        freelancer_id: proposal.freelancer_id,
        amount_minor: proposal.bid_minor,
        currency: &proposal.currency,
        contract_type: project.budget_type,
        status: ContractStatus::Active,
        terms: &terms,
        started_at: now(),
    };
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(contracts::table)
            .values(&new)
            .returning(ContractRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// End an active contract (`COMPLETED` or `CANCELLED`); `None` when it is no longer active.
pub async fn finish(
    conn: &mut Conn,
    id: ContractId,
    to: ContractStatus,
    reason: Option<&str>,
) -> AppResult<Option<ContractRow>> {
    let now = now();
    let (completed_at, cancelled_at) = match to {
        ContractStatus::Completed => (Some(now), None),
        _ => (None, Some(now)),
    };
    Ok(with_conn!(conn, |c| {
        diesel::update(
            contracts::table
                .filter(contracts::id.eq(id))
                .filter(contracts::status.eq(ContractStatus::Active)),
        )
        .set((
            contracts::status.eq(to),
            contracts::completed_at.eq(completed_at),
            contracts::cancelled_at.eq(cancelled_at),
            contracts::cancellation_reason.eq(reason),
        ))
        .returning(ContractRow::as_returning())
        .get_result(c)
        .await
        .optional()
    })?)
}

/// Cancel a project's active contract, if it has one.
pub async fn cancel_active_of_project(conn: &mut Conn, project_id: ProjectId, reason: &str) -> AppResult<()> {
    let now = now();
    with_conn!(conn, |c| {
        diesel::update(
            contracts::table
                .filter(contracts::project_id.eq(project_id))
                .filter(contracts::status.eq(ContractStatus::Active)),
        )
        .set((
            contracts::status.eq(ContractStatus::Cancelled),
            contracts::cancelled_at.eq(Some(now)),
            contracts::cancellation_reason.eq(Some(reason)),
        ))
        .execute(c)
        .await
    })?;
    Ok(())
}

/// The contracts among `ids` the viewer may see (a party or an admin), in one statement (for `nodes`); ids of others are left out.
pub async fn find_visible_many(
    conn: &mut Conn,
    viewer: Viewer,
    ids: &[ContractId],
) -> AppResult<Vec<ContractRow>> {
    Ok(with_conn!(conn, |c| {
        visible_to!(contracts::table.into_boxed(), viewer)
            .filter(contracts::id.eq_any(ids))
            .select(ContractRow::as_select())
            .load(c)
            .await
    })?)
}
