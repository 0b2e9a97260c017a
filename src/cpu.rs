//! CPU-heavy jobs (argon2 hashing and verification, image decoding) run on a
//! fixed pool of worker threads, one per core, started on first use. Each
//! job holds a core and a lot of memory (an argon2 hash 19 MiB, a decoded
//! photo up to 128 MiB), so more at once only adds memory without adding
//! throughput; the rest wait in a bounded queue, as a small boxed closure.
//!
//! The threads are fixed, not tokio's ever-changing blocking threads, so that
//! memory is reused rather than spread over allocator arenas: each worker
//! owns a [`Scratch`] whose argon2 memory is allocated once and reused by
//! every hash it computes (with `spawn_blocking`, 1 180 sign-ups took RSS to
//! 498 MiB, never given back).
//!
//! A job that panics is caught: its caller gets an internal error and the
//! worker goes on with the next job.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use argon2::Block;
use tokio::sync::{mpsc, oneshot};

use crate::error::{AppError, AppResult};

/// Jobs waiting per worker before callers wait to queue theirs.
const QUEUE_PER_WORKER: usize = 64;

/// Memory a worker keeps from one job to the next, lent to the job it runs.
#[derive(Default)]
pub struct Scratch {
    argon2: Vec<Block>,
}

impl Scratch {
    /// At least `blocks` argon2 memory blocks (1 KiB each), allocated on first use and kept for the next jobs; it only grows when a job needs more (a hash stored with a larger memory cost). The blocks hold whatever the last job left: argon2 overwrites them before reading them. Errors: internal, when the memory cannot be allocated.
    pub fn argon2_memory(&mut self, blocks: usize) -> AppResult<&mut [Block]> {
        if self.argon2.len() < blocks {
            let mut grown = Vec::new();
            grown.try_reserve_exact(blocks).map_err(AppError::internal)?;
            grown.resize(blocks, Block::default());
            self.argon2 = grown;
        }
        self.argon2
            .get_mut(..blocks)
            .ok_or_else(|| AppError::internal("argon2 memory"))
    }
}

type Job = Box<dyn FnOnce(&mut Scratch) + Send>;

/// The sending side of the workers' queue, or why there are no workers.
fn queue() -> &'static Result<mpsc::Sender<Job>, String> {
    static QUEUE: OnceLock<Result<mpsc::Sender<Job>, String>> = OnceLock::new();
    QUEUE.get_or_init(start)
}

/// Start one worker per core; they share the receiving side of the queue.
fn start() -> Result<mpsc::Sender<Job>, String> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (tx, rx) = mpsc::channel::<Job>(workers * QUEUE_PER_WORKER);
    let rx = Arc::new(Mutex::new(rx));
    let mut started = 0;
    for i in 0..workers {
        let rx = Arc::clone(&rx);
        match std::thread::Builder::new()
            .name(format!("agora-cpu-{i}"))
            .spawn(move || work(&rx))
        {
            Ok(_) => started += 1,
            Err(err) => tracing::error!(error = %err, "could not start a CPU worker"),
        }
    }
    if started == 0 {
        return Err("no CPU worker could be started".to_owned());
    }
    Ok(tx)
}

/// A worker: take the next job, run it with this thread's scratch memory.
fn work(rx: &Mutex<mpsc::Receiver<Job>>) {
    let mut scratch = Scratch::default();
    loop {
        // The lock is held only while waiting for a job, which cannot panic.
        let job = rx.lock().unwrap_or_else(PoisonError::into_inner).blocking_recv();
        let Some(job) = job else { return };
        // The scratch holds no invariant a panic could break: argon2
        // overwrites its blocks before reading them.
        if catch_unwind(AssertUnwindSafe(|| job(&mut scratch))).is_err() {
            tracing::error!("a CPU job panicked");
        }
    }
}

/// Run `job` on a CPU worker once one is free, lending it the worker's [`Scratch`] memory. A job whose caller has gone (a timed-out request) is skipped. Errors: the job's own, or internal if it panicked.
pub async fn run<T: Send + 'static>(
    job: impl FnOnce(&mut Scratch) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let tx = queue().as_ref().map_err(AppError::internal)?;
    let (reply, answer) = oneshot::channel();
    let job: Job = Box::new(move |scratch: &mut Scratch| {
        if !reply.is_closed() {
            // The caller may have gone meanwhile; nothing to tell it then.
            let _ = reply.send(job(scratch));
        }
    });
    tx.send(job)
        .await
        .map_err(|_| AppError::internal("the CPU workers have stopped"))?;
    answer
        .await
        .map_err(|_| AppError::internal("a CPU job panicked"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_job_answers_an_error_and_the_workers_go_on() {
        let failed: AppResult<()> = run(|_| panic!("on purpose")).await;
        assert!(matches!(failed, Err(AppError::Internal(_))));
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        for _ in 0..workers * 2 {
            let answer = run(|scratch| Ok(scratch.argon2_memory(8)?.len())).await;
            assert_eq!(answer.ok(), Some(8));
        }
    }

    #[test]
    fn scratch_memory_is_reused_and_grows_when_asked() {
        let mut scratch = Scratch::default();
        let first = scratch.argon2_memory(16).map(|m| m.as_ptr()).ok();
        let again = scratch.argon2_memory(8).map(|m| (m.as_ptr(), m.len())).ok();
        assert_eq!(again, first.map(|p| (p, 8)));
        assert_eq!(scratch.argon2_memory(32).map(|m| m.len()).ok(), Some(32));
    }
}
