//! Embedded migrations, one folder per backend, applied at start.

use diesel::backend::Backend;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{Conn, Pool, PoolError};

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Apply every pending migration; returns how many were applied.
///
/// The harness is synchronous, so it runs on a blocking thread through `AsyncConnectionWrapper` (which needs a multi-threaded runtime).
pub async fn run_migrations(pool: &Pool) -> Result<usize, PoolError> {
    let conn = pool.get().await?;
    tokio::task::spawn_blocking(move || match conn {
        Conn::Pg(obj) => {
            let mut wrapped: AsyncConnectionWrapper<_> = AsyncConnectionWrapper::from(obj);
            apply(&mut wrapped, PG_MIGRATIONS)
        }
        Conn::Sqlite(obj) => {
            let mut wrapped: AsyncConnectionWrapper<_> = AsyncConnectionWrapper::from(obj);
            apply(&mut wrapped, SQLITE_MIGRATIONS)
        }
    })
    .await
    .map_err(|e| PoolError::Migration(e.to_string()))?
}

fn apply<DB: Backend>(
    conn: &mut impl MigrationHarness<DB>,
    migrations: EmbeddedMigrations,
) -> Result<usize, PoolError> {
    conn.run_pending_migrations(migrations)
        .map(|applied| applied.len())
        .map_err(|e| PoolError::Migration(e.to_string()))
}
