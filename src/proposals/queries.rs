//! Reads and single-statement writes on proposals. A proposal is visible to
//! its freelancer, to the client who owns its project, and to admins.

use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::model::{NewProposal, ProposalChangeset, ProposalRow, ProposalStatus};
use super::policy::visible_to;
use crate::auth::Viewer;
use crate::db::keyset::PageArgs;
use crate::db::schema::proposals;
use crate::db::{Conn, now};
use crate::db::{ProjectId, ProposalId, UserId};
use crate::error::AppResult;
use crate::{newest_first_page, with_conn};

/// The cursor tag of proposal lists (newest first).
pub const ORDER: &str = "CREATED_AT_DESC";

/// What a list of proposals is narrowed to.
#[derive(Debug, Default, Clone)]
pub struct ProposalFilter {
    /// Only proposals on this project.
    pub project_id: Option<ProjectId>,
    /// Only this status.
    pub status: Option<ProposalStatus>,
}

/// A page of the proposals the viewer may see, newest first.
pub async fn list(
    conn: &mut Conn,
    viewer: Viewer,
    filter: &ProposalFilter,
    args: &PageArgs,
    with_total: bool,
) -> AppResult<(Vec<ProposalRow>, i64)> {
    let after = args.after_time::<ProposalId>()?;
    Ok(with_conn!(conn, |c| {
        let build = || {
            let mut q = visible_to!(proposals::table.into_boxed(), viewer);
            if let Some(project) = filter.project_id {
                q = q.filter(proposals::project_id.eq(project));
            }
            if let Some(status) = filter.status {
                q = q.filter(proposals::status.eq(status));
            }
            q
        };
        newest_first_page!(
            c,
            build,
            proposals::created_at,
            proposals::id,
            ProposalRow,
            after,
            args.fetch(),
            with_total
        )
    })?)
}

/// The proposal, if the viewer may see it.
pub async fn find_visible(conn: &mut Conn, viewer: Viewer, id: ProposalId) -> AppResult<Option<ProposalRow>> {
    Ok(with_conn!(conn, |c| {
        visible_to!(proposals::table.into_boxed(), viewer)
            .filter(proposals::id.eq(id))
            .select(ProposalRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// Proposals by id, unscoped (for loaders behind an authorized parent).
pub async fn find_by_ids(conn: &mut Conn, ids: &[ProposalId]) -> AppResult<Vec<ProposalRow>> {
    Ok(with_conn!(conn, |c| {
        proposals::table
            .filter(proposals::id.eq_any(ids))
            .select(ProposalRow::as_select())
            .load(c)
            .await
    })?)
}

/// How many proposals each project has received (any status).
pub async fn count_by_project(
    conn: &mut Conn,
    project_ids: &[ProjectId],
) -> AppResult<Vec<(ProjectId, i64)>> {
    Ok(with_conn!(conn, |c| {
        proposals::table
            .filter(proposals::project_id.eq_any(project_ids))
            .group_by(proposals::project_id)
            .select((proposals::project_id, count_star()))
            .load(c)
            .await
    })?)
}

/// The newest `first` proposals of each project, in one statement.
pub async fn newest_of_projects(
    conn: &mut Conn,
    project_ids: &[ProjectId],
    first: i64,
) -> AppResult<Vec<ProposalRow>> {
    let newer = diesel::alias!(proposals as newer);
    Ok(with_conn!(conn, |c| {
        proposals::table
            .filter(proposals::project_id.eq_any(project_ids))
            .filter(
                proposals::id.eq_any(
                    newer
                        .filter(newer.field(proposals::project_id).eq(proposals::project_id))
                        .order((
                            newer.field(proposals::created_at).desc(),
                            newer.field(proposals::id).desc(),
                        ))
                        .limit(first)
                        .select(newer.field(proposals::id)),
                ),
            )
            .order((proposals::created_at.desc(), proposals::id.desc()))
            .select(ProposalRow::as_select())
            .load(c)
            .await
    })?)
}

/// The viewer's own proposals on these projects.
pub async fn own_on_projects(
    conn: &mut Conn,
    freelancer: UserId,
    project_ids: &[ProjectId],
) -> AppResult<Vec<ProposalRow>> {
    Ok(with_conn!(conn, |c| {
        proposals::table
            .filter(proposals::project_id.eq_any(project_ids))
            .filter(proposals::freelancer_id.eq(freelancer))
            .select(ProposalRow::as_select())
            .load(c)
            .await
    })?)
}

/// Insert a proposal; a second one by the same freelancer is `CONFLICT`.
pub async fn insert(conn: &mut Conn, new: &NewProposal<'_>) -> AppResult<ProposalRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(proposals::table)
            .values(new)
            .returning(ProposalRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// Apply a changeset to a proposal that is still `SUBMITTED`.
pub async fn update_submitted(
    conn: &mut Conn,
    id: ProposalId,
    changes: &ProposalChangeset,
) -> AppResult<Option<ProposalRow>> {
    Ok(with_conn!(conn, |c| {
        diesel::update(
            proposals::table
                .filter(proposals::id.eq(id))
                .filter(proposals::status.eq(ProposalStatus::Submitted)),
        )
        .set(changes)
        .returning(ProposalRow::as_returning())
        .get_result(c)
        .await
        .optional()
    })?)
}

/// Move a proposal from `from` to `to`; `None` when it changed meanwhile.
pub async fn set_status(
    conn: &mut Conn,
    id: ProposalId,
    from: ProposalStatus,
    to: ProposalStatus,
) -> AppResult<Option<ProposalRow>> {
    let now = now();
    Ok(with_conn!(conn, |c| {
        diesel::update(
            proposals::table
                .filter(proposals::id.eq(id))
                .filter(proposals::status.eq(from)),
        )
        .set((proposals::status.eq(to), proposals::updated_at.eq(now)))
        .returning(ProposalRow::as_returning())
        .get_result(c)
        .await
        .optional()
    })?)
}

/// Reject every other submitted proposal of a project (one was accepted).
pub async fn reject_others(conn: &mut Conn, project_id: ProjectId, accepted: ProposalId) -> AppResult<usize> {
    let now = now();
    Ok(with_conn!(conn, |c| {
        diesel::update(
            proposals::table
                .filter(proposals::project_id.eq(project_id))
                .filter(proposals::id.ne(accepted))
                .filter(proposals::status.eq(ProposalStatus::Submitted)),
        )
        .set((
            proposals::status.eq(ProposalStatus::Rejected),
            proposals::updated_at.eq(now),
        ))
        .execute(c)
        .await
    })?)
}

/// The proposals among `ids` the viewer may see, in one statement (for `nodes`); ids of invisible or unknown proposals are left out.
pub async fn find_visible_many(
    conn: &mut Conn,
    viewer: Viewer,
    ids: &[ProposalId],
) -> AppResult<Vec<ProposalRow>> {
    Ok(with_conn!(conn, |c| {
        visible_to!(proposals::table.into_boxed(), viewer)
            .filter(proposals::id.eq_any(ids))
            .select(ProposalRow::as_select())
            .load(c)
            .await
    })?)
}
