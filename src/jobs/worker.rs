//! Workers: tasks that claim due jobs and run their handlers.
//!
//! Each worker claims one job at a time ([`queue::claim`]), runs the
//! handler registered for its kind, renews the lease every third of it
//! while the handler runs, and records the outcome fenced by the lease
//! token. A job of a kind nobody handles, or with a payload that is not
//! JSON, is `DEAD` at once. A worker that loses its lease (it stalled past
//! it and another worker took the job over) abandons the run without
//! recording anything. When idle, a worker sleeps until a commit wakes it
//! (`crate::tx::Signal`) or [`POLL`] passes (jobs enqueued by another
//! instance, retries coming due).
//!
//! [`Workers::shutdown`] stops claiming, lets running jobs finish within a
//! grace period, then aborts the rest and gives their jobs back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};

use super::queue::{self, Claimed};
use crate::db::JobId;
use crate::error::AppResult;
use crate::state::AppState;

/// The longest an idle worker sleeps before looking for due jobs again.
pub const POLL: Duration = Duration::from_secs(2);

/// What runs a job of one kind: the run (the application, progress reports) and the job's payload.
pub type Handler = for<'a> fn(Run<'a>, serde_json::Value) -> BoxFuture<'a, AppResult<()>>;

/// One run of a job, as its handler sees it.
#[derive(Clone, Copy)]
pub struct Run<'a> {
    /// The application.
    pub state: &'a AppState,
    job: &'a Claimed,
}

impl Run<'_> {
    /// Report how much of the work is done (`jobs.progressDone` and `progressTotal` for operators); ignored once the lease was lost.
    pub async fn progress(&self, done: i64, total: i64) -> AppResult<()> {
        queue::progress(&self.state.pool, self.job, done, total)
            .await
            .map(drop)
    }
}

/// The job kinds this process runs, by name.
#[derive(Clone, Default)]
pub struct Handlers(Arc<HashMap<&'static str, Handler>>);

impl Handlers {
    /// Handlers for these kinds.
    pub fn new(kinds: &[(&'static str, Handler)]) -> Self {
        Handlers(Arc::new(kinds.iter().copied().collect()))
    }
}

/// The jobs running in this process, so a shutdown can give them back.
type Running = Arc<Mutex<HashMap<JobId, Claimed>>>;

/// This process's workers.
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    running: Running,
    state: AppState,
}

/// Start `WORKER_CONCURRENCY` workers over `handlers` (none when it is 0).
pub fn spawn(state: &AppState, handlers: Handlers) -> Workers {
    let (stop, stopped) = watch::channel(false);
    let running = Running::default();
    let tasks = (0..state.config.jobs.concurrency)
        .map(|_| {
            tokio::spawn(work(
                state.clone(),
                handlers.clone(),
                stopped.clone(),
                running.clone(),
            ))
        })
        .collect();
    Workers {
        stop,
        tasks,
        running,
        state: state.clone(),
    }
}

impl Workers {
    /// Stop claiming; wait up to `grace` for the running jobs to finish; abort those still running and put their jobs back in the queue.
    pub async fn shutdown(self, grace: Duration) {
        let _ = self.stop.send(true);
        let aborts: Vec<AbortHandle> = self.tasks.iter().map(JoinHandle::abort_handle).collect();
        let finished = futures_util::future::join_all(self.tasks);
        if tokio::time::timeout(grace, finished).await.is_err() {
            aborts.iter().for_each(AbortHandle::abort);
        }
        let unfinished: Vec<Claimed> = self
            .running
            .lock()
            .map(|mut running| running.drain().map(|(_, job)| job).collect())
            .unwrap_or_default();
        for job in unfinished {
            match queue::release(&self.state.pool, &job).await {
                Ok(_) => tracing::info!(job = %job.id, kind = job.kind, "job given back at shutdown"),
                Err(err) => tracing::warn!(job = %job.id, code = err.code(), "could not give a job back"),
            }
        }
    }
}

async fn work(state: AppState, handlers: Handlers, mut stop: watch::Receiver<bool>, running: Running) {
    let lease = state.config.jobs.lease;
    loop {
        if *stop.borrow() {
            return;
        }
        let pause = match queue::claim(&state.pool, lease).await {
            Ok(Some(job)) => {
                if let Ok(mut jobs) = running.lock() {
                    jobs.insert(job.id, job.clone());
                }
                run(&state, &handlers, &job).await;
                if let Ok(mut jobs) = running.lock() {
                    jobs.remove(&job.id);
                }
                continue;
            }
            Ok(None) => POLL,
            Err(err) => {
                tracing::warn!(code = err.code(), error = %err, "claiming a job failed");
                Duration::from_secs(1)
            }
        };
        tokio::select! {
            () = state.jobs.woken() => {}
            () = tokio::time::sleep(pause) => {}
            changed = stop.changed() => if changed.is_err() { return },
        }
    }
}

/// Run `job` and record its outcome.
async fn run(state: &AppState, handlers: &Handlers, job: &Claimed) {
    let pool = &state.pool;
    let Some(handler) = handlers.0.get(job.kind.as_str()) else {
        let error = format!("no handler for jobs of kind {:?}", job.kind);
        report(job, "unknown kind", queue::bury(pool, job, &error).await);
        return;
    };
    let payload = match serde_json::from_str(&job.payload) {
        Ok(payload) => payload,
        Err(err) => {
            let error = format!("the payload is not JSON: {err}");
            report(job, "bad payload", queue::bury(pool, job, &error).await);
            return;
        }
    };
    let lease = state.config.jobs.lease;
    let work = handler(Run { state, job }, payload);
    tokio::pin!(work);
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + lease / 3, lease / 3);
    let outcome = loop {
        tokio::select! {
            outcome = &mut work => break outcome,
            _ = beat.tick() => match queue::heartbeat(pool, job, lease).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(job = %job.id, kind = job.kind, "lease lost to another worker; run abandoned");
                    return;
                }
                Err(err) => tracing::warn!(job = %job.id, code = err.code(), "renewing a lease failed"),
            },
        }
    };
    match outcome {
        Ok(()) => report(job, "succeeded", queue::succeed(pool, job).await),
        Err(err) => {
            tracing::warn!(job = %job.id, kind = job.kind, attempt = job.attempt, error = %err, "job failed");
            let retry_base = state.config.jobs.retry_base;
            report(
                job,
                "failed",
                queue::fail(pool, job, &err.to_string(), retry_base).await,
            );
        }
    }
}

/// Log how recording `what` went.
fn report(job: &Claimed, what: &str, recorded: AppResult<bool>) {
    match recorded {
        Ok(true) => tracing::debug!(job = %job.id, kind = job.kind, attempt = job.attempt, "job {what}"),
        Ok(false) => tracing::warn!(
            job = %job.id,
            kind = job.kind,
            "job {what} after its lease was taken over: outcome not recorded"
        ),
        Err(err) => tracing::warn!(job = %job.id, code = err.code(), "recording a job failed"),
    }
}
