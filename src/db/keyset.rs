//! Keyset pages, below the schema: `first` (default 20, at most 100) and an
//! opaque `after` cursor holding the last row's sort key and id, tied to
//! one ordering. Queries page with these; the GraphQL connection type is
//! built on top (`graphql::pagination`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::TypedId;
use super::types::Timestamp;
use crate::error::{AppError, AppResult};

/// Page size when `first` is not given.
pub const DEFAULT_PAGE: i64 = 20;
/// Largest `first` accepted.
pub const MAX_PAGE: i64 = 100;

/// The position after which a page starts: the sort key and id of the last row seen, under the ordering `order` (a cursor from one ordering is refused by another).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Which ordering the cursor belongs to.
    #[serde(rename = "o")]
    pub order: String,
    /// The sort key (microseconds for times, minor units for money).
    #[serde(rename = "k")]
    pub key: i64,
    /// The row id (tie-breaker).
    #[serde(rename = "i")]
    pub id: uuid::Uuid,
}

impl Cursor {
    /// The opaque text handed to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(text: &str) -> Option<Self> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).ok()?).ok()
    }
}

/// A validated page request.
#[derive(Debug, Clone)]
pub struct PageArgs {
    /// Rows wanted.
    pub first: i64,
    /// Start after this row.
    pub after: Option<Cursor>,
}

impl PageArgs {
    /// Check `first` and `after` for a list ordered by `order`.
    pub fn new(first: Option<i32>, after: Option<String>, order: &str) -> AppResult<Self> {
        let first = i64::from(first.unwrap_or(DEFAULT_PAGE as i32));
        if !(0..=MAX_PAGE).contains(&first) {
            return Err(AppError::bad_input(
                "first",
                format!("must be between 0 and {MAX_PAGE}"),
            ));
        }
        let after = match after {
            None => None,
            Some(text) => match Cursor::decode(&text) {
                Some(cursor) if cursor.order == order => Some(cursor),
                _ => {
                    return Err(AppError::bad_input(
                        "after",
                        "not a cursor of this list and ordering",
                    ));
                }
            },
        };
        Ok(PageArgs { first, after })
    }

    /// The cursor's key and id, for a list keyed by an integer.
    pub fn after_int<I: TypedId>(&self) -> Option<(i64, I)> {
        self.after.as_ref().map(|c| (c.key, I::from_uuid(c.id)))
    }

    /// The cursor's key and id, for a list keyed by a time.
    pub fn after_time<I: TypedId>(&self) -> AppResult<Option<(Timestamp, I)>> {
        self.after
            .as_ref()
            .map(|c| {
                let at = Timestamp::from_micros(c.key)
                    .ok_or(AppError::bad_input("after", "not a valid cursor"))?;
                Ok((at, I::from_uuid(c.id)))
            })
            .transpose()
    }

    /// Rows to fetch: one more than wanted, to learn whether a next page exists.
    pub fn fetch(&self) -> i64 {
        self.first + 1
    }
}

/// One newest-first keyset page inside a `with_conn!` body: the total (when `$with_total`) over `$build()`, then up to `$fetch` rows after `$after` (from [`PageArgs::after_time`]), ordered by `$time` then `$id`, both descending. `$build` is a closure returning the filtered boxed query, so both statements share one filter.
#[macro_export]
macro_rules! newest_first_page {
    ($c:ident, $build:ident, $time:expr, $id:expr, $row:ty, $after:expr, $fetch:expr, $with_total:expr) => {{
        let total: i64 = if $with_total {
            $build().count().get_result($c).await?
        } else {
            0
        };
        let mut query = $build().order(($time.desc(), $id.desc()));
        if let Some((at, id)) = $after {
            query = query.filter($time.lt(at).or($time.eq(at).and($id.lt(id))));
        }
        let rows = query.limit($fetch).select(<$row>::as_select()).load($c).await?;
        Ok::<_, diesel::result::Error>((rows, total))
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_is_bounded_and_defaults_to_twenty() {
        assert_eq!(PageArgs::new(None, None, "x").map(|a| a.first).ok(), Some(20));
        assert_eq!(
            PageArgs::new(Some(100), None, "x").map(|a| a.fetch()).ok(),
            Some(101)
        );
        for bad in [-1, 101] {
            let err = PageArgs::new(Some(bad), None, "x").err();
            assert!(matches!(err, Some(AppError::BadInput { field: "first", .. })));
        }
    }

    #[test]
    fn cursors_round_trip_and_belong_to_their_ordering() {
        let cursor = Cursor {
            order: "CREATED_AT_DESC".into(),
            key: 42,
            id: uuid::Uuid::nil(),
        };
        let args = PageArgs::new(Some(5), Some(cursor.encode()), "CREATED_AT_DESC");
        assert_eq!(args.ok().and_then(|a| a.after), Some(cursor.clone()));
        let other = PageArgs::new(Some(5), Some(cursor.encode()), "BUDGET_ASC").err();
        assert!(matches!(other, Some(AppError::BadInput { field: "after", .. })));
        let junk = PageArgs::new(Some(5), Some("junk".into()), "BUDGET_ASC").err();
        assert!(matches!(junk, Some(AppError::BadInput { field: "after", .. })));
    }
}
