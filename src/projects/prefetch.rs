//! Prefetching for a page of projects: what its items will ask for is
//! loaded up front, one statement per relation, into the request's
//! DataLoader caches. Batching by timer alone splits a large page into
//! several batches (resolving 100 items can outlast the loader's 1 ms
//! window), so the statement count would grow with the page size.

use async_graphql::{Context, SelectionField, Value};
use futures_util::try_join;

use super::loader::{ProjectProposalsLoader, ProposalCountLoader, ProposalsOf, SkillsLoader};
use super::model::ProjectRow;
use crate::accounts::loader::UserLoader;
use crate::auth::viewer;
use crate::db::DbId;
use crate::graphql::RequestLoader;
use crate::graphql::pagination::{DEFAULT_PAGE, MAX_PAGE};
use crate::reviews::graphql::RatingLoader;

type GqlResult = async_graphql::Result<()>;

/// The child selection `name` of `field`, if selected.
fn child<'a>(field: &SelectionField<'a>, name: &str) -> Option<SelectionField<'a>> {
    field.selection_set().find(|f| f.name() == name)
}

/// Load, for every row of a page, the relations the query selects.
pub async fn projects(ctx: &Context<'_>, rows: &[ProjectRow]) -> GqlResult {
    if rows.is_empty() {
        return Ok(());
    }
    let node = ctx.look_ahead().field("edges").field("node");
    let ids: Vec<DbId> = rows.iter().map(|r| r.id).collect();
    let skills = async {
        if node.field("skills").exists() {
            ctx.data::<RequestLoader<SkillsLoader>>()?
                .load_many(ids.clone())
                .await?;
        }
        GqlResult::Ok(())
    };
    let clients = async {
        if node.field("client").exists() {
            ctx.data::<RequestLoader<UserLoader>>()?
                .load_many(rows.iter().map(|r| r.client_id))
                .await?;
        }
        GqlResult::Ok(())
    };
    let counts = async {
        if node.field("proposalCount").exists() || node.field("proposals").exists() {
            ctx.data::<RequestLoader<ProposalCountLoader>>()?
                .load_many(ids.clone())
                .await?;
        }
        GqlResult::Ok(())
    };
    let proposals = async {
        for field in node.field("proposals").selection_fields() {
            proposals_of(ctx, rows, &field).await?;
        }
        GqlResult::Ok(())
    };
    try_join!(skills, clients, counts, proposals)?;
    Ok(())
}

/// `Project.proposals(first)` for every row, then their freelancers and ratings.
async fn proposals_of(ctx: &Context<'_>, rows: &[ProjectRow], field: &SelectionField<'_>) -> GqlResult {
    let arguments = field.arguments()?;
    let argument = |name: &str| arguments.iter().find(|(n, _)| n.as_str() == name).map(|(_, v)| v);
    if argument("after").is_some_and(|v| *v != Value::Null) {
        return Ok(());
    }
    let first = match argument("first") {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(-1),
        _ => DEFAULT_PAGE,
    };
    if !(0..=MAX_PAGE).contains(&first) {
        return Ok(());
    }
    let viewer = viewer(ctx);
    let keys = rows.iter().map(|r| ProposalsOf {
        project_id: r.id,
        fetch: first + 1,
        all: viewer.is_some_and(|v| v.user_id == r.client_id || v.role.is_admin()),
    });
    let loaded = ctx
        .data::<RequestLoader<ProjectProposalsLoader>>()?
        .load_many(keys)
        .await?;
    let freelancer = child(field, "edges")
        .and_then(|e| child(&e, "node"))
        .and_then(|n| child(&n, "freelancer"));
    let Some(freelancer) = freelancer else {
        return Ok(());
    };
    let ids: Vec<DbId> = loaded.values().flatten().map(|p| p.freelancer_id).collect();
    let users = ctx.data::<RequestLoader<UserLoader>>()?.load_many(ids.clone());
    let ratings = async {
        if child(&freelancer, "rating").is_some() {
            ctx.data::<RequestLoader<RatingLoader>>()?
                .load_many(ids.clone())
                .await?;
        }
        GqlResult::Ok(())
    };
    try_join!(
        async { users.await.map(|_| ()).map_err(async_graphql::Error::from) },
        ratings
    )?;
    Ok(())
}
