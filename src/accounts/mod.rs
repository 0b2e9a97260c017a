//! Accounts: users, their roles, sign-up and sign-in.

pub mod graphql;
pub mod loader;
pub mod model;
pub mod ops;
pub mod queries;
