//! Accounts: users, their roles, sign-up (with its optional captcha) and
//! sign-in, email verification and change, password recovery, the profile,
//! the avatar and the account lifecycle (password change, deactivation,
//! deletion).

pub mod avatar;
pub mod avatar_graphql;
pub mod captcha;
pub mod email;
pub mod email_graphql;
pub mod email_tokens;
pub mod graphql;
pub mod lifecycle;
pub mod lifecycle_graphql;
pub mod loader;
pub mod model;
pub mod ops;
pub mod policy;
pub mod profile;
pub mod profile_graphql;
pub mod queries;
pub mod recovery;
pub mod verification;
