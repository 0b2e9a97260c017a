//! Professionals: a FREELANCER's professional profile (services offered,
//! the postal codes covered, rates), the private documents sent for
//! verification, the admins' verification decisions, and finding verified
//! professionals for a service in an area.

pub mod documents;
pub mod documents_graphql;
pub mod graphql;
pub mod loader;
pub mod model;
pub mod ops;
pub mod policy;
pub mod prefetch_graphql;
pub mod queries;
