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

use std::fmt;
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
    // Shared with the request (reference-counted), not copied.
    let method = request.method().clone();
    let uri = request.uri().clone();
    let request_id = request.headers().get("x-request-id").cloned();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let note = response.extensions().get::<AccessNote>();
    if let Some(recording) = recording {
        let route = response.extensions().get::<MatchedPath>();
        recording.finish(route, response.status().as_u16(), elapsed, note);
    }
    if tracing::enabled!(target: TARGET, tracing::Level::INFO) {
        let request_id = request_id
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        tracing::info!(
            target: TARGET,
            method = method.as_str(),
            path = uri.path(),
            status = response.status().as_u16(),
            latency_ms = tracing::field::display(Millis(elapsed)),
            request_id,
            operation = note.and_then(|n| n.operation.as_deref()).unwrap_or(""),
            operation_type = note.and_then(|n| n.kind).unwrap_or(""),
            error_codes = tracing::field::display(Codes(note.map_or(&[], |n| &n.codes))),
            user_id = tracing::field::display(Viewer(note.and_then(|n| n.user))),
            "request"
        );
    }
    response
}

/// A duration in milliseconds with two decimals (`1.50`), formatted without floating point.
struct Millis(std::time::Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hundredths = (self.0.as_micros() + 5) / 10;
        write!(f, "{}.{:02}", hundredths / 100, hundredths % 100)
    }
}

/// Error codes, comma-separated.
struct Codes<'a>(&'a [String]);

impl fmt::Display for Codes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, code) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(code)?;
        }
        Ok(())
    }
}

/// The signed-in user's id, or nothing.
struct Viewer(Option<UserId>);

impl fmt::Display for Viewer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => fmt::Display::fmt(&id, f),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn latency_is_rounded_to_hundredths_of_a_millisecond() {
        let shown = |micros| Millis(Duration::from_micros(micros)).to_string();
        assert_eq!(shown(0), "0.00");
        assert_eq!(shown(1_504), "1.50");
        assert_eq!(shown(1_505), "1.51");
        assert_eq!(shown(12_345_678), "12345.68");
    }

    #[test]
    fn codes_are_comma_separated() {
        let codes = ["A".to_owned(), "B".to_owned()];
        assert_eq!(Codes(&codes).to_string(), "A,B");
        assert_eq!(Codes(&[]).to_string(), "");
    }
}
