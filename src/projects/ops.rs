//! Project workflows, each in one transaction, with ownership checked here.

use async_graphql::MaybeUndefined;
use chrono::{DateTime, Utc};

use super::graphql::{CreateProjectInput, UpdateProjectInput};
use super::model::{
    BudgetType, NewProject, ProjectChangeset, ProjectRow, ProjectStatus, parse_description, parse_title,
};
use super::queries;
use crate::accounts::verification::require_verified;
use crate::auth::Role;
use crate::auth::Viewer;
use crate::contracts::queries as contracts;
use crate::db::ProjectId;
use crate::db::types::Timestamp;
use crate::db::{Conn, now};
use crate::error::{AppError, AppResult};
use crate::money::{Money, MoneyError};
use crate::state::AppState;
use crate::text::parse_skills;

/// Check a budget range: both ends in one currency, min ≤ max.
fn budget(min: Money, max: Money) -> AppResult<(Money, Money)> {
    let spread = max.checked_sub(min).map_err(|e| match e {
        MoneyError::CurrencyMismatch { .. } => {
            AppError::bad_input("budgetMax", "must be in the same currency as budgetMin")
        }
        other => other.at("budgetMax"),
    })?;
    if spread.minor() < 0 {
        return Err(AppError::bad_input("budgetMax", "must not be below budgetMin"));
    }
    Ok((min, max))
}

fn deadline(at: DateTime<Utc>) -> AppResult<Timestamp> {
    let at = Timestamp(at);
    if at <= now() {
        return Err(AppError::bad_input("deadline", "must be in the future"));
    }
    Ok(Timestamp::from_micros(at.micros()).unwrap_or(at))
}

/// Post a project (clients only).
pub async fn create(state: &AppState, viewer: Viewer, input: CreateProjectInput) -> AppResult<ProjectRow> {
    if viewer.role != Role::Client {
        return Err(AppError::forbidden("only clients post projects"));
    }
    let title = parse_title(&input.title)?;
    let description = parse_description(&input.description)?;
    let skills = parse_skills(&input.skills)?;
    let (budget_min, budget_max) = budget(
        input.budget_min.parse_positive("budgetMin")?,
        input.budget_max.parse_positive("budgetMax")?,
    )?;
    let deadline = deadline(input.deadline)?;
    let mut conn = state.pool.get().await?;
    require_verified(&mut conn, state, viewer).await?;
    conn.write_tx(async |conn| {
        let now = now();
        let project = queries::insert(
            conn,
            &NewProject {
                id: ProjectId::new(),
                client_id: viewer.user_id,
                title: &title,
                description: &description,
                category: input.category,
                budget_type: input.budget_type.unwrap_or(BudgetType::Fixed),
                budget_min_minor: budget_min.minor(),
                budget_max_minor: budget_max.minor(),
                currency: budget_min.currency().code(),
                experience_level: input.experience_level,
                deadline,
                status: ProjectStatus::Open,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
        queries::set_skills(conn, project.id, &skills).await?;
        Ok(project)
    })
    .await
}

/// The project if the viewer owns it: `FORBIDDEN` when they may see it but
/// not change it, `NOT_FOUND` when they may not even see it.
pub async fn owned(conn: &mut Conn, viewer: Viewer, id: ProjectId) -> AppResult<ProjectRow> {
    let project = queries::find_visible(conn, Some(viewer), id)
        .await?
        .ok_or(AppError::NotFound("project"))?;
    if project.client_id != viewer.user_id {
        return Err(AppError::forbidden("only the project's client may do this"));
    }
    Ok(project)
}

/// Change an open project (owner); omitted fields stay as they are.
pub async fn update(
    state: &AppState,
    viewer: Viewer,
    id: ProjectId,
    input: UpdateProjectInput,
) -> AppResult<ProjectRow> {
    let mut conn = state.pool.get().await?;
    conn.write_tx(async |conn| {
        let project = owned(conn, viewer, id).await?;
        project.status.check_editable()?;
        let mut changes = ProjectChangeset {
            updated_at: Some(now()),
            ..Default::default()
        };
        if let Some(title) = &input.title {
            changes.title = Some(parse_title(title)?);
        }
        if let Some(description) = &input.description {
            changes.description = Some(parse_description(description)?);
        }
        changes.category = input.category;
        changes.budget_type = input.budget_type;
        changes.experience_level = input.experience_level;
        if let Some(at) = input.deadline {
            changes.deadline = Some(deadline(at)?);
        }
        if input.budget_min.is_some() || input.budget_max.is_some() {
            let min = match &input.budget_min {
                Some(min) => min.parse_positive("budgetMin")?,
                None => project.budget_min()?,
            };
            let max = match &input.budget_max {
                Some(max) => max.parse_positive("budgetMax")?,
                None => project.budget_max()?,
            };
            let (min, max) = budget(min, max)?;
            (
                changes.budget_min_minor,
                changes.budget_max_minor,
                changes.currency,
            ) = (
                Some(min.minor()),
                Some(max.minor()),
                Some(min.currency().code().to_owned()),
            );
        }
        let updated = queries::update(conn, id, &changes).await?;
        if let MaybeUndefined::Value(skills) = &input.skills {
            queries::set_skills(conn, id, &parse_skills(skills)?).await?;
        } else if input.skills.is_null() {
            queries::set_skills(conn, id, &[]).await?;
        }
        Ok(updated)
    })
    .await
}

/// Cancel a project (owner). An in-progress project's active contract is
/// cancelled with it.
pub async fn cancel(state: &AppState, viewer: Viewer, id: ProjectId) -> AppResult<ProjectRow> {
    let mut conn = state.pool.get().await?;
    conn.write_tx(async |conn| {
        let project = owned(conn, viewer, id).await?;
        let from = project.status;
        let to = from.cancel()?;
        if !queries::set_status(conn, id, from, to).await? {
            return Err(AppError::InvalidState(
                "the project changed meanwhile; try again".into(),
            ));
        }
        if from == ProjectStatus::InProgress {
            contracts::cancel_active_of_project(conn, id, "the client cancelled the project").await?;
        }
        queries::find_by_ids(conn, &[id])
            .await?
            .pop()
            .ok_or(AppError::NotFound("project"))
    })
    .await
}

/// Delete a project (owner), only while no proposal was ever accepted.
pub async fn delete(state: &AppState, viewer: Viewer, id: ProjectId) -> AppResult<ProjectId> {
    let mut conn = state.pool.get().await?;
    conn.write_tx(async |conn| {
        owned(conn, viewer, id).await?;
        if queries::has_contract(conn, id).await? {
            return Err(AppError::InvalidState(
                "a proposal was accepted: cancel the project instead".into(),
            ));
        }
        queries::delete(conn, id).await?;
        Ok(id)
    })
    .await
}
