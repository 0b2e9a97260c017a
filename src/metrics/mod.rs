//! Prometheus metrics, served in the text exposition format on their own
//! listener (`METRICS_ADDR`; unset, nothing is recorded or served):
//! HTTP requests and their latency by route, method and status; GraphQL
//! operations by name, type and outcome, and errors by code; the database
//! pool; the process's memory and CPU.
//!
//! Requests are recorded by the access-log middleware
//! (`crate::http::access`), through [`Metrics::start`] and
//! [`Recording::finish`]: a few relaxed atomic additions and, per label
//! value, one hash and a lookup in a fixed table, with no lock and no
//! allocation once a value has been seen. The route label is the router's
//! pattern, which the middleware learns from `http::RouteTable`. The registry belongs to the
//! application state (one per [`AppState`], so tests do not share counters);
//! the pool and the process are read when scraped.

mod bounded;
pub mod config;
mod histogram;
mod operations;
mod process;
mod requests;
mod text;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::http::{Request, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use self::config::MetricsConfig;
use self::operations::Operations;
use self::requests::{Pending, Requests};
use self::text::{Kind, Text};
use crate::db::Pool;
use crate::http::access::AccessNote;
use crate::state::AppState;

/// Every counter; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Metrics {
    requests: Requests,
    operations: Operations,
}

/// A request being answered, to count once its response is ready.
#[derive(Debug, Clone, Copy)]
pub struct Recording<'a> {
    metrics: &'a Metrics,
    request: Pending<'a>,
}

impl Metrics {
    /// Empty counters for `config`.
    pub fn new(config: &MetricsConfig) -> Self {
        Metrics {
            requests: Requests::default(),
            operations: Operations::new(config.max_operation_names),
        }
    }

    /// Note a request's method and route (the router's pattern it takes; `None`: no route matches) before it is handled.
    pub fn start<B>(&self, request: &Request<B>, route: Option<&str>) -> Recording<'_> {
        Recording {
            metrics: self,
            request: self.requests.start(request, route),
        }
    }

    /// The scrape: every family, the pool's and the process's read now.
    pub fn render(&self, pool: &Pool) -> String {
        let mut text = Text::default();
        self.requests.write(&mut text);
        self.operations.write(&mut text);
        write_pool(&mut text, pool);
        process::write(&mut text);
        text.finish()
    }
}

impl Recording<'_> {
    /// Count the response: its status, the time it took and, for GraphQL, what its note says.
    pub fn finish(self, status: u16, elapsed: Duration, note: Option<&AccessNote>) {
        self.request.finish(status, elapsed);
        if let Some(note) = note {
            self.metrics.operations.record(note);
        }
    }
}

/// The pool's gauges, from deadpool's status.
fn write_pool(text: &mut Text, pool: &Pool) {
    let status = pool.status();
    let gauges = [
        (
            "agora_db_pool_max_size",
            "Connections the database pool may open (DATABASE_POOL_SIZE).",
            status.max_size,
        ),
        (
            "agora_db_pool_size",
            "Connections the database pool holds open.",
            status.size,
        ),
        (
            "agora_db_pool_in_use",
            "Open connections checked out of the pool.",
            status.size.saturating_sub(status.available),
        ),
        (
            "agora_db_pool_waiting",
            "Tasks waiting for a connection.",
            status.waiting,
        ),
    ];
    for (name, help, value) in gauges {
        text.family(name, Kind::Gauge, help);
        text.sample(name, &[], value);
    }
}

/// What the scrape handler reads.
#[derive(Clone)]
struct Scrape {
    metrics: Arc<Metrics>,
    pool: Pool,
}

/// `GET /metrics` over `state`'s registry and pool; `None` when metrics are off.
pub fn router(state: &AppState) -> Option<Router> {
    let metrics = state.metrics.clone()?;
    let scrape = Scrape {
        metrics,
        pool: state.pool.clone(),
    };
    Some(
        Router::new()
            .route("/metrics", get(serve_scrape))
            .with_state(scrape),
    )
}

async fn serve_scrape(State(scrape): State<Scrape>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, text::CONTENT_TYPE)],
        scrape.metrics.render(&scrape.pool),
    )
}

/// The metrics listener, serving until [`Listener::stop`].
#[derive(Debug)]
pub struct Listener {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Listener {
    /// Bind `METRICS_ADDR` and serve `GET /metrics` on it; `None` when metrics are off. A failure to bind is an error naming the variable.
    pub async fn start(state: &AppState) -> anyhow::Result<Option<Self>> {
        let (Some(addr), Some(router)) = (state.config.metrics.addr, router(state)) else {
            return Ok(None);
        };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on METRICS_ADDR={addr}"))?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let server = axum::serve(listener, router).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        let task = tokio::spawn(std::future::IntoFuture::into_future(server));
        tracing::info!(%addr, "serving metrics at http://{addr}/metrics");
        Ok(Some(Listener { addr, stop, task }))
    }

    /// Where it listens (the port chosen when `METRICS_ADDR` asked for 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop serving and wait for the server to end.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::error!(%err, "the metrics listener failed"),
            Err(err) => tracing::error!(%err, "the metrics listener panicked"),
        }
    }
}
