//! The access log: one line per request at `info` (target `agora::access`),
//! with the method, path (never the query string: a GET query's variables
//! stay out), status, latency, request id, and, for GraphQL, the operation's
//! name and type, the error codes it answered and the signed-in viewer's
//! user id. Never a token, a password or a variable.
//!
//! Handlers describe a GraphQL request by putting an [`AccessNote`] in the
//! response's extensions; this middleware logs the line, and counts the
//! request in the Prometheus metrics when they are on (`crate::metrics`).
//! The line is written by [`AccessSink`], a layer of the log subscriber,
//! when `RUST_LOG` enables the target ([`line`]).

mod line;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::RouteTable;
use crate::db::UserId;
use crate::metrics::Metrics;

use line::Entry;
pub use line::{AccessSink, TARGET};

/// What a GraphQL request was, for its access-log line.
#[derive(Debug, Clone, Default)]
pub struct AccessNote {
    /// The operation's name, when it has one.
    pub operation: Option<String>,
    /// `query`, `mutation` or `subscription`.
    pub kind: Option<&'static str>,
    /// The `extensions.code` of every error answered, in order, repeats dropped.
    pub codes: Vec<String>,
    /// The signed-in viewer.
    pub user: Option<UserId>,
    /// Whether an operation reached execution: false when the request was refused first, or its document did not parse or validate.
    pub executed: bool,
}

impl AccessNote {
    /// Add an error code, once.
    pub fn code(&mut self, code: &str) {
        if !self.codes.iter().any(|c| c == code) {
            self.codes.push(code.to_owned());
        }
    }
}

/// What the access layer needs: the metrics, when on, and the routes, to label them.
#[derive(Clone)]
pub struct Access {
    /// Where requests are counted; `None` when metrics are off.
    pub metrics: Option<Arc<Metrics>>,
    /// The router's patterns.
    pub table: RouteTable,
}

/// Write the request's line once the response is ready (and count it in the metrics, when on).
pub async fn log(State(access): State<Access>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let recording = access
        .metrics
        .as_deref()
        .map(|m| m.start(&request, access.table.of(request.uri().path())));
    // Shared with the request (reference-counted), not copied.
    let method = request.method().clone();
    let uri = request.uri().clone();
    let request_id = request.headers().get("x-request-id").cloned();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let note = response.extensions().get::<AccessNote>();
    if let Some(recording) = recording {
        recording.finish(response.status().as_u16(), elapsed, note);
    }
    if tracing::enabled!(target: TARGET, tracing::Level::INFO) {
        let entry = Entry {
            method: method.as_str(),
            path: uri.path(),
            status: response.status().as_u16(),
            elapsed,
            request_id: request_id
                .as_ref()
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default(),
            note,
        };
        tracing::dispatcher::get_default(|dispatch| {
            if let Some(sink) = dispatch.downcast_ref::<AccessSink>() {
                sink.write(&entry);
            }
        });
    }
    response
}
