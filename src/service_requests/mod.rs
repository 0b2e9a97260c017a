//! Service requests: a client asks for a catalogue service at an address; a
//! verified professional does it (assigned by an admin, or claiming it);
//! the client completes it, with a review.

pub mod graphql;
pub mod loader;
pub mod model;
pub mod ops;
pub mod policy;
pub mod prefetch_graphql;
pub mod queries;
