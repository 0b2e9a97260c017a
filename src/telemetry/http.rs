//! The request span when traces are exported: the HTTP server semantic
//! conventions (`http.request.method`, `url.path`, `http.route`,
//! `http.response.status_code`, an error status on 5xx), named
//! `{method} {route}`, and the child of the caller's span when the request
//! carries a W3C `traceparent`.
//!
//! The span has the log's `request` span's `request_id`, plus `method` and
//! `path`; the conventions' attributes are set on the OpenTelemetry span
//! only, so log lines do not repeat them. The route is the pattern the
//! router will match (`http::routes`), known before the request is routed.

use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderMap, Response};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::Status;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tower_http::trace::DefaultOnResponse;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::enabled;
use crate::http::RouteTable;

/// The W3C Trace Context header.
const TRACEPARENT: &str = "traceparent";

/// The request's span when traces are exported; `None` when not (the caller then makes its usual span).
pub fn request_span(request: &Request, table: &RouteTable) -> Option<Span> {
    if !enabled() {
        return None;
    }
    let method = request.method().as_str();
    let path = request.uri().path();
    let headers = request.headers();
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let route = table.of(path);
    let name = match route {
        Some(route) => format!("{method} {route}"),
        None => method.to_owned(),
    };
    let span = tracing::info_span!(
        target: "agora::http",
        "request",
        method,
        path,
        request_id,
        otel.name = name.as_str(),
        otel.kind = "server",
    );
    span.set_attribute("http.request.method", method.to_owned());
    span.set_attribute("url.path", path.to_owned());
    if let Some(route) = route {
        span.set_attribute("http.route", route.to_owned());
    }
    if headers.contains_key(TRACEPARENT) {
        let parent = TraceContextPropagator::new().extract(&Headers(headers));
        // Refused only without the layer, which `enabled` rules out.
        let _ = span.set_parent(parent);
    }
    Some(span)
}

/// The request headers, as the propagator reads them.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// tower-http's response hook, recording the status on the request span when traces are exported, then doing what the default hook does.
#[derive(Clone, Default)]
pub struct RecordStatus(DefaultOnResponse);

impl<B> tower_http::trace::OnResponse<B> for RecordStatus {
    fn on_response(self, response: &Response<B>, latency: Duration, span: &Span) {
        if enabled() {
            let status = response.status();
            span.set_attribute("http.response.status_code", i64::from(status.as_u16()));
            if status.is_server_error() {
                span.set_status(Status::error(status.to_string()));
            }
        }
        self.0.on_response(response, latency, span);
    }
}
