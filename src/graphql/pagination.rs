//! Relay connections over keyset pages ([`crate::db::keyset`]): the
//! `{Node}Connection` type, its complexity, and `totalCount`, which only
//! costs a query when selected.

use std::borrow::Cow;

use async_graphql::connection::{Edge, EmptyFields};
use async_graphql::{Context, Object, OutputType, SimpleObject, TypeName};

use crate::db::TypedId;
use crate::db::keyset::{Cursor, DEFAULT_PAGE, MAX_PAGE, PageArgs};

/// The complexity of a connection field, for the schema's complexity limit: its selection once per item of the page asked for (`first`, default 20, at most 100; at least one, so a page of none still costs its selection), plus the field itself. Nested connections multiply.
pub fn cost(first: Option<i32>, child_complexity: usize) -> usize {
    let items = first.map_or(DEFAULT_PAGE, |n| i64::from(n).clamp(1, MAX_PAGE));
    usize::try_from(items)
        .unwrap_or(1)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

/// Where a page stands in its list. Lists are read forwards only, with `first` and `after`: there is no `last` or `before`.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Whether items follow this page: ask for them with `after: endCursor`.
    has_next_page: bool,
    /// Whether items come before this page: true when it was asked for with `after`. Lists cannot be read backwards; to go back, keep the cursors of the pages already read.
    has_previous_page: bool,
    /// The cursor of this page's first item (null for an empty page).
    start_cursor: Option<String>,
    /// The cursor of this page's last item (null for an empty page): pass it as `after` for the next page.
    end_cursor: Option<String>,
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

/// One page of a list (a Relay connection): the items with their cursors, where the page stands, and how many items match in all.
#[Object(name_type)]
impl<N: OutputType> Page<N> {
    /// The items of this page, each with its cursor.
    async fn edges(&self) -> &[Edge<String, N, EmptyFields>] {
        &self.edges
    }

    /// Whether items follow (and precede) this page, and the cursor to read on from.
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
    fn connections_cost_their_selection_per_item() {
        assert_eq!(cost(None, 10), 201);
        assert_eq!(cost(Some(100), 10), 1001);
        assert_eq!(cost(Some(0), 10), 11);
        assert_eq!(cost(Some(1_000_000), 10), 1001);
        assert_eq!(cost(Some(100), usize::MAX), usize::MAX);
    }
}
