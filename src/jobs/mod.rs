//! The job queue: one mechanism for every kind of background work, in the
//! database, on both backends.
//!
//! A job is a kind (a name its handler is registered under), a JSON payload
//! and a schedule (`run_at`). [`enqueue`] inserts it in the caller's
//! transaction, so a job exists exactly when the change that asked for it
//! committed; the commit wakes this instance's workers. Workers
//! ([`worker`]) claim due jobs under a lease ([`queue`]), renew the lease
//! while a job runs, and record its outcome fenced by the lease token.
//! Lifecycle: `QUEUED` → `RUNNING` → `SUCCEEDED`; a failed run goes back to
//! `QUEUED` after a growing delay, and after its last attempt to `DEAD`
//! (kept, with its last error). A `RUNNING` job whose lease ran out (its
//! worker stalled or died) is claimed again.

pub mod admin;
pub mod cron;
pub mod queue;
pub mod schedule;
pub mod worker;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::jobs;
use crate::db::types::Timestamp;
use crate::db::{JobId, now};
use crate::error::{AppError, AppResult};
use crate::tx::{Effect, Tx};
use crate::with_conn;

crate::text_enum! {
    /// Where a job stands.
    pub enum JobStatus {
        /// Waiting for its `run_at`, or for a worker.
        Queued = "QUEUED",
        /// Claimed by a worker (under a lease).
        Running = "RUNNING",
        /// Done.
        Succeeded = "SUCCEEDED",
        /// Failed on every attempt, or of a kind nobody handles; kept for operators.
        Dead = "DEAD",
        /// Cancelled before it ran.
        Cancelled = "CANCELLED",
    }
}

/// Attempts a job gets unless it says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 10;

/// A `jobs` row.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = jobs)]
pub struct JobRow {
    /// Id.
    pub id: JobId,
    /// The handler's name.
    pub kind: String,
    /// JSON payload.
    pub payload: String,
    /// Status.
    pub status: JobStatus,
    /// Runs started so far.
    pub attempts: i32,
    /// Runs allowed.
    pub max_attempts: i32,
    /// Not before.
    pub run_at: Timestamp,
    /// While `RUNNING`: the claim's end.
    pub lease_until: Option<Timestamp>,
    /// While `RUNNING`: the claim's token.
    pub lease_token: Option<String>,
    /// Progress: done so far.
    pub progress_done: Option<i64>,
    /// Progress: in all.
    pub progress_total: Option<i64>,
    /// The last failure.
    pub last_error: Option<String>,
    /// At most one job ever has this key.
    pub unique_key: Option<String>,
    /// Enqueued.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// Succeeded, died or was cancelled.
    pub finished_at: Option<Timestamp>,
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The handler's name.
    pub kind: &'static str,
    /// What the handler gets.
    pub payload: serde_json::Value,
    /// Not before (default: now).
    pub run_at: Option<Timestamp>,
    /// Runs allowed.
    pub max_attempts: i32,
    /// At most one job ever has this key; enqueuing it again does nothing.
    pub unique_key: Option<String>,
}

impl NewJob {
    /// A job of `kind` with `payload`, due now, [`DEFAULT_MAX_ATTEMPTS`].
    pub fn new(kind: &'static str, payload: serde_json::Value) -> Self {
        NewJob {
            kind,
            payload,
            run_at: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            unique_key: None,
        }
    }

    /// Only one job ever with `key`.
    pub fn unique(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }
}

/// Put `job` in the queue, inside the caller's transaction; this instance's workers are woken once it commits. `None` when its unique key was taken.
pub async fn enqueue(tx: &mut Tx<'_>, job: NewJob) -> AppResult<Option<JobId>> {
    let id = JobId::new();
    let now = now();
    let payload = serde_json::to_string(&job.payload).map_err(AppError::internal)?;
    let inserted = with_conn!(&mut **tx, |c| {
        diesel::insert_into(jobs::table)
            .values((
                jobs::id.eq(id),
                jobs::kind.eq(job.kind),
                jobs::payload.eq(&payload),
                jobs::status.eq(JobStatus::Queued),
                jobs::max_attempts.eq(job.max_attempts.max(1)),
                jobs::run_at.eq(job.run_at.unwrap_or(now)),
                jobs::unique_key.eq(job.unique_key.as_deref()),
                jobs::created_at.eq(now),
                jobs::updated_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await
    })?;
    if inserted == 0 {
        return Ok(None);
    }
    tx.after_commit(Effect::WakeWorkers);
    Ok(Some(id))
}
