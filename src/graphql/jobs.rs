//! The job queue in the schema, for operators (admins and super admins):
//! `jobs`, `job`, `retryJob`, `cancelJob`. Payloads are not exposed (they
//! may hold personal data, like the address of a password reset).

use async_graphql::{Context, ID, InputObject, Object};

use crate::auth::{Role, RoleGuard};
use crate::db::JobId;
use crate::db::keyset::PageArgs;
use crate::error::AppError;
use crate::graphql::context::{global, id_arg, require_id, state, write};
use crate::graphql::pagination::{Page, page, wants_total};
use crate::graphql::scalars::DateTime;
use crate::jobs::admin::{self, JobFilter};
use crate::jobs::{JobRow, JobStatus};

/// A unit of background work (mailing a reset link, an export, a report).
pub struct Job(pub JobRow);

/// A unit of background work (mailing a reset link, an export, a report).
#[Object]
impl Job {
    /// Stable id.
    pub(crate) async fn id(&self) -> ID {
        global(self.0.id)
    }

    /// What the job does (its handler's name).
    async fn kind(&self) -> &str {
        &self.0.kind
    }

    /// Where it stands.
    async fn status(&self) -> JobStatus {
        self.0.status
    }

    /// Runs started so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// Runs allowed before it is `DEAD`.
    async fn max_attempts(&self) -> i32 {
        self.0.max_attempts
    }

    /// When it runs (or ran), at the earliest.
    async fn run_at(&self) -> DateTime {
        self.0.run_at.0.into()
    }

    /// Why its last run failed, if one did.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// How much of its work is done, when it reports progress.
    async fn progress_done(&self) -> Option<i64> {
        self.0.progress_done
    }

    /// How much work there is in all, when it reports progress.
    async fn progress_total(&self) -> Option<i64> {
        self.0.progress_total
    }

    /// When it was queued.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.0.into()
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.0.into()
    }

    /// When it succeeded, died or was cancelled.
    async fn finished_at(&self) -> Option<DateTime> {
        self.0.finished_at.map(|t| t.0.into())
    }
}

/// Narrows a list of jobs.
#[derive(InputObject, Default)]
pub struct JobFilterInput {
    /// Only jobs with this status.
    pub status: Option<JobStatus>,
    /// Only jobs of this kind.
    pub kind: Option<String>,
}

/// Job queries (admins).
#[derive(Default)]
pub struct JobsQuery;

#[Object]
impl JobsQuery {
    /// The job queue, newest first (admins). Errors: `FORBIDDEN`, `BAD_USER_INPUT` (field `first` or `after`).
    #[graphql(
        guard = "RoleGuard::any_of(&[Role::Admin])",
        complexity = "crate::graphql::pagination::cost(first, child_complexity)"
    )]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<JobFilterInput>,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last job seen.")] after: Option<String>,
    ) -> async_graphql::Result<Page<Job>> {
        let args = PageArgs::new(first, after, admin::ORDER)?;
        let filter = filter.unwrap_or_default();
        let filter = JobFilter {
            status: filter.status,
            kind: filter.kind,
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let (rows, total) = admin::list(&mut conn, &filter, &args, wants_total(ctx)).await?;
        Ok(page(
            &args,
            admin::ORDER,
            rows,
            |r| (r.created_at.micros(), r.id),
            total,
            Job,
        ))
    }

    /// One job (admins); `null` when there is no such job. Errors: `FORBIDDEN`.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Job>> {
        let Some(id) = id_arg::<JobId>(&id, "id")? else {
            return Ok(None);
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        Ok(admin::find_by_ids(&mut conn, &[id]).await?.pop().map(Job))
    }
}

/// Job mutations (admins).
#[derive(Default)]
pub struct JobsMutation;

#[Object]
impl JobsMutation {
    /// Run a `DEAD` job again, from its first attempt (admins). Errors: `FORBIDDEN`, `NOT_FOUND`, `INVALID_STATE` (not `DEAD`).
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn retry_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Job> {
        let id = require_id(&id, "id", "job")?;
        Ok(Job(write(ctx, async |tx| admin::retry(tx, id).await).await?))
    }

    /// Cancel a `QUEUED` job: it will not run (admins). Errors: `FORBIDDEN`, `NOT_FOUND`, `INVALID_STATE` (not `QUEUED`).
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn cancel_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Job> {
        let id = require_id(&id, "id", "job")?;
        Ok(Job(write(ctx, async |tx| admin::cancel(tx, id).await).await?))
    }
}
