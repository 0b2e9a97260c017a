//! The data layer: one pool over PostgreSQL or SQLite, and the portable pieces
//! (types, schema, migrations) every query is written against once.
//!
//! Queries are written with diesel-async's DSL inside [`with_conn!`], which
//! expands the body once per backend so both are type-checked. Write
//! transactions go through [`Conn::write_tx`]: `BEGIN` on PostgreSQL,
//! `BEGIN IMMEDIATE` on SQLite (a deferred read-then-write transaction fails
//! with "database is locked" under concurrency).

mod migrate;
mod pool;
pub mod schema;
mod transaction;
pub mod types;

pub use migrate::run_migrations;
pub use pool::{Backend, Conn, Pool, PoolError, SqliteConn};
pub use types::{DbId, now};

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
