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

//! How an access-log line is written: [`AccessSink`], a layer of the log
//! subscriber (`server::log_subscriber`), holds the log's writer and
//! format; the access middleware finds it through the current dispatcher
//! and hands it the request's [`Entry`], which it writes as one line (JSON
//! or `key=value`, as `LOG_FORMAT` says) straight into the writer.
//!
//! The line is not a `tracing` event: an event's dispatch, the recording
//! of its ten fields one virtual call at a time, and tracing-subscriber's
//! formatting buffer cost more than the line itself (docs/BENCHMARKS.md),
//! for the one line every request writes. `RUST_LOG` still decides whether
//! it is written (`agora::access=off`), through `tracing::enabled!`.

use std::cell::RefCell;
use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::MakeWriter;

use super::AccessNote;
use crate::config::LogFormat;
use crate::db::TypedId;

/// The access log's target.
pub const TARGET: &str = "agora::access";

/// One request, as its access line tells it.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// The request's method.
    pub method: &'a str,
    /// The request's path, without its query string.
    pub path: &'a str,
    /// The response's status.
    pub status: u16,
    /// From the request's arrival to its response.
    pub elapsed: Duration,
    /// The `X-Request-Id` answered.
    pub request_id: &'a str,
    /// What the GraphQL handler said of the request.
    pub note: Option<&'a AccessNote>,
}

/// Where access lines go, in which format. A layer that does nothing with spans and events: it is in the subscriber only to be found (`Dispatch::downcast_ref`).
pub struct AccessSink {
    format: LogFormat,
    write: WriteLine,
}

/// Appends one whole line to the log's writer.
type WriteLine = Box<dyn Fn(&[u8]) + Send + Sync>;

impl AccessSink {
    /// Lines in `format`, each written at once to a writer of `writer`.
    pub fn new<W>(format: LogFormat, writer: W) -> Self
    where
        W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
    {
        AccessSink {
            format,
            write: Box::new(move |line| {
                let _ = writer.make_writer().write_all(line);
            }),
        }
    }

    /// Write `entry`'s line, built in the thread's line buffer.
    pub fn write(&self, entry: &Entry<'_>) {
        thread_local! {
            static LINE: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(512));
        }
        LINE.with(|cell| {
            let mut fresh = Vec::new();
            // A writer that logs an access line of its own gets a buffer of its own.
            let mut borrowed = cell.try_borrow_mut();
            let line = match borrowed.as_deref_mut() {
                Ok(line) => line,
                Err(_) => &mut fresh,
            };
            line.clear();
            match self.format {
                LogFormat::Json => json_line(line, entry),
                LogFormat::Pretty => pretty_line(line, entry),
            }
            (self.write)(line);
        });
    }
}

/// Nothing for spans and events; `Layer`'s own `downcast_raw` makes it found.
impl<S: Subscriber> Layer<S> for AccessSink {}

