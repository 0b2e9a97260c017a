//! The operator's side of the queue: listing jobs, retrying a dead one,
//! cancelling a queued one, and the queue's depth. Admins only
//! ([`may_operate`]).

use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{JobRow, JobStatus};
use crate::auth::Viewer;
use crate::db::keyset::PageArgs;
use crate::db::schema::jobs;
use crate::db::types::Timestamp;
use crate::db::{Conn, JobId, now};
use crate::error::{AppError, AppResult};
use crate::tx::{Effect, Tx};
use crate::{newest_first_page, with_conn};

/// The cursor tag of job lists (newest first).
pub const ORDER: &str = "CREATED_AT_DESC";

/// Operate the queue: admins and super admins.
pub fn may_operate(viewer: Option<Viewer>) -> AppResult<Viewer> {
    let viewer = viewer.ok_or(AppError::Unauthenticated("sign in first"))?;
    if !viewer.role.is_admin() {
        return Err(AppError::forbidden("only admins operate the job queue"));
    }
    Ok(viewer)
}

/// What a list of jobs is narrowed to.
#[derive(Debug, Default, Clone)]
pub struct JobFilter {
    /// Only this status.
    pub status: Option<JobStatus>,
    /// Only this kind.
    pub kind: Option<String>,
}

/// A page of jobs, newest first, and the total when asked for.
pub async fn list(
    conn: &mut Conn,
    filter: &JobFilter,
    args: &PageArgs,
    with_total: bool,
) -> AppResult<(Vec<JobRow>, i64)> {
    let after = args.after_time::<JobId>()?;
    Ok(with_conn!(conn, |c| {
        let build = || {
            let mut q = jobs::table.into_boxed();
            if let Some(status) = filter.status {
                q = q.filter(jobs::status.eq(status));
            }
            if let Some(kind) = &filter.kind {
                q = q.filter(jobs::kind.eq(kind.clone()));
            }
            q
        };
        newest_first_page!(
            c,
            build,
            jobs::created_at,
            jobs::id,
            JobRow,
            after,
            args.fetch(),
            with_total
        )
    })?)
}

/// Jobs by id.
pub async fn find_by_ids(conn: &mut Conn, ids: &[JobId]) -> AppResult<Vec<JobRow>> {
    Ok(with_conn!(conn, |c| {
        jobs::table
            .filter(jobs::id.eq_any(ids))
            .select(JobRow::as_select())
            .load(c)
            .await
    })?)
}

/// How many jobs wait (`QUEUED`) and how many are `DEAD`.
pub async fn depth(conn: &mut Conn) -> AppResult<(i64, i64)> {
    let counts: Vec<(JobStatus, i64)> = with_conn!(conn, |c| {
        jobs::table
            .filter(jobs::status.eq_any([JobStatus::Queued, JobStatus::Dead]))
            .group_by(jobs::status)
            .select((jobs::status, count_star()))
            .load(c)
            .await
    })?;
    let of = |status| counts.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n);
    Ok((of(JobStatus::Queued), of(JobStatus::Dead)))
}

/// Run a `DEAD` job again: `QUEUED` now, its attempts counted from zero (its last error kept until the next run). `INVALID_STATE` unless `DEAD`.
pub async fn retry(tx: &mut Tx<'_>, id: JobId) -> AppResult<JobRow> {
    may_operate(tx.actor().viewer)?;
    let now = now();
    let job = with_conn!(&mut **tx, |c| {
        diesel::update(jobs::table.find(id).filter(jobs::status.eq(JobStatus::Dead)))
            .set((
                jobs::status.eq(JobStatus::Queued),
                jobs::attempts.eq(0),
                jobs::run_at.eq(now),
                jobs::finished_at.eq(None::<Timestamp>),
                jobs::updated_at.eq(now),
            ))
            .returning(JobRow::as_returning())
            .get_result(c)
            .await
            .optional()
    })?;
    let job = moved(tx, id, job, "only a DEAD job can be retried").await?;
    tx.after_commit(Effect::WakeWorkers);
    Ok(job)
}

/// Cancel a `QUEUED` job: it will not run. `INVALID_STATE` unless `QUEUED`.
pub async fn cancel(tx: &mut Tx<'_>, id: JobId) -> AppResult<JobRow> {
    may_operate(tx.actor().viewer)?;
    let now = now();
    let job = with_conn!(&mut **tx, |c| {
        diesel::update(jobs::table.find(id).filter(jobs::status.eq(JobStatus::Queued)))
            .set((
                jobs::status.eq(JobStatus::Cancelled),
                jobs::finished_at.eq(Some(now)),
                jobs::updated_at.eq(now),
            ))
            .returning(JobRow::as_returning())
            .get_result(c)
            .await
            .optional()
    })?;
    moved(tx, id, job, "only a QUEUED job can be cancelled").await
}

/// The job a conditional update moved; else `NOT_FOUND` (no such job) or `INVALID_STATE` (`refusal`).
async fn moved(tx: &mut Tx<'_>, id: JobId, job: Option<JobRow>, refusal: &str) -> AppResult<JobRow> {
    match job {
        Some(job) => Ok(job),
        None if find_by_ids(tx, &[id]).await?.is_empty() => Err(AppError::NotFound("job")),
        None => Err(AppError::InvalidState(refusal.into())),
    }
}

/// Delete the jobs that succeeded or were cancelled before `before` (retention; `DEAD` jobs stay until an operator retries them).
pub async fn prune_finished(conn: &mut Conn, before: Timestamp) -> AppResult<usize> {
    Ok(with_conn!(conn, |c| {
        diesel::delete(
            jobs::table
                .filter(jobs::status.eq_any([JobStatus::Succeeded, JobStatus::Cancelled]))
                .filter(jobs::finished_at.lt(before)),
        )
        .execute(c)
        .await
    })?)
}
