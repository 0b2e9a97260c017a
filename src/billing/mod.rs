//! Billing: bills (drafted, issued with a gap-free number, voided, paid,
//! refunded) and their payments, through providers behind one trait, with
//! Stripe's idempotency rules.

pub mod graphql;
pub mod loader;
pub mod model;
pub mod ops;
pub mod payments;
pub mod policy;
pub mod prefetch_graphql;
pub mod provider;
pub mod queries;
