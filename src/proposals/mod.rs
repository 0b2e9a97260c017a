//! Proposals: freelancers' bids on projects, and hiring.

pub mod graphql;
pub mod loader;
pub mod model;
pub mod ops;
pub mod policy;
pub mod queries;
