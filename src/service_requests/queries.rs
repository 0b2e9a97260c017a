//! Reads and single-statement writes on service requests.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::model::{ServiceRequestRow, ServiceRequestStatus, Transition};
use super::policy::visible_to;
use crate::auth::Viewer;
use crate::db::keyset::PageArgs;
use crate::db::schema::{professional_postal_codes, professional_services, service_requests};
use crate::db::types::Timestamp;
use crate::db::{Conn, ServiceId, ServiceRequestId, UserId};
use crate::error::AppResult;
use crate::{newest_first_page, with_conn};

/// The cursor tag of service request lists (newest first).
pub const ORDER: &str = "CREATED_AT_DESC";

/// Which side of a request the viewer is on.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceRequestRole {
    /// Requests the viewer made.
    AsClient,
    /// Requests assigned to the viewer.
    AsProfessional,
}

/// What a list of service requests is narrowed to.
#[derive(Debug, Default, Clone)]
pub struct ServiceRequestFilter {
    /// Only this status.
    pub status: Option<ServiceRequestStatus>,
    /// Only this service.
    pub service_id: Option<ServiceId>,
    /// Only this side of the viewer's.
    pub role: Option<ServiceRequestRole>,
    /// Made by this client.
    pub client_id: Option<UserId>,
    /// Assigned to this professional.
    pub professional_id: Option<UserId>,
    /// Made at or after.
    pub created_after: Option<Timestamp>,
    /// Made before.
    pub created_before: Option<Timestamp>,
}

/// A page of the requests the viewer may see, newest first.
pub async fn list(
    conn: &mut Conn,
    viewer: Viewer,
    filter: &ServiceRequestFilter,
    args: &PageArgs,
    with_total: bool,
) -> AppResult<(Vec<ServiceRequestRow>, i64)> {
    let after = args.after_time::<ServiceRequestId>()?;
    Ok(with_conn!(conn, |c| {
        let build = || {
            let mut q = visible_to!(service_requests::table.into_boxed(), viewer);
            if let Some(status) = filter.status {
                q = q.filter(service_requests::status.eq(status));
            }
            if let Some(service) = filter.service_id {
                q = q.filter(service_requests::service_id.eq(service));
            }
            match filter.role {
                Some(ServiceRequestRole::AsClient) => {
                    q = q.filter(service_requests::client_id.eq(viewer.user_id));
                }
                Some(ServiceRequestRole::AsProfessional) => {
                    q = q.filter(service_requests::professional_id.eq(viewer.user_id));
                }
                None => {}
            }
            if let Some(client) = filter.client_id {
                q = q.filter(service_requests::client_id.eq(client));
            }
            if let Some(professional) = filter.professional_id {
                q = q.filter(service_requests::professional_id.eq(professional));
            }
            if let Some(at) = filter.created_after {
                q = q.filter(service_requests::created_at.ge(at));
            }
            if let Some(at) = filter.created_before {
                q = q.filter(service_requests::created_at.lt(at));
            }
            q
        };
        newest_first_page!(
            c,
            build,
            service_requests::created_at,
            service_requests::id,
            ServiceRequestRow,
            after,
            args.fetch(),
            with_total
        )
    })?)
}

/// A page of the `REQUESTED` requests `professional` could take: for a service they offer, in a postal code they cover; newest first.
pub async fn open_for(
    conn: &mut Conn,
    professional: UserId,
    args: &PageArgs,
    with_total: bool,
) -> AppResult<(Vec<ServiceRequestRow>, i64)> {
    let after = args.after_time::<ServiceRequestId>()?;
    Ok(with_conn!(conn, |c| {
        let build = || {
            service_requests::table
                .into_boxed()
                .filter(service_requests::status.eq(ServiceRequestStatus::Requested))
                .filter(
                    service_requests::service_id.eq_any(
                        professional_services::table
                            .filter(professional_services::user_id.eq(professional))
                            .select(professional_services::service_id),
                    ),
                )
                .filter(
                    service_requests::postal_code.eq_any(
                        professional_postal_codes::table
                            .filter(professional_postal_codes::user_id.eq(professional))
                            .select(professional_postal_codes::postal_code),
                    ),
                )
        };
        newest_first_page!(
            c,
            build,
            service_requests::created_at,
            service_requests::id,
            ServiceRequestRow,
            after,
            args.fetch(),
            with_total
        )
    })?)
}

/// The request, if the viewer may see it.
pub async fn find_visible(
    conn: &mut Conn,
    viewer: Viewer,
    id: ServiceRequestId,
) -> AppResult<Option<ServiceRequestRow>> {
    Ok(find_visible_many(conn, viewer, &[id]).await?.pop())
}

/// The requests among `ids` the viewer may see, in one statement.
pub async fn find_visible_many(
    conn: &mut Conn,
    viewer: Viewer,
    ids: &[ServiceRequestId],
) -> AppResult<Vec<ServiceRequestRow>> {
    Ok(with_conn!(conn, |c| {
        visible_to!(service_requests::table.into_boxed(), viewer)
            .filter(service_requests::id.eq_any(ids))
            .select(ServiceRequestRow::as_select())
            .load(c)
            .await
    })?)
}

/// The request `id`, whoever may see it (a claim checks the claimer's eligibility instead).
pub async fn find(conn: &mut Conn, id: ServiceRequestId) -> AppResult<Option<ServiceRequestRow>> {
    Ok(with_conn!(conn, |c| {
        service_requests::table
            .find(id)
            .select(ServiceRequestRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// Insert a request.
pub async fn insert(conn: &mut Conn, row: &ServiceRequestRow) -> AppResult<ServiceRequestRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(service_requests::table)
            .values(row)
            .returning(ServiceRequestRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// Apply `change` to request `id` if its status is still `from`; `None` when it is not (someone else moved it first).
pub async fn transition(
    conn: &mut Conn,
    id: ServiceRequestId,
    from: ServiceRequestStatus,
    change: &Transition,
) -> AppResult<Option<ServiceRequestRow>> {
    Ok(with_conn!(conn, |c| {
        diesel::update(
            service_requests::table
                .filter(service_requests::id.eq(id))
                .filter(service_requests::status.eq(from)),
        )
        .set(change)
        .returning(ServiceRequestRow::as_returning())
        .get_result(c)
        .await
        .optional()
    })?)
}
