//! Prefetching for a page of projects (see `graphql::prefetch`).

use async_graphql::{Context, SelectionField, Value};
use futures_util::try_join;

use super::loader::SkillsLoader;
use super::model::ProjectRow;
use crate::auth::viewer;
use crate::proposals::loader::{ProjectProposalsLoader, ProposalCountLoader, ProposalsOf};

use crate::db::keyset::{DEFAULT_PAGE, MAX_PAGE};
use crate::db::{ProjectId, UserId};
use crate::error::AppError;
use crate::graphql::loader;
use crate::graphql::prefetch::{Prefetched as GqlResult, child, load, users};

/// Load, for every row of a page, the relations the query selects.
pub async fn projects(ctx: &Context<'_>, rows: &[ProjectRow]) -> GqlResult {
    if rows.is_empty() {
        return Ok(());
    }
    let node = ctx.look_ahead().field("edges").field("node");
    let ids: Vec<ProjectId> = rows.iter().map(|r| r.id).collect();
    let skills = load::<SkillsLoader, _>(ctx, node.field("skills").exists(), &ids);
    let clients = async {
        let client_ids: Vec<UserId> = rows.iter().map(|r| r.client_id).collect();
        for client in node.field("client").selection_fields() {
            users(ctx, &client, &client_ids).await?;
        }
        GqlResult::Ok(())
    };
    let counts = load::<ProposalCountLoader, _>(
        ctx,
        node.field("proposalCount").exists() || node.field("proposals").exists(),
        &ids,
    );
    let proposals = async {
        for field in node.field("proposals").selection_fields() {
            proposals_of(ctx, rows, &field).await?;
        }
        GqlResult::Ok(())
    };
    try_join!(skills, clients, counts, proposals)?;
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
