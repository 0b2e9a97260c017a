//! What the `agora` command does besides serving: commands that run once
//! and exit (`seed-demo`, `healthcheck`). Nothing on the request path
//! imports these.

pub mod healthcheck;
pub mod seed;
pub mod seed_billing;
pub mod seed_services;
