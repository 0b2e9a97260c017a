//! The catalogue: the services clients can request (admins keep it).

pub mod graphql;
pub mod loader;
pub mod model;
pub mod ops;
pub mod policy;
pub mod queries;
