//! The data layer: one pool over PostgreSQL or SQLite, and the portable pieces
//! (types, schema, migrations) every query is written against once.
//!
//! Queries are written with diesel-async's DSL inside [`with_conn!`], which
//! expands the body once per backend so both are type-checked. Write
//! transactions go through [`Conn::write_tx`]: `BEGIN` on PostgreSQL,
//! `BEGIN IMMEDIATE` on SQLite (a deferred read-then-write transaction fails
//! with "database is locked" under concurrency).

pub mod ids;
pub mod keyset;
mod migrate;
mod pool;
pub mod schema;
mod text_enum;
pub mod tls;
mod transaction;
pub mod types;

pub use ids::{
    AuditEventId, BillId, CaptchaId, ContractId, GlobalId, JobId, MailId, PaymentId, PortfolioItemId,
    ProjectId, ProposalId, ReviewId, ServiceId, ServiceRequestId, SessionId, TypedId, UserId,
    VerificationDocumentId,
};
pub use migrate::run_migrations;
pub use pool::{Backend, Conn, Pool, PoolError, SqliteConn};
pub use types::now;

diesel::define_sql_function! {
    /// `lower(text)`: case-insensitive matching on both backends (SQLite's `LIKE` ignores ASCII case, PostgreSQL's does not).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A `LIKE` pattern matching `term` anywhere, lower-cased, with `%`, `_` and `\` escaped (use with `.escape('\\')`).
pub fn contains_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for c in term.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Expand the same diesel-async body once per backend.
///
/// Inside the body `$c` is `&mut AsyncPgConnection` or `&mut SqliteConn`.
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Pg(__obj) => {
                let $c: &mut ::diesel_async::AsyncPgConnection = &mut **__obj;
                $body
            }
            $crate::db::Conn::Sqlite(__obj) => {
                let $c: &mut $crate::db::SqliteConn = &mut **__obj;
                $body
            }
        }
    };
}

/// Insert `rows` into `$table`: one statement on PostgreSQL; one per row on SQLite, where diesel-async has no multi-row insert (in-process, so cheap).
#[macro_export]
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let rows = $rows;
        match $conn {
            $crate::db::Conn::Pg(c) => {
                if !rows.is_empty() {
                    diesel::insert_into($table)
                        .values(&rows)
                        .execute(&mut **c)
                        .await?;
                }
            }
            $crate::db::Conn::Sqlite(c) => {
                for row in &rows {
                    diesel::insert_into($table).values(row).execute(&mut **c).await?;
                }
            }
        }
    }};
}
