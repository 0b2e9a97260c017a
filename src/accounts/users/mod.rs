//! Users: their rows and roles, canonical emails, sign-up and sign-in, the
//! configured super admin, and who may see a user's private fields.

pub mod graphql;
pub mod loader;
pub mod model;
pub mod ops;
pub mod policy;
pub mod queries;
