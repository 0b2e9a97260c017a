//! Claiming and recording runs. Every statement after the claim is fenced
//! by the claim's lease token: a worker whose lease ran out, and whose job
//! another worker took over, changes nothing.
//!
//! Claiming takes the next due job, `QUEUED` with `run_at` passed or
//! `RUNNING` with its lease run out, in one write transaction: on PostgreSQL
//! the candidate row is read `FOR UPDATE SKIP LOCKED` (workers never wait on
//! each other's candidates); on SQLite the transaction holds the writer lock
//! (`BEGIN IMMEDIATE`), so claims are one after the other.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::JobStatus;
use crate::db::schema::jobs;
use crate::db::types::Timestamp;
use crate::db::{Conn, JobId, Pool, now};
use crate::error::{AppError, AppResult};
use crate::with_conn;

/// The longest wait before a retry.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// The longest error text kept.
const MAX_ERROR_CHARS: usize = 2000;

/// A job this worker holds a lease on.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The job.
    pub id: JobId,
    /// Its handler's name.
    pub kind: String,
    /// Its JSON payload.
    pub payload: String,
    /// This run's number (1 for the first).
    pub attempt: i32,
    /// Runs allowed.
    pub max_attempts: i32,
    /// The lease's token: proof that the job is still this worker's.
    pub token: String,
}

/// Claim the next due job for `lease`, if any.
pub async fn claim(pool: &Pool, lease: Duration) -> AppResult<Option<Claimed>> {
    let mut conn = pool.get().await?;
    conn.write_tx(async |conn| {
        let now = now();
        let Some(id) = next_due(conn, now).await? else {
            return Ok(None);
        };
        let token = uuid::Uuid::new_v4().to_string();
        let claimed: (String, String, i32, i32) = with_conn!(conn, |c| {
            diesel::update(jobs::table.find(id))
                .set((
                    jobs::status.eq(JobStatus::Running),
                    jobs::attempts.eq(jobs::attempts + 1),
                    jobs::lease_until.eq(Some(now.plus(lease))),
                    jobs::lease_token.eq(Some(&token)),
                    jobs::updated_at.eq(now),
                ))
                .returning((jobs::kind, jobs::payload, jobs::attempts, jobs::max_attempts))
                .get_result(c)
                .await
        })?;
        let (kind, payload, attempt, max_attempts) = claimed;
        Ok::<_, AppError>(Some(Claimed {
            id,
            kind,
            payload,
            attempt,
            max_attempts,
            token,
        }))
    })
    .await
}

/// The id of the next due job, locked for this transaction.
async fn next_due(conn: &mut Conn, now: Timestamp) -> AppResult<Option<JobId>> {
    macro_rules! due {
        () => {
            jobs::table
                .filter(
                    jobs::status
                        .eq(JobStatus::Queued)
                        .and(jobs::run_at.le(now))
                        .or(jobs::status
                            .eq(JobStatus::Running)
                            .and(jobs::lease_until.lt(now))),
                )
                .order(jobs::run_at)
                .select(jobs::id)
                .limit(1)
        };
    }
    Ok(match conn {
        Conn::Pg(c) => due!()
            .for_update()
            .skip_locked()
            .get_result(&mut **c)
            .await
            .optional()?,
        Conn::Sqlite(c) => due!().get_result(&mut **c).await.optional()?,
    })
}

/// Extend the lease of `job` by `lease` from now; `false` when it is no longer this worker's (the run must stop).
pub async fn heartbeat(pool: &Pool, job: &Claimed, lease: Duration) -> AppResult<bool> {
    let now = now();
    let changed = with_conn!(&mut pool.get().await?, |c| {
        diesel::update(held(job))
            .set((
                jobs::lease_until.eq(Some(now.plus(lease))),
                jobs::updated_at.eq(now),
            ))
            .execute(c)
            .await
    })?;
    Ok(changed == 1)
}

/// Record the run's progress; `false` when the job is no longer this worker's.
pub async fn progress(pool: &Pool, job: &Claimed, done: i64, total: i64) -> AppResult<bool> {
    let now = now();
    let changed = with_conn!(&mut pool.get().await?, |c| {
        diesel::update(held(job))
            .set((
                jobs::progress_done.eq(Some(done)),
                jobs::progress_total.eq(Some(total)),
                jobs::updated_at.eq(now),
            ))
            .execute(c)
            .await
    })?;
    Ok(changed == 1)
}

