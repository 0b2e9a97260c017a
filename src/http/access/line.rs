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

use std::cell::RefCell;
use std::fmt::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
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

/// One access line, ending in a newline, built in the thread's line buffer and written at once.
fn write_line(format: LogFormat, out: &mut impl Write, event: &Event<'_>) -> fmt::Result {
    thread_local! {
        static LINE: RefCell<String> = RefCell::new(String::with_capacity(512));
    }
    LINE.with(|cell| {
        let mut fresh = String::new();
        // A nested access event (none is logged while a line is built) gets a buffer of its own.
        let mut borrowed = cell.try_borrow_mut();
        let line = match borrowed.as_deref_mut() {
            Ok(line) => line,
            Err(_) => &mut fresh,
        };
        line.clear();
        let level = event.metadata().level().as_str();
        match format {
            LogFormat::Json => {
                line.push_str(r#"{"timestamp":""#);
                push_timestamp(line);
                for part in [r#"","level":""#, level, r#"","target":""#, TARGET, "\""] {
                    line.push_str(part);
                }
                event.record(&mut JsonFields(line));
                line.push_str("}\n");
            }
            LogFormat::Pretty => {
                push_timestamp(line);
                let _ = write!(line, " {level:>5} {TARGET}:");
                event.record(&mut PrettyFields(line));
                line.push('\n');
            }
        }
        out.write_str(line)
    })
}

/// The time now, UTC, as RFC 3339 with microseconds (`2026-12-01T06:51:52.123456Z`). The part up to the second is formatted once a second per thread; the microseconds are written digit by digit.
fn push_timestamp(out: &mut String) {
    thread_local! {
        static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = now.as_secs();
    SECOND.with(|cell| match cell.try_borrow_mut() {
        Ok(mut cached) => {
            if cached.0 != seconds {
                cached.1 = format_second(seconds);
                cached.0 = seconds;
            }
            out.push_str(&cached.1);
        }
        Err(_) => out.push_str(&format_second(seconds)),
    });
    out.push('.');
    out.push_str(decimal(u64::from(now.subsec_micros()), 6, &mut [0; 20]));
    out.push('Z');
}

/// `2026-12-01T06:51:52` for a Unix time in seconds.
fn format_second(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default()
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
        push_u64(self.0, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.name(field);
        if value < 0 {
            self.0.push('-');
        }
        push_u64(self.0, value.unsigned_abs());
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

/// `value` in decimal, without `core::fmt`'s machinery.
fn push_u64(out: &mut String, value: u64) {
    out.push_str(decimal(value, 1, &mut [0; 20]));
}

/// `value` in decimal, zero-padded to `width` digits (at most 20), written into `buffer` digit by digit: `core::fmt` costs more than the rest of an access line's numbers.
pub(super) fn decimal(mut value: u64, width: usize, buffer: &mut [u8; 20]) -> &str {
    let mut at = buffer.len();
    while at > 0 && (value > 0 || buffer.len() - at < width.max(1)) {
        at -= 1;
        buffer[at] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    std::str::from_utf8(&buffer[at..]).unwrap_or_default()
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
    while let Some(at) = first_to_escape(rest.as_bytes()) {
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

/// The index of the first byte JSON escapes (`"`, `\\`, a control character). Eight bytes are tested at a time: the line's fields are ids, paths and names that rarely hold one, and this runs on every field of every request.
fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let escapes = |b: &u8| *b == b'"' || *b == b'\\' || *b < b' ';
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_ne_bytes(word);
        // A byte of `v` is zero, or of `x` below 0x20, only if its high bit ends up set here.
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let suspect = zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\'))) | below_space;
        if suspect != 0
            && let Some(at) = chunk.iter().position(escapes)
        {
            return Some(offset + at);
        }
        offset += 8;
    }
    chunks.remainder().iter().position(escapes).map(|at| offset + at)
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
    fn timestamps_are_rfc3339_with_microseconds_and_agree_with_the_clock() {
        let before = Utc::now();
        let mut first = String::new();
        push_timestamp(&mut first);
        let mut second = String::new();
        push_timestamp(&mut second);
        let after = Utc::now();
        for stamp in [&first, &second] {
            assert_eq!(stamp.len(), "2026-12-01T06:51:52.123456Z".len(), "{stamp}");
            let parsed = stamp.parse::<DateTime<Utc>>().unwrap_or_default();
            let micros = |t: DateTime<Utc>| t.timestamp_micros();
            assert!(
                micros(before) <= micros(parsed) && micros(parsed) <= micros(after),
                "{stamp}"
            );
        }
        assert_eq!(format_second(0), "1970-01-01T00:00:00");
    }

    #[test]
    fn numbers_are_written_in_full() {
        for value in [0, 7, 200, 1_000_000, u64::MAX] {
            let mut out = String::new();
            push_u64(&mut out, value);
            assert_eq!(out, value.to_string());
        }
        assert_eq!(decimal(42, 6, &mut [0; 20]), "000042");
        assert_eq!(decimal(1_234_567, 6, &mut [0; 20]), "1234567");
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut out = String::new();
        json_string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
        let parsed: String = serde_json::from_str(&out).unwrap_or_default();
        assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
    }

    #[test]
    fn every_byte_to_escape_is_found_wherever_it_is() {
        let plain = "0123456789abcdefghijklmnopqrstuv-é/~".to_owned();
        assert_eq!(first_to_escape(plain.as_bytes()), None);
        for special in ['"', '\\', '\n', '\u{1f}', '\0'] {
            for at in 0..plain.len() {
                if !plain.is_char_boundary(at) {
                    continue;
                }
                let mut text = plain.clone();
                text.insert(at, special);
                assert_eq!(first_to_escape(text.as_bytes()), Some(at), "{text:?}");
            }
        }
    }
}
