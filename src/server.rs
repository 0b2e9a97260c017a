//! Start-up and shutdown: logging, the pool, migrations, the configured super
//! admin, and serving until SIGTERM or Ctrl-C.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::time::Instant;

use anyhow::Context as _;
use tracing::Subscriber;
use tracing_subscriber::fmt::{self, MakeWriter};
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Registry};

use crate::accounts::users::ops::{AdminOutcome, ensure_super_admin};
use crate::config::{Config, ConfigError, LogFormat};
use crate::db::{Backend, Pool, run_migrations};
use crate::http::access::AccessSink;
use crate::state::AppState;
use crate::telemetry::{self, OtlpConfig, Telemetry};

/// Install the log subscriber (`RUST_LOG`, default `info`; `LOG_FORMAT`); an invalid `RUST_LOG` is a configuration error naming it. With `otel`, spans are exported too (call it inside the Tokio runtime then) through the returned [`Telemetry`], to be shut down last.
pub fn init_logging(format: LogFormat, otel: Option<&OtlpConfig>) -> Result<Option<Telemetry>, ConfigError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) => EnvFilter::try_new(&directives).map_err(|e| ConfigError {
            name: "RUST_LOG",
            reason: format!("{directives:?} is not a log filter: {e}"),
        })?,
        Err(_) => EnvFilter::new("info"),
    };
    let telemetry = otel.map(Telemetry::start).transpose()?;
    // Logs go to stderr: stdout stays for command output (`schema`, `seed-demo`).
    // Colours only for a terminal: a file or a log collector gets plain text.
    let ansi = std::io::stderr().is_terminal();
    let subscriber = log_subscriber(format, ansi, crate::log_sink::stderr()).with(filter);
    // A second init (tests) keeps the first subscriber.
    let _ = telemetry::install(subscriber, telemetry.as_ref());
    Ok(telemetry)
}

/// The log lines, in `format`, to `writer`: access lines as `http::access::AccessSink` writes them, everything else as `tracing-subscriber`'s formatter does. Add a filter on top.
pub fn log_subscriber<W>(
    format: LogFormat,
    ansi: bool,
    writer: W,
) -> impl Subscriber + for<'s> LookupSpan<'s> + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Clone + Send + Sync + 'static,
{
    let access = AccessSink::new(format, writer.clone());
    let lines: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Pretty => fmt::layer()
            .with_ansi(ansi)
            .with_writer(writer)
            .and_then(access)
            .boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_span_list(false)
            .with_writer(writer)
            .and_then(access)
            .boxed(),
    };
    tracing_subscriber::registry().with(lines)
}

/// Open the pool and apply pending migrations.
pub async fn connect(config: &Config) -> anyhow::Result<Pool> {
    let backend = Backend::from_url(&config.database_url);
    let pool = Pool::new(&backend, config.database_pool_size)?;
    let applied = run_migrations(&pool).await.map_err(|err| {
        // The pool's own words ("Error occurred while creating a new
        // object: …") say nothing to an operator; the last clause does.
        let text = err.to_string();
        let cause = text.rsplit(": ").next().unwrap_or(&text).to_owned();
        anyhow::anyhow!("cannot open {}: {cause}", target(&backend))
    })?;
    tracing::info!(database = backend.name(), applied, "database ready");
    Ok(pool)
}

/// Where the database is, for start-up errors: host, port and database of a PostgreSQL URL (never its password), or the SQLite file.
fn target(backend: &Backend) -> String {
    match backend {
        Backend::Postgres(url) => {
            let base = url.split('?').next().unwrap_or(url);
            match base.parse::<tokio_postgres::Config>() {
                Ok(pg) => {
                    let host = match pg.get_hosts().first() {
                        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
                        _ => "localhost".to_owned(),
                    };
                    let port = pg.get_ports().first().copied().unwrap_or(5432);
                    let database = pg.get_dbname().or(pg.get_user()).unwrap_or("postgres");
                    format!("PostgreSQL at {host}:{port}, database {database}")
                }
                Err(_) => "the PostgreSQL database of DATABASE_URL".to_owned(),
            }
        }
        Backend::Sqlite(path) => format!("the SQLite database {path}"),
    }
}

/// How long running jobs get to finish at shutdown before they are given back.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// Run the background work only (workers, mail, housekeeping; no HTTP) until SIGTERM or Ctrl-C: `agora worker`, for deployments that separate the two.
pub async fn work(config: Config) -> anyhow::Result<()> {
    let pool = connect(&config).await?;
    let state = AppState::new(pool.clone(), config)?;
    let workers = crate::background::start(&state);
    tracing::info!(
        concurrency = state.config.jobs.concurrency,
        "working the job queue"
    );
    shutdown_signal().await;
    workers.shutdown(SHUTDOWN_GRACE).await;
    pool.close();
    tracing::info!("stopped");
    Ok(())
}

/// Serve until SIGTERM or Ctrl-C, then finish in-flight requests.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let started = Instant::now();
    if config.uses_dev_secret() {
        tracing::warn!("JWT_SECRET is not set: using the fixed development secret (never in production)");
    }
    let pool = connect(&config).await?;
    let state = AppState::new(pool.clone(), config.clone())?;
    if let (Some(email), Some(password)) = (&config.admin_email, &config.admin_password) {
        match ensure_super_admin(&state, email, password.expose().to_owned()).await {
            Ok(AdminOutcome::Created) => tracing::info!(%email, "super admin created"),
            Ok(AdminOutcome::AlreadyExists) => tracing::debug!(%email, "super admin present"),
            Err(err) => anyhow::bail!("ADMIN_EMAIL/ADMIN_PASSWORD: {err}"),
        }
    }
    let workers = crate::background::start(&state);
    crate::events::listen(&state);
    if config.mail.smtp_url.is_none() {
        tracing::warn!("SMTP_URL is not set: mail is written to the log, not sent (development only)");
    }
    let addr = SocketAddr::new(config.host, config.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let metrics = crate::metrics::Listener::start(&state).await?;
    tracing::info!(
        %addr,
        env = ?config.app_env,
        graphiql = config.graphiql,
        ready_ms = started.elapsed().as_millis() as u64,
        "serving GraphQL at http://{addr}/graphql"
    );
    axum::serve(
        listener,
        crate::app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    if let Some(metrics) = metrics {
        metrics.stop().await;
    }
    workers.shutdown(SHUTDOWN_GRACE).await;
    pool.close();
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
