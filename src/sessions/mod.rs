//! Sessions: one per sign-in, renewed by rotating refresh tokens, listed and
//! revoked by their owner.

pub mod graphql;
pub mod model;
pub mod ops;
pub mod queries;