/// The line as one JSON object: `{"timestamp":…,"level":"INFO","target":"agora::access","message":"request","method":…}`. The field names are part of the constant text between values; the method (an HTTP token), the status, the latency, the operation type and the user id (a UUID) hold nothing JSON escapes.
fn json_line(line: &mut Vec<u8>, entry: &Entry<'_>) {
    let note = entry.note;
    line.extend_from_slice(br#"{"timestamp":""#);
    push_timestamp(line);
    line.extend_from_slice(br#"","level":"INFO","target":"agora::access","message":"request","method":""#);
    line.extend_from_slice(entry.method.as_bytes());
    line.extend_from_slice(br#"","path":""#);
    escape(line, entry.path);
    line.extend_from_slice(br#"","status":"#);
    push_u64(line, u64::from(entry.status));
    line.extend_from_slice(br#","latency_ms":""#);
    push_millis(line, entry.elapsed);
    line.extend_from_slice(br#"","request_id":""#);
    escape(line, entry.request_id);
    line.extend_from_slice(br#"","operation":""#);
    escape(line, note.and_then(|n| n.operation.as_deref()).unwrap_or(""));
    line.extend_from_slice(br#"","operation_type":""#);
    line.extend_from_slice(note.and_then(|n| n.kind).unwrap_or("").as_bytes());
    line.extend_from_slice(br#"","error_codes":""#);
    for (at, code) in note.map_or(&[][..], |n| &n.codes[..]).iter().enumerate() {
        if at > 0 {
            line.push(b',');
        }
        escape(line, code);
    }
    line.extend_from_slice(br#"","user_id":""#);
    push_user(line, note);
    line.extend_from_slice(b"\"}\n");
}

/// The line as the other lines of the pretty log read: `… INFO agora::access: request method="POST" path="/graphql" status=200 …`, strings quoted and escaped as Rust's `Debug` does.
fn pretty_line(line: &mut Vec<u8>, entry: &Entry<'_>) {
    let note = entry.note;
    let mut latency = Vec::new();
    push_millis(&mut latency, entry.elapsed);
    let latency = String::from_utf8_lossy(&latency);
    let codes = note.map(|n| n.codes.join(",")).unwrap_or_default();
    let mut user = Vec::new();
    push_user(&mut user, note);
    let user = String::from_utf8_lossy(&user);
    push_timestamp(line);
    let _ = writeln!(
        line,
        "  INFO {TARGET}: request method={:?} path={:?} status={} latency_ms={latency:?} request_id={:?} operation={:?} operation_type={:?} error_codes={codes:?} user_id={user:?}",
        entry.method,
        entry.path,
        entry.status,
        entry.request_id,
        note.and_then(|n| n.operation.as_deref()).unwrap_or(""),
        note.and_then(|n| n.kind).unwrap_or(""),
    );
}

/// The signed-in viewer's user id, hyphenated, if any.
fn push_user(line: &mut Vec<u8>, note: Option<&AccessNote>) {
    if let Some(user) = note.and_then(|n| n.user) {
        line.extend_from_slice(
            user.uuid()
                .hyphenated()
                .encode_lower(&mut uuid::Uuid::encode_buffer())
                .as_bytes(),
        );
    }
}

/// The time now, UTC, as RFC 3339 with microseconds (`2026-12-01T06:51:52.123456Z`). The part up to the second is formatted once a second per thread; the microseconds are written digit by digit.
fn push_timestamp(out: &mut Vec<u8>) {
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
            out.extend_from_slice(cached.1.as_bytes());
        }
        Err(_) => out.extend_from_slice(format_second(seconds).as_bytes()),
    });
    out.push(b'.');
    out.extend_from_slice(decimal(u64::from(now.subsec_micros()), 6, &mut [0; 20]));
    out.push(b'Z');
}

/// `2026-12-01T06:51:52` for a Unix time in seconds.
fn format_second(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// `elapsed` in milliseconds with two decimals (`1.50`), without `core::fmt` or floating point, which cost more than the rest of the line.
fn push_millis(out: &mut Vec<u8>, elapsed: Duration) {
    let hundredths = elapsed
        .as_secs()
        .saturating_mul(100_000)
        .saturating_add(u64::from((elapsed.subsec_micros() + 5) / 10));
    // At least three digits ("005"), then the point before the last two.
    let mut buffer = [0; 20];
    let digits = decimal(hundredths, 3, &mut buffer);
    let (whole, cents) = digits.split_at(digits.len() - 2);
    out.extend_from_slice(whole);
    out.push(b'.');
    out.extend_from_slice(cents);
}

/// `value` in decimal, without `core::fmt`'s machinery.
fn push_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(decimal(value, 1, &mut [0; 20]));
}

/// `value`'s ASCII digits, zero-padded to `width` (at most 20), written into `buffer` one by one: `core::fmt` costs more than the rest of an access line's numbers.
fn decimal(mut value: u64, width: usize, buffer: &mut [u8; 20]) -> &[u8] {
    let mut at = buffer.len();
    while at > 0 && (value > 0 || buffer.len() - at < width.max(1)) {
        at -= 1;
        buffer[at] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    &buffer[at..]
}

/// `value`'s characters as they are written inside a JSON string literal.
fn escape(out: &mut Vec<u8>, value: &str) {
    let mut rest = value.as_bytes();
    while let Some(at) = first_to_escape(rest) {
        out.extend_from_slice(&rest[..at]);
        match rest[at] {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b => {
                let _ = write!(out, "\\u{b:04x}");
            }
        }
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::db::UserId;

    /// The line `entry` becomes in `format`.
    fn line_of(format: LogFormat, entry: &Entry<'_>) -> String {
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        AccessSink::new(format, move || Sink(sink.clone())).write(entry);
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

    const PLAIN: Entry<'static> = Entry {
        method: "GET",
        path: "/a\"b",
        status: 404,
        elapsed: Duration::from_micros(1_504),
        request_id: "r\\1",
        note: None,
    };

    fn note(user: UserId) -> AccessNote {
        AccessNote {
            operation: Some("Me".into()),
            kind: Some("query"),
            codes: vec!["UNAUTHENTICATED".into(), "NOT_FOUND".into()],
            user: Some(user),
            executed: true,
        }
    }

    #[test]
    fn a_json_line_is_one_object_with_every_field() {
        let line = line_of(LogFormat::Json, &PLAIN);
        assert!(line.ends_with("}\n") && line.matches('\n').count() == 1, "{line}");
        let value: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        let names = [
            "timestamp",
            "level",
            "target",
            "message",
            "method",
            "path",
            "status",
            "latency_ms",
            "request_id",
            "operation",
            "operation_type",
            "error_codes",
            "user_id",
        ];
        let at: Vec<Option<usize>> = names.iter().map(|n| line.find(&format!("\"{n}\":"))).collect();
        assert!(at.iter().all(Option::is_some) && at.is_sorted(), "{line}");
        assert_eq!(value.as_object().map(|o| o.len()), Some(names.len()));
        assert_eq!(value["level"], "INFO");
        assert_eq!(value["target"], TARGET);
        assert_eq!(value["message"], "request");
        assert_eq!(value["method"], "GET");
        assert_eq!(value["path"], "/a\"b");
        assert_eq!(value["status"], 404);
        assert_eq!(value["latency_ms"], "1.50");
        assert_eq!(value["request_id"], "r\\1");
        assert_eq!(value["operation"], "");
        assert_eq!(value["error_codes"], "");
        assert_eq!(value["user_id"], "");
        let stamp = value["timestamp"].as_str().unwrap_or_default();
        assert!(stamp.parse::<chrono::DateTime<Utc>>().is_ok(), "{stamp}");
    }

    /// A signed-in GraphQL request's line in `format`, and its viewer.
    fn graphql_line(format: LogFormat) -> (UserId, String) {
        let user = UserId::new();
        let note = note(user);
        let entry = Entry {
            note: Some(&note),
            ..PLAIN
        };
        (user, line_of(format, &entry))
    }

    #[test]
    fn a_graphql_request_names_its_operation_codes_and_viewer() {
        let (user, line) = graphql_line(LogFormat::Json);
        let value: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(value["operation"], "Me");
        assert_eq!(value["operation_type"], "query");
        assert_eq!(value["error_codes"], "UNAUTHENTICATED,NOT_FOUND");
        assert_eq!(value["user_id"], user.to_string());
    }

    #[test]
    fn a_pretty_line_reads_like_the_others() {
        let (user, line) = graphql_line(LogFormat::Pretty);
        let (stamp, rest) = line.split_once(' ').unwrap_or_default();
        assert!(stamp.parse::<chrono::DateTime<Utc>>().is_ok(), "{line}");
        assert_eq!(
            rest,
            format!(
                " INFO agora::access: request method=\"GET\" path=\"/a\\\"b\" status=404 latency_ms=\"1.50\" request_id=\"r\\\\1\" operation=\"Me\" operation_type=\"query\" error_codes=\"UNAUTHENTICATED,NOT_FOUND\" user_id=\"{user}\"\n"
            )
        );
    }

    #[test]
    fn latency_is_rounded_to_hundredths_of_a_millisecond() {
        let shown = |elapsed| {
            let mut out = Vec::new();
            push_millis(&mut out, elapsed);
            String::from_utf8(out).unwrap_or_default()
        };
        let micros = |n| shown(Duration::from_micros(n));
        assert_eq!(micros(0), "0.00");
        assert_eq!(micros(4), "0.00");
        assert_eq!(micros(5), "0.01");
        assert_eq!(micros(1_504), "1.50");
        assert_eq!(micros(1_505), "1.51");
        assert_eq!(micros(12_345_678), "12345.68");
        assert_eq!(shown(Duration::MAX), "184467440737095516.15");
    }

    #[test]
    fn timestamps_are_rfc3339_with_microseconds_and_agree_with_the_clock() {
        let before = Utc::now();
        let stamp = || {
            let mut out = Vec::new();
            push_timestamp(&mut out);
            String::from_utf8(out).unwrap_or_default()
        };
        let (first, second) = (stamp(), stamp());
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
            let mut out = Vec::new();
            push_u64(&mut out, value);
            assert_eq!(out, value.to_string().as_bytes());
        }
        assert_eq!(decimal(42, 6, &mut [0; 20]), b"000042");
        assert_eq!(decimal(1_234_567, 6, &mut [0; 20]), b"1234567");
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut bytes = vec![b'"'];
        escape(&mut bytes, "a\"b\\c\nd\u{1}é");
        bytes.push(b'"');
        let out = String::from_utf8(bytes).unwrap_or_default();
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
