//! How an access-log line is written: the log's event formatter hands the
//! events of [`TARGET`] to [`AccessLines`], which writes their fields
//! straight into the line (JSON or `key=value`, as `LOG_FORMAT` says).
//!
//! `tracing-subscriber`'s formatter, which writes every other line, is
//! general: its JSON mode gathers the fields into a map of JSON values and
//! serialises the current span by re-parsing its stored fields. For the one
//! line every request writes, that cost ~45k instructions, a quarter of a
//! `{ __typename }` request (docs/BENCHMARKS.md). The event is still a
//! `tracing` event: `RUST_LOG` selects it, and other layers (OpenTelemetry)
//! see it as before.

use std::fmt::{self, Write};

use chrono::{SecondsFormat, Utc};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::registry::LookupSpan;

use crate::config::LogFormat;

/// The access log's target.
pub const TARGET: &str = "agora::access";

/// An event formatter: the events of [`TARGET`] as access lines in `format`, every other event as `inner` formats it.
pub struct AccessLines<F> {
    format: LogFormat,
    inner: F,
}

impl<F> AccessLines<F> {
    /// Access lines in `format`, other lines by `inner`.
    pub fn new(format: LogFormat, inner: F) -> Self {
        AccessLines { format, inner }
    }
}

impl<S, N, F> FormatEvent<S, N> for AccessLines<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if event.metadata().target() != TARGET {
            return self.inner.format_event(ctx, writer, event);
        }
        write_line(self.format, &mut writer, event)
    }
}

/// One access line, ending in a newline, built in one buffer and written at once.
fn write_line(format: LogFormat, out: &mut impl Write, event: &Event<'_>) -> fmt::Result {
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
    let level = event.metadata().level().as_str();
    let mut line = String::with_capacity(384);
    match format {
        LogFormat::Json => {
            for part in [
                r#"{"timestamp":""#,
                &now,
                r#"","level":""#,
                level,
                r#"","target":""#,
                TARGET,
                "\"",
            ] {
                line.push_str(part);
            }
            event.record(&mut JsonFields(&mut line));
            line.push_str("}\n");
        }
        LogFormat::Pretty => {
            let _ = write!(line, "{now} {level:>5} {TARGET}:");
            event.record(&mut PrettyFields(&mut line));
            line.push('\n');
        }
    }
    out.write_str(&line)
}

/// Fields as `,"name":value` (numbers bare, everything else a JSON string).
struct JsonFields<'a>(&'a mut String);

impl JsonFields<'_> {
    fn name(&mut self, field: &Field) {
        self.0.push_str(",\"");
        self.0.push_str(field.name());
        self.0.push_str("\":");
    }
}

impl Visit for JsonFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.name(field);
        json_string(self.0, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.name(field);
        let _ = write!(self.0, "{value}");
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.name(field);
        let _ = write!(self.0, "{value}");
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.name(field);
        self.0.push_str(if value { "true" } else { "false" });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.name(field);
        self.0.push('"');
        let _ = write!(Escaped(self.0), "{value:?}");
        self.0.push('"');
    }
}

/// Text written into a JSON string literal, escaped on the way.
struct Escaped<'a>(&'a mut String);

impl Write for Escaped<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        escape(self.0, text);
        Ok(())
    }
}

/// `value` as a JSON string literal.
fn json_string(out: &mut String, value: &str) {
    out.push('"');
    escape(out, value);
    out.push('"');
}

/// `value`'s characters as they are written inside a JSON string literal.
fn escape(out: &mut String, value: &str) {
    let mut rest = value;
    while let Some(at) = rest.bytes().position(|b| b == b'"' || b == b'\\' || b < b' ') {
        out.push_str(&rest[..at]);
        match rest.as_bytes()[at] {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b => {
                let _ = write!(out, "\\u{b:04x}");
            }
        }
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// Fields as ` name=value`, the message bare, strings quoted as `tracing` prints them.
struct PrettyFields<'a>(&'a mut String);

impl Visit for PrettyFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    /// The line one access event becomes in `format`.
    fn line_of(format: LogFormat) -> String {
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        let writer = move || Sink(sink.clone());
        let lines = tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .map_event_format(|inner| AccessLines::new(format, inner));
        let subscriber = tracing_subscriber::registry().with(lines);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                target: TARGET,
                method = "POST",
                path = "/a\"b",
                status = 200u16,
                latency_ms = format_args!("{:.2}", 1.5),
                "request"
            );
        });
        let bytes = out.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }

    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut out) = self.0.lock() {
                out.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_json_line_is_one_object_with_every_field() {
        let line = line_of(LogFormat::Json);
        assert!(line.ends_with("}\n") && line.matches('\n').count() == 1, "{line}");
        let value: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(value["level"], "INFO");
        assert_eq!(value["target"], TARGET);
        assert_eq!(value["message"], "request");
        assert_eq!(value["method"], "POST");
        assert_eq!(value["path"], "/a\"b");
        assert_eq!(value["status"], 200);
        assert_eq!(value["latency_ms"], "1.50");
        let stamp = value["timestamp"].as_str().unwrap_or_default();
        assert!(stamp.parse::<chrono::DateTime<Utc>>().is_ok(), "{stamp}");
    }

    #[test]
    fn a_pretty_line_reads_like_the_others() {
        let line = line_of(LogFormat::Pretty);
        let (stamp, rest) = line.split_once(' ').unwrap_or_default();
        assert!(stamp.parse::<chrono::DateTime<Utc>>().is_ok(), "{line}");
        assert_eq!(
            rest,
            " INFO agora::access: request method=\"POST\" path=\"/a\\\"b\" status=200 latency_ms=1.50\n"
        );
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut out = String::new();
        json_string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
        let parsed: String = serde_json::from_str(&out).unwrap_or_default();
        assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
    }
}
