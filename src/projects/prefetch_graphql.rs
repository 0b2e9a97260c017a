//! Prefetching for a page of projects (see `graphql::prefetch`).

use async_graphql::{Context, SelectionField, Value};
use futures_util::try_join;

use super::loader::SkillsLoader;
use super::model::ProjectRow;
use crate::accounts::users::loader::UserLoader;
use crate::accounts::users::model::UserRow;
use crate::auth::viewer;
use crate::proposals::loader::{ProjectProposalsLoader, ProposalCountLoader, ProposalsOf};

use crate::db::keyset::{DEFAULT_PAGE, MAX_PAGE};
use crate::db::{ProjectId, UserId};
use crate::error::AppError;
use crate::graphql::loader;
use crate::graphql::prefetch::{Prefetched as GqlResult, child, load, users};

/// Whether the page's own statement should bring each row's client and proposal count (`queries::ListWith::relations`): the query shows one of them, or the proposals (whose count comes with them).
pub fn wants_relations(ctx: &Context<'_>) -> bool {
    let node = ctx.look_ahead().field("edges").field("node");
    ["client", "proposalCount", "proposals"]
        .into_iter()
        .any(|name| node.field(name).exists())
}

/// Serve the clients and proposal counts the page's statement brought (empty unless [`wants_relations`]) from the request's loaders, then load, for every row, the other relations the query selects.
pub async fn projects(
    ctx: &Context<'_>,
    rows: &[ProjectRow],
    clients: Vec<UserRow>,
    proposal_counts: Vec<i64>,
) -> GqlResult {
    if rows.is_empty() {
        return Ok(());
    }
    if !proposal_counts.is_empty() {
        let counts = rows.iter().map(|r| r.id).zip(proposal_counts);
        loader::<ProposalCountLoader>(ctx)?.feed_many(counts).await;
    }
    if !clients.is_empty() {
        let clients = clients.into_iter().map(|u| (u.id, u));
        loader::<UserLoader>(ctx)?.feed_many(clients).await;
    }
    let node = ctx.look_ahead().field("edges").field("node");
    let ids: Vec<ProjectId> = rows.iter().map(|r| r.id).collect();
    let skills = load::<SkillsLoader, _>(ctx, node.field("skills").exists(), &ids);
    // The clients' rows are cached now; this loads what else is asked of them (ratings, avatars, profiles).
    let clients = async {
        let client_ids: Vec<UserId> = rows.iter().map(|r| r.client_id).collect();
        for client in node.field("client").selection_fields() {
            users(ctx, &client, &client_ids).await?;
        }
        GqlResult::Ok(())
    };
    let proposals = async {
        for field in node.field("proposals").selection_fields() {
            proposals_of(ctx, rows, &field).await?;
        }
        GqlResult::Ok(())
    };
    try_join!(skills, clients, proposals)?;
    Ok(())
}

/// `Project.proposals(first)` for every row, then their freelancers (and what is asked of them).
async fn proposals_of(ctx: &Context<'_>, rows: &[ProjectRow], field: &SelectionField<'_>) -> GqlResult {
    let arguments = field.arguments().map_err(|e| AppError::internal(e.message))?;
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
        all: viewer.is_some_and(|v| crate::proposals::policy::sees_all_on_project(v, r.client_id)),
    });
    let loaded = loader::<ProjectProposalsLoader>(ctx)?.load_many(keys).await?;
    let freelancer = child(field, "edges")
        .and_then(|e| child(&e, "node"))
        .and_then(|n| child(&n, "freelancer"));
    let Some(freelancer) = freelancer else {
        return Ok(());
    };
    let ids: Vec<UserId> = loaded.values().flatten().map(|p| p.freelancer_id).collect();
    users(ctx, &freelancer, &ids).await
}
