//! Portfolio workflows: validate, then one owner-scoped statement each (no
//! transaction needed). Only freelancers add items; only the item's
//! freelancer changes or deletes it, and anyone else gets `NOT_FOUND`.

use async_graphql::MaybeUndefined;

use super::graphql::{CreatePortfolioItemInput, UpdatePortfolioItemInput};
use super::model::{
    PortfolioItemChangeset, PortfolioItemRow, parse_completed_at, parse_description, parse_title, parse_url,
    skills_to_db,
};
use super::queries;
use crate::auth::Role;
use crate::auth::Viewer;
use crate::db::PortfolioItemId;
use crate::db::now;
use crate::db::types::Timestamp;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::text::parse_skills;

/// An update of a nullable field: `None` when omitted, `Some(None)` for an
/// explicit `null`, `Some(Some(value))` for a valid value.
fn nullable<T, U>(
    value: MaybeUndefined<T>,
    parse: impl FnOnce(T) -> AppResult<U>,
) -> AppResult<Option<Option<U>>> {
    match value {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Ok(Some(None)),
        MaybeUndefined::Value(value) => parse(value).map(|parsed| Some(Some(parsed))),
    }
}

/// Add an item to the viewer's portfolio (freelancers only).
pub async fn create(
    state: &AppState,
    viewer: Viewer,
    input: CreatePortfolioItemInput,
) -> AppResult<PortfolioItemRow> {
    if viewer.role != Role::Freelancer {
        return Err(AppError::forbidden("only freelancers keep a portfolio"));
    }
    let now = now();
    let row = PortfolioItemRow {
        id: PortfolioItemId::new(),
        freelancer_id: viewer.user_id,
        title: parse_title(&input.title)?,
        description: parse_description(&input.description)?,
        url: input.url.as_deref().map(parse_url).transpose()?,
        skills: skills_to_db(&parse_skills(&input.skills)?)?,
        completed_at: input
            .completed_at
            .map(|at| parse_completed_at(Timestamp(at), now))
            .transpose()?,
        created_at: now,
        updated_at: now,
    };
    let mut conn = state.pool.get().await?;
    queries::insert(&mut conn, &row).await
}

/// Change the viewer's item `id`: omitted fields stay, `null` clears `url`,
/// `completedAt` and `skills`.
pub async fn update(
    state: &AppState,
    viewer: Viewer,
    id: PortfolioItemId,
    input: UpdatePortfolioItemInput,
) -> AppResult<PortfolioItemRow> {
    let now = now();
    let skills = nullable(input.skills, |skills| parse_skills(&skills))?;
    let changes = PortfolioItemChangeset {
        title: input.title.as_deref().map(parse_title).transpose()?,
        description: input.description.as_deref().map(parse_description).transpose()?,
        url: nullable(input.url, |url| parse_url(&url))?,
        skills: skills.map(|s| skills_to_db(&s.unwrap_or_default())).transpose()?,
        completed_at: nullable(input.completed_at, |at| parse_completed_at(Timestamp(at), now))?,
        updated_at: now,
    };
    let mut conn = state.pool.get().await?;
    queries::update_owned(&mut conn, viewer.user_id, id, &changes)
        .await?
        .ok_or(AppError::NotFound("portfolio item"))
}

/// Delete the viewer's item `id`; returns its id.
pub async fn delete(state: &AppState, viewer: Viewer, id: PortfolioItemId) -> AppResult<PortfolioItemId> {
    let mut conn = state.pool.get().await?;
    queries::delete_owned(&mut conn, viewer.user_id, id)
        .await?
        .ok_or(AppError::NotFound("portfolio item"))
}
