//! Catalogue services: rows and the values they are made of.

use diesel::prelude::*;

use crate::db::ServiceId;
use crate::db::schema::services;
use crate::db::types::Timestamp;
use crate::error::{AppError, AppResult};
use crate::money::Money;
use crate::text::{bounded, line};

crate::text_enum! {
    /// The trade a catalogue service belongs to.
    pub enum ServiceCategory {
        /// Homes and offices cleaned.
        Cleaning = "CLEANING",
        /// Pipes, taps, boilers.
        Plumbing = "PLUMBING",
        /// Wiring, sockets, lights.
        Electrical = "ELECTRICAL",
        /// Woodwork, furniture, fittings.
        Carpentry = "CARPENTRY",
        /// Walls, ceilings, facades.
        Painting = "PAINTING",
        /// Lawns, hedges, trees.
        Gardening = "GARDENING",
        /// Moves and deliveries.
        Moving = "MOVING",
        /// Washing machines, fridges, ovens.
        ApplianceRepair = "APPLIANCE_REPAIR",
        /// Advice from an expert.
        Consulting = "CONSULTING",
        /// Lessons and coaching.
        Tutoring = "TUTORING",
        /// Anything else.
        Other = "OTHER",
    }
}

/// Longest service name, in characters.
const MAX_NAME: usize = 100;
/// Longest description, in characters.
const MAX_DESCRIPTION: usize = 5000;
/// Longest duration, in minutes (a week).
const MAX_DURATION_MINUTES: i32 = 7 * 24 * 60;

/// A `services` row.
#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = services)]
pub struct ServiceRow {
    /// Id.
    pub id: ServiceId,
    /// Name, as written.
    pub name: String,
    /// Name lower-cased: unique.
    pub name_key: String,
    /// What the service is.
    pub description: String,
    /// Trade.
    pub category: ServiceCategory,
    /// Starting price, minor units.
    pub base_price_minor: i64,
    /// Its currency.
    pub currency: String,
    /// Usual duration.
    pub duration_minutes: i32,
    /// Takes new requests.
    pub active: bool,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl ServiceRow {
    /// The starting price.
    pub fn base_price(&self) -> AppResult<Money> {
        Money::stored(self.base_price_minor, &self.currency)
    }
}

/// A new `services` row.
#[derive(Insertable)]
#[diesel(table_name = services)]
pub struct NewService<'a> {
    /// Id.
    pub id: ServiceId,
    /// Name.
    pub name: &'a str,
    /// Name lower-cased.
    pub name_key: &'a str,
    /// Description.
    pub description: &'a str,
    /// Trade.
    pub category: ServiceCategory,
    /// Price, minor units.
    pub base_price_minor: i64,
    /// Currency.
    pub currency: &'a str,
    /// Duration.
    pub duration_minutes: i32,
    /// Active.
    pub active: bool,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A change to a service (`None`: unchanged).
#[derive(AsChangeset, Default)]
#[diesel(table_name = services)]
pub struct ServiceChangeset {
    /// Name.
    pub name: Option<String>,
    /// Name lower-cased.
    pub name_key: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Trade.
    pub category: Option<ServiceCategory>,
    /// Price, minor units.
    pub base_price_minor: Option<i64>,
    /// Currency.
    pub currency: Option<String>,
    /// Duration.
    pub duration_minutes: Option<i32>,
    /// Active.
    pub active: Option<bool>,
    /// Always set: now.
    pub updated_at: Option<Timestamp>,
}

/// A name: trimmed, 1 to 100 characters; with its key (lower-cased), which is unique.
pub fn parse_name(raw: &str) -> AppResult<(String, String)> {
    let name = line(raw, "name", MAX_NAME, false)?;
    let key = name.to_lowercase();
    Ok((name, key))
}

/// A description: trimmed, 1 to 5000 characters.
pub fn parse_description(raw: &str) -> AppResult<String> {
    bounded(raw, "description", MAX_DESCRIPTION, false)
}

/// A duration: 1 minute to a week.
pub fn parse_duration(minutes: i32) -> AppResult<i32> {
    if (1..=MAX_DURATION_MINUTES).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(AppError::bad_input(
            "durationMinutes",
            format!("must be between 1 and {MAX_DURATION_MINUTES}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_ignoring_case() {
        let (name, key) = parse_name("  Deep Cleaning ").unwrap_or_default();
        assert_eq!((name.as_str(), key.as_str()), ("Deep Cleaning", "deep cleaning"));
        assert_eq!(
            parse_name("ÉLAGAGE").map(|n| n.1).ok().as_deref(),
            Some("élagage")
        );
        assert!(parse_name(" ").is_err());
    }

    #[test]
    fn durations_are_bounded() {
        assert!(parse_duration(0).is_err() && parse_duration(10_081).is_err());
        assert_eq!(parse_duration(90).ok(), Some(90));
    }
}