/// The run succeeded; `false` when the job was no longer this worker's.
pub async fn succeed(pool: &Pool, job: &Claimed) -> AppResult<bool> {
    finish(pool, job, JobStatus::Succeeded, None).await
}

/// The run failed with `error`: the job is queued again after the backoff of its attempt (from `retry_base`), or `DEAD` after its last attempt. `false` when the job was no longer this worker's.
pub async fn fail(pool: &Pool, job: &Claimed, error: &str, retry_base: Duration) -> AppResult<bool> {
    if job.attempt >= job.max_attempts {
        return bury(pool, job, error).await;
    }
    let now = now();
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let changed = with_conn!(&mut pool.get().await?, |c| {
        diesel::update(held(job))
            .set((
                jobs::status.eq(JobStatus::Queued),
                jobs::run_at.eq(now.plus(backoff(retry_base, job.attempt))),
                jobs::lease_until.eq(None::<Timestamp>),
                jobs::lease_token.eq(None::<String>),
                jobs::last_error.eq(Some(&error)),
                jobs::updated_at.eq(now),
            ))
            .execute(c)
            .await
    })?;
    Ok(changed == 1)
}

/// The job cannot succeed (its last attempt failed, or nobody handles its kind): `DEAD`, with `error`, until an operator retries it.
pub async fn bury(pool: &Pool, job: &Claimed, error: &str) -> AppResult<bool> {
    finish(pool, job, JobStatus::Dead, Some(error)).await
}

/// Give the job back unfinished (shutdown): `QUEUED` at once, the attempt not counted.
pub async fn release(pool: &Pool, job: &Claimed) -> AppResult<bool> {
    let now = now();
    let changed = with_conn!(&mut pool.get().await?, |c| {
        diesel::update(held(job))
            .set((
                jobs::status.eq(JobStatus::Queued),
                jobs::attempts.eq(jobs::attempts - 1),
                jobs::run_at.eq(now),
                jobs::lease_until.eq(None::<Timestamp>),
                jobs::lease_token.eq(None::<String>),
                jobs::updated_at.eq(now),
            ))
            .execute(c)
            .await
    })?;
    Ok(changed == 1)
}

async fn finish(pool: &Pool, job: &Claimed, status: JobStatus, error: Option<&str>) -> AppResult<bool> {
    let now = now();
    let error: Option<String> = error.map(|e| e.chars().take(MAX_ERROR_CHARS).collect());
    let changed = with_conn!(&mut pool.get().await?, |c| {
        let finished = (
            jobs::status.eq(status),
            jobs::lease_until.eq(None::<Timestamp>),
            jobs::lease_token.eq(None::<String>),
            jobs::finished_at.eq(Some(now)),
            jobs::updated_at.eq(now),
        );
        match &error {
            Some(error) => {
                diesel::update(held(job))
                    .set((finished, jobs::last_error.eq(Some(error))))
                    .execute(c)
                    .await
            }
            None => diesel::update(held(job)).set(finished).execute(c).await,
        }
    })?;
    Ok(changed == 1)
}

/// `job`'s row while this worker still holds it.
#[diesel::dsl::auto_type]
fn held<'a>(job: &'a Claimed) -> _ {
    let id: JobId = job.id;
    let running: JobStatus = JobStatus::Running;
    let token: &'a str = &job.token;
    jobs::table
        .filter(jobs::id.eq(id))
        .filter(jobs::status.eq(running))
        .filter(jobs::lease_token.eq(token))
}

/// The wait before retrying after `attempt` failed runs: `base` doubled per attempt, at most [`MAX_BACKOFF`], then between 75 % and 100 % of that (jitter, so jobs that failed together do not retry together).
fn backoff(base: Duration, attempt: i32) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(20);
    let full = base.saturating_mul(1 << doublings).min(MAX_BACKOFF);
    let mut random = [0u8; 1];
    let spread = if getrandom::fill(&mut random).is_ok() {
        f64::from(random[0]) / 255.0
    } else {
        0.5
    };
    full.mul_f64(0.75 + 0.25 * spread)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_secs(10);
        for (attempt, full) in [(1, 10), (2, 20), (3, 40), (6, 320)] {
            let wait = backoff(base, attempt);
            let full = Duration::from_secs(full);
            assert!(wait <= full && wait >= full.mul_f64(0.75), "{attempt}: {wait:?}");
        }
        assert!(backoff(base, 40) <= MAX_BACKOFF);
        assert!(backoff(base, 40) >= MAX_BACKOFF.mul_f64(0.75));
    }
}
