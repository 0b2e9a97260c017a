//! OpenTelemetry traces, exported over OTLP/HTTP (protobuf) when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set ([`OtlpConfig`]).
//!
//! What is traced: every HTTP request, as a server span whose parent is the
//! caller's W3C `traceparent` when it sends one ([`http`]); every GraphQL
//! query or mutation, as its child named `query Me` ([`graphql`]); and
//! every database statement run under either, as a child of whatever span
//! is current, with its SQL but never its bind values ([`db`]). Spans are
//! `tracing` spans turned into OpenTelemetry ones by `tracing-opentelemetry`,
//! so `RUST_LOG` selects them too (the default `info` keeps them all).
//!
//! Off, it costs nothing: the subscriber has no OpenTelemetry layer, nothing
//! is spawned, and each hook (the request span, the schema's extension, the
//! connections' instrumentation) asks [`enabled`], one relaxed atomic load,
//! and does what it did before.

mod config;
pub mod db;
pub mod graphql;
pub mod http;

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::runtime::Tokio;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use tracing::Subscriber;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::{SubscriberInitExt, TryInitError};

pub use config::OtlpConfig;

use crate::config::ConfigError;

/// Set once the global subscriber carries the OpenTelemetry layer.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Are spans being exported? (The hooks do nothing new when not.)
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The exporting pipeline: OTLP/HTTP exporter, batched on the Tokio runtime.
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    /// Build the exporter and its batch processor, whose task is spawned on the current Tokio runtime (call this inside one). No connection is made until the first batch.
    pub fn start(config: &OtlpConfig) -> Result<Self, ConfigError> {
        let headers = config
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), value.expose().to_owned()))
            .collect();
        let exporter = SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(config.traces_url.clone())
            .with_headers(headers)
            .build()
            .map_err(|err| ConfigError {
                name: "OTEL_EXPORTER_OTLP_ENDPOINT",
                reason: format!("cannot build the OTLP exporter: {err}"),
            })?;
        let resource = Resource::builder_empty()
            .with_service_name(config.service_name.clone())
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(BatchSpanProcessor::builder(exporter, Tokio).build())
            .with_resource(resource)
            .build();
        Ok(Telemetry { provider })
    }

    /// Export every span ended so far, and wait for the collector's answer.
    pub async fn flush(&self) -> anyhow::Result<()> {
        let provider = self.provider.clone();
        // The SDK waits for its batch task synchronously: off the runtime's
        // worker threads.
        tokio::task::spawn_blocking(move || provider.force_flush()).await??;
        Ok(())
    }

    /// Export what is left and stop (at shutdown). A failure is logged.
    pub async fn shutdown(self) {
        let provider = self.provider;
        match tokio::task::spawn_blocking(move || provider.shutdown()).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(%err, "exporting the last spans failed"),
            Err(err) => tracing::warn!(%err, "exporting the last spans failed"),
        }
    }
}

/// Install `subscriber` as the global default, with the OpenTelemetry layer on top when `telemetry` is given (and then only: off, the subscriber is exactly `subscriber`).
pub fn install<S>(subscriber: S, telemetry: Option<&Telemetry>) -> Result<(), TryInitError>
where
    S: Subscriber + for<'span> LookupSpan<'span> + Send + Sync + 'static,
{
    let Some(telemetry) = telemetry else {
        return subscriber.try_init();
    };
    let layer = tracing_opentelemetry::layer()
        .with_tracer(telemetry.provider.tracer("agora"))
        .with_location(false)
        .with_target(false)
        .with_threads(false)
        .with_tracked_inactivity(false);
    subscriber.with(layer).try_init()?;
    ENABLED.store(true, Ordering::Relaxed);
    Ok(())
}
