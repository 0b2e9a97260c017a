//! GraphQL operations by name, type and outcome, and errors by code, from
//! the [`AccessNote`] the GraphQL handler leaves on its response.
//!
//! - Names: the first [`MetricsConfig::max_operation_names`] distinct
//!   names get their own series; later ones count as `(other)`. Unnamed
//!   operations count as `(anonymous)`. Neither label can be a real name
//!   (a GraphQL name is letters, digits and `_`), so they never mix with one.
//! - Types: `query`, `mutation`, `subscription`, or `unknown` when the
//!   request was refused before its document was read.
//! - Outcome: `refused` when no operation reached execution (a body that is
//!   not JSON, a bad token, a document that does not parse or validate, a
//!   mutation over GET…); otherwise `error` when the response carries an
//!   error, else `ok`.
//! - Errors: each `extensions.code` a response carried, once per response
//!   (the note drops repeats), at most [`CODES`] distinct codes (the server
//!   defines them; the rest as `(other)`).
//!
//! A request that is not GraphQL (no note) is not counted here; a batch
//! counts once, under its first operation; operations over the WebSocket
//! are not counted (its upgrade request is, in the HTTP metrics).
//!
//! [`MetricsConfig::max_operation_names`]: super::config::MetricsConfig::max_operation_names

use std::sync::atomic::{AtomicU64, Ordering};

use super::bounded::Bounded;
use super::text::{Kind, Text};
use crate::http::access::AccessNote;

/// Error codes given their own series.
const CODES: usize = 64;
/// The label of names and codes past their bound.
const OTHER: &str = "(other)";
/// The name label of unnamed operations.
const ANONYMOUS: &str = "(anonymous)";

const TYPES: [&str; 4] = ["query", "mutation", "subscription", "unknown"];
const OUTCOMES: [&str; 3] = ["ok", "error", "refused"];

/// One name's counters, by type and outcome.
type Outcomes = [[AtomicU64; OUTCOMES.len()]; TYPES.len()];

/// Operations and errors.
#[derive(Debug)]
pub struct Operations {
    names: Bounded<Outcomes>,
    anonymous: Outcomes,
    codes: Bounded<AtomicU64>,
}

impl Operations {
    /// Counters keeping at most `max_names` operation names.
    pub fn new(max_names: usize) -> Self {
        Operations {
            names: Bounded::new(max_names),
            anonymous: Outcomes::default(),
            codes: Bounded::new(CODES),
        }
    }

    /// Count the operation a GraphQL response's note describes.
    pub fn record(&self, note: &AccessNote) {
        let outcomes = match &note.operation {
            Some(name) => self.names.get(name),
            None => &self.anonymous,
        };
        let kind = TYPES
            .iter()
            .position(|t| Some(*t) == note.kind)
            .unwrap_or(TYPES.len() - 1);
        let outcome = match (note.executed, note.codes.is_empty()) {
            (false, _) => 2,
            (true, false) => 1,
            (true, true) => 0,
        };
        if let Some(counter) = outcomes.get(kind).and_then(|o| o.get(outcome)) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        for code in &note.codes {
            self.codes.get(code).fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Write both families.
    pub fn write(&self, text: &mut Text) {
        text.family(
            "agora_graphql_operations_total",
            Kind::Counter,
            "GraphQL requests over HTTP by operation name ((anonymous): unnamed; (other): past METRICS_MAX_OPERATION_NAMES), type (unknown: refused before the document was read) and outcome (ok, error: answered with errors, refused: never executed).",
        );
        let names = self
            .names
            .iter()
            .chain([(ANONYMOUS, &self.anonymous), (OTHER, self.names.overflow())]);
        for (name, outcomes) in names {
            for (kind, by_outcome) in TYPES.iter().zip(outcomes) {
                for (outcome, counter) in OUTCOMES.iter().zip(by_outcome) {
                    let count = counter.load(Ordering::Relaxed);
                    if count > 0 {
                        let labels = [("name", name), ("type", *kind), ("outcome", *outcome)];
                        text.sample("agora_graphql_operations_total", &labels, count);
                    }
                }
            }
        }
        text.family(
            "agora_graphql_errors_total",
            Kind::Counter,
            "GraphQL responses carrying an error of this extensions.code (counted once per response).",
        );
        let codes = self.codes.iter().chain([(OTHER, self.codes.overflow())]);
        for (code, counter) in codes {
            let count = counter.load(Ordering::Relaxed);
            if count > 0 {
                text.sample("agora_graphql_errors_total", &[("code", code)], count);
            }
        }
    }
}
