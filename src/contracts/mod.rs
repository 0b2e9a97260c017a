//! Contracts: the hire an accepted proposal creates, and its end.

pub mod graphql;
pub mod loader;
pub mod model;
pub mod ops;
pub mod policy;
pub mod queries;
