//! Agora: a GraphQL API server for a services marketplace.
//!
//! [`http::app`] is the whole application as an axum router; [`server`]
//! starts it from a [`config::Config`].

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod background;
pub mod billing;
pub mod catalogue;
pub mod cli;
pub mod client_ip;
pub mod config;
pub mod contracts;
pub mod cpu;
pub mod db;
pub mod email;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod jobs;
pub mod log_sink;
pub mod mail;
pub mod metrics;
pub mod money;
pub mod persisted;
#[cfg(test)]
mod policy_table;
pub mod portfolio;
pub mod professionals;
pub mod projects;
pub mod proposals;
pub mod reviews;
pub mod server;
pub mod service_requests;
pub mod sessions;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod text;
pub mod tx;
pub mod uploads;

pub use http::app;
