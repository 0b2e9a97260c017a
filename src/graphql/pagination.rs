//! Relay connections with opaque keyset cursors: `first` (default 20, at
//! most 100) and `after`; `totalCount` only costs a query when selected.

use std::borrow::Cow;

use async_graphql::connection::{Edge, EmptyFields, PageInfo};
use async_graphql::{Context, Object, OutputType, TypeName};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::db::TypedId;
use crate::db::types::Timestamp;
use crate::error::{AppError, AppResult};

/// Page size when `first` is not given.
pub const DEFAULT_PAGE: i64 = 20;
/// Largest `first` accepted.
pub const MAX_PAGE: i64 = 100;

/// The complexity of a connection field, for the schema's complexity limit:
/// its selection once per item of the page asked for (`first`, default 20,
/// at most 100; at least one, so a page of none still costs its selection),
/// plus the field itself. Nested connections multiply.
pub fn cost(first: Option<i32>, child_complexity: usize) -> usize {
    let items = first.map_or(DEFAULT_PAGE, |n| i64::from(n).clamp(1, MAX_PAGE));
    usize::try_from(items)
        .unwrap_or(1)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

/// One page of a list of `N`: a Relay connection named `{N}Connection`.
pub struct Page<N: OutputType> {
    edges: Vec<Edge<String, N, EmptyFields>>,
    has_previous_page: bool,
    has_next_page: bool,
    total_count: i64,
}

impl<N: OutputType> TypeName for Page<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", N::type_name()).into()
    }
}

/// One page of a list (a Relay connection): the items with their cursors,
/// where the page stands, and how many items match in all.
#[Object(name_type)]
impl<N: OutputType> Page<N> {
    /// The items of this page, each with its cursor.
    async fn edges(&self) -> &[Edge<String, N, EmptyFields>] {
        &self.edges
    }

    /// Whether there are pages before or after, and the cursors to get them.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|e| e.cursor.clone()),
            end_cursor: self.edges.last().map(|e| e.cursor.clone()),
        }
    }

    /// How many items match, over all pages (counted only when asked for).
    async fn total_count(&self) -> i64 {
        self.total_count
    }
}

/// The position after which a page starts: the sort key and id of the last
/// row seen, under the ordering `order` (a cursor from one ordering is
/// refused by another).
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

/// One newest-first keyset page inside a `with_conn!` body: the total (when
/// `$with_total`) over `$build()`, then up to `$fetch` rows after `$after`
/// (from [`PageArgs::after_time`]), ordered by `$time` then `$id`, both
/// descending. `$build` is a closure returning the filtered boxed query, so
/// both statements share one filter.
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

/// Does the query select `totalCount` on this connection?
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Build a connection from up to `args.fetch()` rows, each with its sort key.
pub fn page<R, I: TypedId, N: OutputType>(
    args: &PageArgs,
    order: &str,
    mut rows: Vec<R>,
    key: impl Fn(&R) -> (i64, I),
    total: i64,
    node: impl Fn(R) -> N,
) -> Page<N> {
    let has_next_page = rows.len() as i64 > args.first;
    rows.truncate(usize::try_from(args.first).unwrap_or(0));
    let edges = rows
        .into_iter()
        .map(|row| {
            let (k, id) = key(&row);
            let cursor = Cursor {
                order: order.to_owned(),
                key: k,
                id: id.uuid(),
            }
            .encode();
            Edge::new(cursor, node(row))
        })
        .collect();
    Page {
        edges,
        has_previous_page: args.after.is_some(),
        has_next_page,
        total_count: total,
    }
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
    fn connections_cost_their_selection_per_item() {
        assert_eq!(cost(None, 10), 201);
        assert_eq!(cost(Some(100), 10), 1001);
        assert_eq!(cost(Some(0), 10), 11);
        assert_eq!(cost(Some(1_000_000), 10), 1001);
        assert_eq!(cost(Some(100), usize::MAX), usize::MAX);
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
