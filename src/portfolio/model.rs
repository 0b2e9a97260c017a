//! Portfolio items: rows, the changeset of an update, and the rules each
//! field's value must follow.

use diesel::prelude::*;

use crate::db::schema::portfolio_items;
use crate::db::types::Timestamp;
use crate::db::{PortfolioItemId, UserId};
use crate::error::{AppError, AppResult};
use crate::text::{bounded, line};

/// Longest title, in characters.
const MAX_TITLE: usize = 200;
/// Longest description, in characters.
const MAX_DESCRIPTION: usize = 5000;
/// Longest URL, in characters.
const MAX_URL: usize = 2048;

/// A `portfolio_items` row (also what is inserted).
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = portfolio_items)]
pub struct PortfolioItemRow {
    /// Id.
    pub id: PortfolioItemId,
    /// The freelancer who owns it.
    pub freelancer_id: UserId,
    /// Title, trimmed.
    pub title: String,
    /// Description, trimmed (may be empty).
    pub description: String,
    /// An http(s) link to the work.
    pub url: Option<String>,
    /// A JSON array of skill names (see [`skills_to_db`]).
    pub skills: String,
    /// When the work was finished.
    pub completed_at: Option<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// The columns an update sets: `None` leaves a column as it is, and `Some(None)` sets a nullable one to `NULL`.
#[derive(AsChangeset, Debug)]
#[diesel(table_name = portfolio_items)]
pub struct PortfolioItemChangeset {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New link, or `Some(None)` to remove it.
    pub url: Option<Option<String>>,
    /// New skills (JSON array).
    pub skills: Option<String>,
    /// New completion time, or `Some(None)` to remove it.
    pub completed_at: Option<Option<Timestamp>>,
    /// Always set: now (so the changeset is never empty).
    pub updated_at: Timestamp,
}

/// A title: trimmed, 1 to 200 characters.
pub fn parse_title(raw: &str) -> AppResult<String> {
    line(raw, "title", MAX_TITLE, false)
}

/// A description: trimmed, at most 5000 characters (empty is allowed).
pub fn parse_description(raw: &str) -> AppResult<String> {
    bounded(raw, "description", MAX_DESCRIPTION, true)
}

/// A link: trimmed, `http://` or `https://` followed by a host, no spaces, at most 2048 characters. Deliberately simple: the browser is the judge.
pub fn parse_url(raw: &str) -> AppResult<String> {
    let url = raw.trim();
    let bad = || AppError::bad_input("url", "must be an http:// or https:// link");
    if url.chars().count() > MAX_URL {
        return Err(AppError::bad_input(
            "url",
            format!("must be at most {MAX_URL} characters"),
        ));
    }
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let valid = (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
        && !host.is_empty()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid { Ok(url.to_owned()) } else { Err(bad()) }
}

/// A completion time: not after `now`, truncated to the microseconds both databases keep.
pub fn parse_completed_at(at: Timestamp, now: Timestamp) -> AppResult<Timestamp> {
    let at = Timestamp::from_micros(at.micros()).unwrap_or(at);
    if at > now {
        return Err(AppError::bad_input("completedAt", "must not be in the future"));
    }
    Ok(at)
}

/// The stored form of skills: a JSON array of strings.
pub fn skills_to_db(skills: &[String]) -> AppResult<String> {
    serde_json::to_string(skills).map_err(AppError::internal)
}

/// Read the stored JSON array of skills.
pub fn skills_from_db(text: &str) -> AppResult<Vec<String>> {
    serde_json::from_str(text)
        .map_err(|e| AppError::internal(format!("portfolio skills are not a JSON array: {e}")))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn field(err: Option<AppError>) -> Option<&'static str> {
        match err {
            Some(AppError::BadInput { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn titles_and_descriptions_are_trimmed_and_bounded() {
        assert_eq!(parse_title("  Shop  ").ok().as_deref(), Some("Shop"));
        assert_eq!(field(parse_title("   ").err()), Some("title"));
        assert!(parse_title(&"é".repeat(200)).is_ok());
        assert_eq!(field(parse_title(&"x".repeat(201)).err()), Some("title"));
        assert_eq!(parse_description("  ").ok().as_deref(), Some(""));
        assert!(parse_description(&"x".repeat(5000)).is_ok());
        assert_eq!(
            field(parse_description(&"x".repeat(5001)).err()),
            Some("description")
        );
    }

    #[test]
    fn urls_are_http_links() {
        for good in [
            "https://example.com",
            " http://example.com/a?b#c ",
            "HTTPS://x.io:8080/p",
        ] {
            assert_eq!(parse_url(good).ok().as_deref(), Some(good.trim()), "{good}");
        }
        for bad in [
            "",
            "example.com",
            "ftp://example.com",
            "https://",
            "https:///path",
            "https://a b.com",
            "javascript://x",
        ] {
            assert_eq!(field(parse_url(bad).err()), Some("url"), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(2048));
        assert_eq!(field(parse_url(&long).err()), Some("url"));
    }

    #[test]
    fn completion_is_not_in_the_future() {
        let now = Timestamp(DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap_or_default());
        let past = Timestamp(DateTime::<Utc>::from_timestamp(1_700_000_000, 123_456_789).unwrap_or_default());
        assert_eq!(
            parse_completed_at(past, now).ok().map(|t| t.micros()),
            Some(1_700_000_000_123_456)
        );
        assert!(parse_completed_at(now, now).is_ok());
        let later = Timestamp(DateTime::<Utc>::from_timestamp(1_800_000_001, 0).unwrap_or_default());
        assert_eq!(field(parse_completed_at(later, now).err()), Some("completedAt"));
    }

    #[test]
    fn skills_round_trip_through_json() {
        let skills = vec!["Rust".to_owned(), "a \"quoted\" one".to_owned()];
        let text = skills_to_db(&skills).unwrap_or_default();
        assert_eq!(skills_from_db(&text).ok(), Some(skills));
        assert!(skills_from_db("not json").is_err());
    }
}
