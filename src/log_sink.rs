//! Where log lines go: into a buffer that one background thread writes to
//! stderr, at most [`FLUSH_EVERY`] after they were logged, so a request does
//! not pay a `write` system call for its access-log line. A full buffer
//! ([`MAX_BUFFER`]) is written out by the thread that fills it, so a stalled
//! stderr slows logging down rather than growing memory or dropping lines.
//! [`flush`] writes what is pending; the process calls it before it exits.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// Longest a line waits in the buffer.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Bytes past which the logging thread writes the buffer itself.
pub const MAX_BUFFER: usize = 1024 * 1024;

struct Shared {
    pending: Mutex<Vec<u8>>,
    wake: Condvar,
    out: Mutex<Box<dyn Write + Send>>,
}

static SHARED: OnceLock<Arc<Shared>> = OnceLock::new();

/// The buffered stderr, for `tracing_subscriber::fmt().with_writer(…)`. The first call starts the writing thread.
pub fn stderr() -> Sink {
    Sink(SHARED.get_or_init(|| start(Box::new(io::stderr()))).clone())
}

/// Write whatever is pending now (before the process exits).
pub fn flush() {
    if let Some(shared) = SHARED.get() {
        shared.write_out(&mut lock(&shared.pending));
    }
}

/// A buffer over `out`, with its writing thread.
fn start(out: Box<dyn Write + Send>) -> Arc<Shared> {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Vec::new()),
        wake: Condvar::new(),
        out: Mutex::new(out),
    });
    let writer = shared.clone();
    let started = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || writer.write_forever());
    if let Err(err) = started {
        eprintln!("logs wait for a full buffer: cannot start the log writer: {err}");
    }
    shared
}

impl Shared {
    /// Wait for a line, write what is pending, let more gather; forever. The two buffers trade places and keep their capacity, so the loggers' appends do not grow a fresh buffer every round.
    fn write_forever(&self) {
        let mut batch = Vec::new();
        loop {
            let mut pending = lock(&self.pending);
            if pending.is_empty() {
                pending = self
                    .wake
                    .wait_timeout(pending, FLUSH_EVERY)
                    .map_or_else(|poisoned| poisoned.into_inner().0, |(guard, _)| guard);
            }
            std::mem::swap(&mut *pending, &mut batch);
            drop(pending);
            self.write_out(&mut batch);
            std::thread::sleep(FLUSH_EVERY);
        }
    }

    fn write_out(&self, batch: &mut Vec<u8>) {
        if !batch.is_empty() {
            let mut out = self.out.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let _ = out.write_all(batch).and_then(|()| out.flush());
            batch.clear();
        }
    }
}

fn lock(mutex: &Mutex<Vec<u8>>) -> MutexGuard<'_, Vec<u8>> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The buffer, as `tracing_subscriber` asks for writers.
#[derive(Clone)]
pub struct Sink(Arc<Shared>);

impl<'a> MakeWriter<'a> for Sink {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Line(&self.0)
    }
}

/// One event's output: each write appends to the buffer.
pub struct Line<'a>(&'a Shared);

impl Write for Line<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut pending = lock(&self.0.pending);
        let was_empty = pending.is_empty();
        pending.extend_from_slice(bytes);
        if pending.len() > MAX_BUFFER {
            self.0.write_out(&mut pending);
        } else if was_empty {
            self.0.wake.notify_one();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What reached the output.
    #[derive(Clone, Default)]
    struct Output(Arc<Mutex<Vec<u8>>>);

    impl Write for Output {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            lock(&self.0).extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_reach_the_output_soon_in_order_and_a_full_buffer_at_once() {
        let output = Output::default();
        let sink = Sink(start(Box::new(output.clone())));
        for n in 0..100 {
            writeln!(sink.make_writer(), "line {n}").unwrap_or_default();
        }
        std::thread::sleep(FLUSH_EVERY * 4);
        let text = String::from_utf8(lock(&output.0).clone()).unwrap_or_default();
        let expected: String = (0..100).map(|n| format!("line {n}\n")).collect();
        assert_eq!(text, expected);

        lock(&output.0).clear();
        let big = vec![b'x'; MAX_BUFFER + 1];
        sink.make_writer().write_all(&big).unwrap_or_default();
        assert_eq!(
            lock(&output.0).len(),
            MAX_BUFFER + 1,
            "written by the logging thread"
        );
    }
}
