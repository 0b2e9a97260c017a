//! What every request shares: the pool, configuration, keys, the session
//! cache, the event bus, the mailer, the workers' signal, object storage,
//! the GraphQL documents known by hash, and the metrics.

use std::sync::Arc;

use crate::auth::SessionCache;
use crate::auth::tokens::TokenKeys;
use crate::config::{Config, ConfigError};
use crate::db::Pool;
use crate::events::Events;
use crate::mail::deliver::Transport;
use crate::metrics::Metrics;
use crate::persisted::Documents;
use crate::storage::Storage;
use crate::tx::Signal;

/// Shared application state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Database connections.
    pub pool: Pool,
    /// Configuration read at start.
    pub config: Arc<Config>,
    /// Access-token keys.
    pub keys: Arc<TokenKeys>,
    /// Recent session checks.
    pub sessions: Arc<SessionCache>,
    /// Fan-out of domain events to subscriptions.
    pub events: Events,
    /// Where mail goes (`SMTP_URL`, or the log).
    pub mailer: Arc<Transport>,
    /// Wakes this instance's job workers after jobs were committed.
    pub jobs: Signal,
    /// Uploaded files (`STORAGE_URL`).
    pub storage: Storage,
    /// Trusted documents, registered persisted queries, parsed documents.
    pub documents: Arc<Documents>,
    /// Prometheus counters, when `METRICS_ADDR` is set.
    pub metrics: Option<Arc<Metrics>>,
}

impl AppState {
    /// State over a migrated pool, opening the object store (a bad `STORAGE_URL` is refused here).
    pub fn new(pool: Pool, config: Config) -> Result<Self, ConfigError> {
        Ok(AppState {
            pool,
            keys: Arc::new(TokenKeys::new(&config)),
            storage: Storage::open(&config.storage_url)?,
            documents: Arc::new(Documents::load(
                config.trusted_documents.mode,
                config.trusted_documents.file.as_deref(),
            )?),
            metrics: config
                .metrics
                .addr
                .map(|_| Arc::new(Metrics::new(&config.metrics))),
            mailer: Arc::new(Transport::new(&config.mail).map_err(|e| ConfigError {
                name: "SMTP_URL",
                reason: e.message(),
            })?),
            config: Arc::new(config),
            sessions: Arc::new(SessionCache::default()),
            events: Events::default(),
            jobs: Signal::default(),
        })
    }
}
