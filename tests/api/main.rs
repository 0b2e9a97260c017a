//! The API suite: every test drives the real router over HTTP (and a few a
//! real TCP port and WebSocket) against a fresh database — SQLite by default,
//! PostgreSQL when `TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod accounts;
mod audit;
mod avatar;
mod billing;
mod budgets;
mod captcha;
mod common;
mod composition;
mod crash;
mod healthcheck;
mod http;
mod instances;
mod jobs;
mod layers;
mod lifecycle;
mod limits;
mod listing;
mod mail;
mod marketplace;
mod metrics;
mod node;
mod persisted;
mod pg_tls;
mod portfolio;
mod profile;
mod proxies;
mod recovery;
mod schedules;
mod schema;
mod seed;
mod service_requests;
mod services;
mod sessions;
mod smtp;
mod startup;
mod statements;
mod throttle;
mod tokens;
mod verification;
mod websocket;
