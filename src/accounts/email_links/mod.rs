//! Links mailed to an address: single-use tokens ([`tokens`]) for email
//! verification and change ([`verification`]) and password recovery
//! ([`recovery`]).

pub mod graphql;
pub mod recovery;
pub mod tokens;
pub mod verification;
