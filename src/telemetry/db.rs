//! Database statements as spans, when traces are exported: a client span per
//! statement, the child of whatever span is current (a statement run outside
//! any span, by a job or a migration, gets none), named after its first
//! keyword (`SELECT`), with `db.system.name` and `db.query.text`: the SQL
//! without its bind values, which hold password hashes and tokens.
//!
//! Both backends report statements through diesel's `Instrumentation`
//! ([`instrument`], chosen once per connection). SQLite runs them on
//! blocking threads, where no span is current: [`Blocking`] carries the
//! caller's span there, when traces are exported.

use std::error::Error;
use std::fmt::{self, Write as _};

use diesel::SqliteConnection;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel_async::sync_connection_wrapper::{SpawnBlocking, SyncConnectionWrapper};
use futures_util::future::BoxFuture;
use tracing::Span;

use super::enabled;

/// Longest `db.query.text`, in bytes.
pub const MAX_QUERY_TEXT: usize = 4096;

/// What diesel's display of a statement puts between its SQL and its binds.
const BINDS_MARKER: &str = " -- binds: ";

/// `inner` (the pool's statement counter), with a span per statement when traces are exported; just `inner` otherwise. `system` is the conventions' `db.system.name`: `postgresql` or `sqlite`.
pub fn instrument(inner: impl Instrumentation, system: &'static str) -> Box<dyn Instrumentation> {
    if enabled() {
        Box::new(Statements {
            inner,
            system,
            current: None,
        })
    } else {
        Box::new(inner)
    }
}

/// One connection's statement spans.
struct Statements<I> {
    inner: I,
    system: &'static str,
    /// The statement running; a connection runs one at a time.
    current: Option<Span>,
}

impl<I: Instrumentation> Instrumentation for Statements<I> {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match &event {
            InstrumentationEvent::StartQuery { query, .. } => {
                // A statement whose future was dropped never finished: its
                // span ends here.
                self.current = statement_span(self.system, query);
            }
            InstrumentationEvent::FinishQuery { error, .. } => {
                if let (Some(span), Some(error)) = (self.current.take(), error) {
                    span.record("otel.status_code", "ERROR");
                    span.record("otel.status_description", error.to_string());
                }
            }
            _ => {}
        }
        self.inner.on_connection_event(event);
    }
}

/// A span for `query` under the current span, or none without one.
fn statement_span(system: &'static str, query: &dyn fmt::Display) -> Option<Span> {
    let parent = Span::current();
    if parent.is_none() {
        return None;
    }
    let text = query_text(query);
    let operation = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_uppercase);
    Some(tracing::info_span!(
        target: "agora::sql",
        parent: &parent,
        "statement",
        otel.name = operation.as_deref().unwrap_or(system),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        otel.status_description = tracing::field::Empty,
        db.system.name = system,
        db.operation.name = operation,
        db.query.text = text,
    ))
}

/// The SQL of a statement as diesel displays it, without the `-- binds: [...]` it appends, at most [`MAX_QUERY_TEXT`] bytes. Writing stops at the marker, so the binds are never even formatted.
pub fn query_text(query: &dyn fmt::Display) -> String {
    let mut text = SqlOnly(String::new());
    // An error is how the writer stops early: what it kept is the SQL.
    let _ = write!(text, "{query}");
    let mut text = text.0;
    if let Some(at) = text.find(BINDS_MARKER) {
        text.truncate(at);
    }
    if text.len() > MAX_QUERY_TEXT {
        let mut cut = MAX_QUERY_TEXT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// A writer that refuses everything once the binds begin, or once the SQL is past the limit.
struct SqlOnly(String);

impl fmt::Write for SqlOnly {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.push_str(s);
        if self.0.contains(BINDS_MARKER) || self.0.len() > MAX_QUERY_TEXT {
            return Err(fmt::Error);
        }
        Ok(())
    }
}

/// How diesel-async runs SQLite calls by default (Tokio's blocking pool), named through the wrapper's default type parameter.
type TokioBlocking = <SyncConnectionWrapper<SqliteConnection> as Runtime>::Spawner;

/// Names the type that runs a `SyncConnectionWrapper`'s blocking calls.
trait Runtime {
    type Spawner;
}

impl<C, S> Runtime for SyncConnectionWrapper<C, S> {
    type Spawner = S;
}

/// Runs a SQLite connection's calls as diesel-async does, inside the caller's span when traces are exported (so a statement's span has its parent on the blocking thread).
pub struct Blocking {
    tokio: TokioBlocking,
    traced: bool,
}

impl SpawnBlocking for Blocking {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> BoxFuture<'a, Result<R, Box<dyn Error + Send + Sync + 'static>>>
    where
        R: Send + 'static,
    {
        if self.traced {
            let span = Span::current();
            self.tokio.spawn_blocking(move || span.in_scope(task))
        } else {
            self.tokio.spawn_blocking(task)
        }
    }

    fn get_runtime() -> Self {
        Blocking {
            tokio: TokioBlocking::get_runtime(),
            traced: enabled(),
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sqlite::Sqlite;

    use super::*;
    use crate::db::schema::users;

    #[test]
    fn binds_are_stripped() {
        let query = users::table
            .filter(users::email.eq("ann@example.com"))
            .filter(users::password_hash.eq("$argon2id$secret-hash"))
            .select(users::id);
        let shown = diesel::debug_query::<Sqlite, _>(&query);
        assert!(shown.to_string().contains("secret-hash"), "diesel shows binds");
        let text = query_text(&shown);
        assert!(
            text.starts_with("SELECT `users`.`id` FROM `users` WHERE"),
            "{text}"
        );
        assert!(text.ends_with("`password_hash` = ?))"), "{text}");
        assert!(!text.contains("secret") && !text.contains("ann@") && !text.contains("binds"));
    }

    #[test]
    fn sql_without_binds_is_kept_whole() {
        assert_eq!(query_text(&"BEGIN IMMEDIATE"), "BEGIN IMMEDIATE");
    }

    #[test]
    fn the_marker_split_across_writes_still_stops() {
        struct Pieces;
        impl fmt::Display for Pieces {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for piece in ["SELECT 1", " -- bi", "nds: ", "[\"token\"]"] {
                    f.write_str(piece)?;
                }
                Ok(())
            }
        }
        assert_eq!(query_text(&Pieces), "SELECT 1");
    }

    #[test]
    fn long_statements_are_cut() {
        let long = format!("SELECT {}", "x, ".repeat(MAX_QUERY_TEXT));
        let text = query_text(&long);
        assert_eq!(text.len(), MAX_QUERY_TEXT + '…'.len_utf8());
        assert!(text.ends_with('…'));
    }
}
