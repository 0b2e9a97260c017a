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
use std::time::{Duration, Instant};

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
        let mut latency = [0u8; MILLIS_LEN];
        let codes = note.map(|n| n.codes.join(",")).unwrap_or_default();
        let user_id = note
            .and_then(|n| n.user)
            .map(|u| u.to_string())
            .unwrap_or_default();
        tracing::info!(
            target: TARGET,
            method = method.as_str(),
            path = uri.path(),
            status = response.status().as_u16(),
            latency_ms = millis(elapsed, &mut latency),
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

/// Room for [`millis`]: up to 20 digits, a point and two decimals.
const MILLIS_LEN: usize = 24;

/// `elapsed` in milliseconds with two decimals (`1.50`), written into `buffer` without `core::fmt` or floating point, which cost more than the rest of the line.
fn millis(elapsed: Duration, buffer: &mut [u8; MILLIS_LEN]) -> &str {
    let hundredths = elapsed
        .as_secs()
        .saturating_mul(100_000)
        .saturating_add(u64::from((elapsed.subsec_micros() + 5) / 10));
    // At least three digits ("005"), then the point before the last two.
    let mut digits = [0; 20];
    let digits = line::decimal(hundredths, 3, &mut digits).as_bytes();
    let (whole, cents) = digits.split_at(digits.len() - 2);
    let end = digits.len() + 1;
    buffer[..whole.len()].copy_from_slice(whole);
    buffer[whole.len()] = b'.';
    buffer[whole.len() + 1..end].copy_from_slice(cents);
    std::str::from_utf8(&buffer[..end]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_rounded_to_hundredths_of_a_millisecond() {
        let shown = |micros| millis(Duration::from_micros(micros), &mut [0; MILLIS_LEN]).to_owned();
        assert_eq!(shown(0), "0.00");
        assert_eq!(shown(4), "0.00");
        assert_eq!(shown(5), "0.01");
        assert_eq!(shown(1_504), "1.50");
        assert_eq!(shown(1_505), "1.51");
        assert_eq!(shown(12_345_678), "12345.68");
        let longest = millis(Duration::MAX, &mut [0; MILLIS_LEN]).to_owned();
        assert_eq!(longest, "184467440737095516.15");
    }
}
