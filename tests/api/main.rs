//! The API suite: every test drives the real router over HTTP (and a few a
//! real TCP port and WebSocket) against a fresh database — SQLite by default,
//! PostgreSQL when `TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod accounts;
mod common;
mod http;
mod listing;
mod marketplace;
mod portfolio;
mod schema;
mod sessions;
mod statements;
mod tokens;
mod websocket;
