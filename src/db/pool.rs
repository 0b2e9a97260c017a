//! The connection pool: PostgreSQL through `AsyncPgConnection`, SQLite through
//! `SyncConnectionWrapper<SqliteConnection>`, both pooled by deadpool.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent};

use diesel::SqliteConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool as Deadpool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;

use super::tls::{self, PgUrl};
use crate::telemetry::db::instrument;

/// A SQLite connection driven from async code (queries run on blocking threads). Its blocking calls carry the caller's span when traces are exported.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection, crate::telemetry::db::Blocking>;

/// Applied to every new SQLite connection. `busy_timeout` is per connection; WAL is persistent in the file; foreign keys are off unless asked for.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000;\
     PRAGMA journal_mode = WAL;\
     PRAGMA synchronous = NORMAL;\
     PRAGMA foreign_keys = ON;";

/// How long a request waits for a free connection before it is answered `SERVICE_UNAVAILABLE`.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which database a `DATABASE_URL` selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A PostgreSQL URL (`postgres://…` or `postgresql://…`).
    Postgres(String),
    /// A SQLite file path (`sqlite://path`, `sqlite:path` or a bare path).
    Sqlite(String),
}

impl Backend {
    /// Read a `DATABASE_URL`.
    pub fn from_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Backend::Postgres(url.to_owned());
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Backend::Sqlite(path.to_owned())
    }

    /// `"postgres"` or `"sqlite"`, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Postgres(_) => "postgres",
            Backend::Sqlite(_) => "sqlite",
        }
    }
}

/// A failure to get a connection.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// The pool could not be built or the database could not be reached.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// `DATABASE_URL` asks for something impossible (an unknown `sslmode`, an unreadable `sslrootcert`).
    #[error("invalid DATABASE_URL: {0}")]
    Config(String),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
}

/// The pool of database connections; cheap to clone.
#[derive(Clone)]
pub struct Pool {
    backend: Backends,
    statements: Arc<AtomicU64>,
}

#[derive(Clone)]
enum Backends {
    Pg(Deadpool<AsyncPgConnection>),
    Sqlite(Deadpool<SqliteConn>),
}

/// Counts every statement a connection starts (for tests and benchmarks that check a request's statement count stays flat).
fn counting(statements: &Arc<AtomicU64>) -> impl Instrumentation + use<> {
    let statements = statements.clone();
    move |event: InstrumentationEvent<'_>| {
        if matches!(event, InstrumentationEvent::StartQuery { .. }) {
            statements.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One pooled connection, returned to the pool on drop.
#[expect(
    clippy::large_enum_variant,
    reason = "a checked-out connection lives once per request; boxing would add an allocation per checkout"
)]
pub enum Conn {
    /// PostgreSQL.
    Pg(Object<AsyncPgConnection>),
    /// SQLite.
    Sqlite(Object<SqliteConn>),
}

impl Pool {
    /// Build a pool for `backend` with at most `max_size` connections. No connection is opened yet; call [`crate::db::run_migrations`] next.
    ///
    /// Connections are recycled without a test query (`RecyclingMethod::Fast`): a ping per checkout doubled the statements of a request. A connection the server dropped fails its next query once and is then discarded.
    pub fn new(backend: &Backend, max_size: usize) -> Result<Self, PoolError> {
        let statements = Arc::new(AtomicU64::new(0));
        let timeouts = deadpool::managed::Timeouts {
            wait: Some(CHECKOUT_TIMEOUT),
            create: Some(CHECKOUT_TIMEOUT),
            recycle: Some(CHECKOUT_TIMEOUT),
        };
        match backend {
            Backend::Postgres(url) => {
                let url = PgUrl::parse(url).map_err(PoolError::Config)?;
                let tls = url.connector().map_err(PoolError::Config)?;
                let mut config = ManagerConfig::<AsyncPgConnection>::default();
                config.recycling_method = RecyclingMethod::Fast;
                let counter = statements.clone();
                config.custom_setup = Box::new(move |url: &str| {
                    let (url, counter, tls) = (url.to_owned(), counter.clone(), tls.clone());
                    async move {
                        let mut conn = tls::connect(&url, tls.as_ref()).await?;
                        conn.set_instrumentation(instrument(counting(&counter), "postgresql"));
                        Ok(conn)
                    }
                    .boxed()
                });
                let manager =
                    AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url.url, config);
                Deadpool::builder(manager)
                    .max_size(max_size)
                    .timeouts(timeouts)
                    .runtime(deadpool::Runtime::Tokio1)
                    .build()
                    .map(|p| Pool {
                        backend: Backends::Pg(p),
                        statements,
                    })
                    .map_err(|e| PoolError::Unavailable(e.to_string()))
            }
            Backend::Sqlite(path) => {
                // An in-memory database exists once per connection.
                let max_size = if path == ":memory:" { 1 } else { max_size };
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.recycling_method = RecyclingMethod::Fast;
                let counter = statements.clone();
                config.custom_setup = Box::new(move |url: &str| {
                    let (url, counter) = (url.to_owned(), counter.clone());
                    async move {
                        let mut conn = SqliteConn::establish(&url).await?;
                        conn.batch_execute(SQLITE_PRAGMAS)
                            .await
                            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                        conn.set_instrumentation(instrument(counting(&counter), "sqlite"));
                        Ok(conn)
                    }
                    .boxed()
                });
                let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(path, config);
                Deadpool::builder(manager)
                    .max_size(max_size)
                    .timeouts(timeouts)
                    .runtime(deadpool::Runtime::Tokio1)
                    .build()
                    .map(|p| Pool {
                        backend: Backends::Sqlite(p),
                        statements,
                    })
                    .map_err(|e| PoolError::Unavailable(e.to_string()))
            }
        }
    }

    /// Check a connection out of the pool.
    pub async fn get(&self) -> Result<Conn, PoolError> {
        match &self.backend {
            Backends::Pg(p) => p.get().await.map(Conn::Pg),
            Backends::Sqlite(p) => p.get().await.map(Conn::Sqlite),
        }
        .map_err(|e| PoolError::Unavailable(e.to_string()))
    }

    /// `"postgres"` or `"sqlite"`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backends::Pg(_) => "postgres",
            Backends::Sqlite(_) => "sqlite",
        }
    }

    /// Close the pool: connections are dropped as they come back.
    pub fn close(&self) {
        match &self.backend {
            Backends::Pg(p) => p.close(),
            Backends::Sqlite(p) => p.close(),
        }
    }

    /// Connections: the most allowed, open, idle, and tasks waiting.
    pub fn status(&self) -> deadpool::Status {
        match &self.backend {
            Backends::Pg(p) => p.status(),
            Backends::Sqlite(p) => p.status(),
        }
    }

    /// Statements started on this pool's connections so far.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
}

impl Conn {
    /// Run `SELECT 1`: is the database answering?
    pub async fn ping(&mut self) -> Result<(), diesel::result::Error> {
        crate::with_conn!(self, |c| c.batch_execute("SELECT 1").await)
    }
}
