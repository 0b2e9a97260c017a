//! The access log: one line per request at `info` (target `agora::access`),
//! with the method, path (never the query string: a GET query's variables
//! stay out), status, latency, request id, and, for GraphQL, the operation's
//! name and type, the error codes it answered and the signed-in viewer's
//! user id. Never a token, a password or a variable.
//!
//! Handlers describe a GraphQL request by putting an [`AccessNote`] in the
//! response's extensions; this middleware logs the line, and counts the
//! request in the Prometheus metrics when they are on (`crate::metrics`).
//! The line is a `tracing` event written by a layer of its own ([`line`]).

mod line;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::db::UserId;
use crate::metrics::Metrics;

pub use line::{AccessLines, TARGET};

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

/// Write the request's line once the response is ready (and count it in `metrics`, when on).
pub async fn log(State(metrics): State<Option<Arc<Metrics>>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let recording = metrics.as_deref().map(|m| m.start(&request));
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    if let Some(recording) = recording {
        let route = response.extensions().get::<MatchedPath>();
        let note = response.extensions().get::<AccessNote>();
        recording.finish(route, response.status().as_u16(), elapsed, note);
    }
    if tracing::enabled!(target: TARGET, tracing::Level::INFO) {
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        let note = response.extensions().get::<AccessNote>();
        let codes = note.map(|n| n.codes.join(",")).unwrap_or_default();
        let user_id = note
            .and_then(|n| n.user)
            .map(|u| u.to_string())
            .unwrap_or_default();
        tracing::info!(
            target: TARGET,
            method = method.as_str(),
            path,
            status = response.status().as_u16(),
            latency_ms = format_args!("{latency_ms:.2}"),
            request_id,
            operation = note.and_then(|n| n.operation.as_deref()).unwrap_or(""),
            operation_type = note.and_then(|n| n.kind).unwrap_or(""),
            error_codes = codes,
            user_id,
            "request"
        );
    }
    response
}
