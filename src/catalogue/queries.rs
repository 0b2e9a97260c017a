//! Reads and single-statement writes on the catalogue.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::model::{NewService, ServiceCategory, ServiceChangeset, ServiceRow};
use super::policy::visible_to;
use crate::auth::Viewer;
use crate::db::keyset::PageArgs;
use crate::db::schema::services;
use crate::db::{Conn, ServiceId, contains_pattern, lower};
use crate::error::AppResult;
use crate::{newest_first_page, with_conn};

/// The cursor tag of catalogue lists (newest first).
pub const ORDER: &str = "CREATED_AT_DESC";

/// What a list of services is narrowed to.
#[derive(Debug, Default, Clone)]
pub struct ServiceFilter {
    /// Name or description contains this, ignoring case.
    pub search: Option<String>,
    /// Only this trade.
    pub category: Option<ServiceCategory>,
    /// Inactive ones too (admins only; ignored for others).
    pub include_inactive: bool,
}

/// A page of the services the viewer may see, newest first.
pub async fn list(
    conn: &mut Conn,
    viewer: Option<Viewer>,
    filter: &ServiceFilter,
    args: &PageArgs,
    with_total: bool,
) -> AppResult<(Vec<ServiceRow>, i64)> {
    let after = args.after_time::<ServiceId>()?;
    let search = filter.search.as_deref().map(contains_pattern);
    Ok(with_conn!(conn, |c| {
        let build = || {
            let mut q = visible_to!(services::table.into_boxed(), viewer);
            if !filter.include_inactive {
                q = q.filter(services::active.eq(true));
            }
            if let Some(category) = filter.category {
                q = q.filter(services::category.eq(category));
            }
            if let Some(pattern) = &search {
                q = q.filter(
                    services::name_key
                        .like(pattern.clone())
                        .escape('\\')
                        .or(lower(services::description).like(pattern.clone()).escape('\\')),
                );
            }
            q
        };
        newest_first_page!(
            c,
            build,
            services::created_at,
            services::id,
            ServiceRow,
            after,
            args.fetch(),
            with_total
        )
    })?)
}

/// The service, if the viewer may see it.
pub async fn find_visible(
    conn: &mut Conn,
    viewer: Option<Viewer>,
    id: ServiceId,
) -> AppResult<Option<ServiceRow>> {
    Ok(find_visible_many(conn, viewer, &[id]).await?.pop())
}

/// The services among `ids` the viewer may see, in one statement.
pub async fn find_visible_many(
    conn: &mut Conn,
    viewer: Option<Viewer>,
    ids: &[ServiceId],
) -> AppResult<Vec<ServiceRow>> {
    Ok(with_conn!(conn, |c| {
        visible_to!(services::table.into_boxed(), viewer)
            .filter(services::id.eq_any(ids))
            .select(ServiceRow::as_select())
            .load(c)
            .await
    })?)
}

/// Services by id, active or not (behind a request or a profile that names them).
pub async fn find_by_ids(conn: &mut Conn, ids: &[ServiceId]) -> AppResult<Vec<ServiceRow>> {
    Ok(with_conn!(conn, |c| {
        services::table
            .filter(services::id.eq_any(ids))
            .select(ServiceRow::as_select())
            .load(c)
            .await
    })?)
}

/// Insert a service; a taken name is `CONFLICT` on `name`.
pub async fn insert(conn: &mut Conn, new: &NewService<'_>) -> AppResult<ServiceRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(services::table)
            .values(new)
            .returning(ServiceRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// Change a service; a taken name is `CONFLICT` on `name`.
pub async fn update(conn: &mut Conn, id: ServiceId, changes: &ServiceChangeset) -> AppResult<ServiceRow> {
    Ok(with_conn!(conn, |c| {
        diesel::update(services::table.find(id))
            .set(changes)
            .returning(ServiceRow::as_returning())
            .get_result(c)
            .await
    })?)
}
