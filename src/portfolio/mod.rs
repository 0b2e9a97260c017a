//! Portfolio: the past work a freelancer shows (title, description, link,
//! skills, when it was done). Anyone may read it; only its freelancer
//! changes it.

pub mod graphql;
pub mod model;
pub mod ops;
pub mod policy;
pub mod queries;
