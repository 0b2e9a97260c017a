//! Projects: what clients post and freelancers bid on.

pub mod graphql;
pub mod loader;
pub mod model;
pub mod ops;
pub mod policy;
pub mod prefetch_graphql;
pub mod queries;
