//! Accounts: users, their roles, sign-up and sign-in, the profile, the
//! avatar and the account lifecycle (password change, deactivation, deletion).

pub mod avatar;
pub mod avatar_graphql;
pub mod graphql;
pub mod lifecycle;
pub mod lifecycle_graphql;
pub mod loader;
pub mod model;
pub mod ops;
pub mod profile;
pub mod queries;
pub mod thumbnail;
