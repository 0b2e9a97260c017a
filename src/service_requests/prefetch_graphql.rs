//! Prefetching for a page of service requests (see `graphql::prefetch`).

use async_graphql::Context;
use futures_util::try_join;

use super::loader::RequestReviewLoader;
use super::model::ServiceRequestRow;
use crate::catalogue::loader::ServiceLoader;
use crate::db::{ServiceId, ServiceRequestId, UserId};
use crate::graphql::prefetch::{Prefetched, load, users};

/// Load, for every row of a page, the relations the query selects.
pub async fn requests(ctx: &Context<'_>, rows: &[ServiceRequestRow]) -> Prefetched {
    if rows.is_empty() {
        return Ok(());
    }
    let node = ctx.look_ahead().field("edges").field("node");
    let services: Vec<ServiceId> = rows.iter().map(|r| r.service_id).collect();
    let ids: Vec<ServiceRequestId> = rows.iter().map(|r| r.id).collect();
    let people = async {
        let mut wanted: Vec<UserId> = Vec::new();
        let client = node.field("client");
        let professional = node.field("professional");
        if client.exists() {
            wanted.extend(rows.iter().map(|r| r.client_id));
        }
        if professional.exists() {
            wanted.extend(rows.iter().filter_map(|r| r.professional_id));
        }
        // One batch for both sides, with what either selection asks for.
        for selection in client
            .selection_fields()
            .into_iter()
            .chain(professional.selection_fields())
        {
            users(ctx, &selection, &wanted).await?;
        }
        Prefetched::Ok(())
    };
    try_join!(
        load::<ServiceLoader, _>(ctx, node.field("service").exists(), &services),
        load::<RequestReviewLoader, _>(ctx, node.field("review").exists(), &ids),
        people,
    )?;
    Ok(())
}
