//! Prefetching for a page of professional profiles (see `graphql::prefetch`).

use async_graphql::Context;
use futures_util::try_join;

use super::loader::{DocumentsLoader, OfferedServicesLoader, ServiceAreaLoader};
use crate::catalogue::loader::ServiceLoader;
use crate::db::UserId;
use crate::graphql::loader;
use crate::graphql::prefetch::{Prefetched, load, users};
use crate::reviews::graphql::RatingLoader;

/// Load, for the profiles of `ids`, the relations the query selects.
pub async fn profiles(ctx: &Context<'_>, ids: &[UserId]) -> Prefetched {
    let node = ctx.look_ahead().field("edges").field("node");
    let people = async {
        for selection in node.field("user").selection_fields() {
            users(ctx, &selection, ids).await?;
        }
        Prefetched::Ok(())
    };
    let services = async {
        if node.field("services").exists() && !ids.is_empty() {
            let offered = loader::<OfferedServicesLoader>(ctx)?
                .load_many(ids.iter().copied())
                .await?;
            let services: Vec<_> = offered.into_values().flatten().collect();
            load::<ServiceLoader, _>(ctx, true, &services).await?;
        }
        Prefetched::Ok(())
    };
    try_join!(
        people,
        services,
        load::<ServiceAreaLoader, _>(ctx, node.field("serviceArea").exists(), ids),
        load::<RatingLoader, _>(ctx, node.field("rating").exists(), ids),
        load::<DocumentsLoader, _>(ctx, node.field("documents").exists(), ids),
    )?;
    Ok(())
}
