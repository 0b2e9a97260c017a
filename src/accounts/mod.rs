//! Accounts, one concern per module:
//!
//! - [`users`]: users and roles, sign-up and sign-in, the configured super
//!   admin, who may see a user's private fields;
//! - [`profile`]: what a user edits about themself, the avatar included;
//! - [`lifecycle`]: password change, deactivation and deletion;
//! - [`email_links`]: the tokens mailed as links (email verification, email
//!   change, password recovery);
//! - [`captcha`]: the optional sign-up challenge.

pub mod captcha;
pub mod email_links;
pub mod lifecycle;
pub mod profile;
pub mod users;
