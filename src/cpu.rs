//! CPU-heavy jobs (argon2 hashing, image decoding) run on blocking threads,
//! at most one per core at a time. Each holds a core and a lot of memory
//! (an argon2 hash 19 MiB, a decoded photo up to 128 MiB), so more at once
//! only adds memory without adding throughput (32 concurrent logins once
//! held 690 MiB); the rest wait their turn.

use std::sync::OnceLock;

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

/// Run `job` on a blocking thread once a core is free.
pub async fn run<T: Send + 'static>(job: impl FnOnce() -> AppResult<T> + Send + 'static) -> AppResult<T> {
    let _slot = slots().acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(job)
        .await
        .map_err(AppError::internal)?
}
