//! Project workflows. Each takes the transaction context ([`Tx`]) and a
//! plain command; who may do what is asked of the [`policy`](super::policy).

use chrono::{DateTime, Utc};

use super::model::{
    BudgetType, Category, ExperienceLevel, NewProject, ProjectChangeset, ProjectRow, ProjectStatus,
    parse_description, parse_title,
};
use super::policy::{self, ProjectAction};
use super::queries;
use crate::accounts::email_links::verification::require_verified;
use crate::db::ProjectId;
use crate::db::now;
use crate::db::types::Timestamp;
use crate::error::{AppError, AppResult};
use crate::money::{Money, MoneyError};
use crate::text::parse_skills;
use crate::tx::Tx;

/// A project to post.
#[derive(Debug, Clone)]
pub struct NewProjectCommand {
    /// Short title.
    pub title: String,
    /// What the work is.
    pub description: String,
    /// Kind of work.
    pub category: Category,
    /// Skills wanted.
    pub skills: Vec<String>,
    /// Fixed price or hourly.
    pub budget_type: BudgetType,
    /// Lower end of the budget.
    pub budget_min: Money,
    /// Upper end of the budget.
    pub budget_max: Money,
    /// Experience asked for.
    pub experience_level: ExperienceLevel,
    /// When the work is due.
    pub deadline: DateTime<Utc>,
}

/// Changes to an open project (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct ProjectChanges {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New category.
    pub category: Option<Category>,
    /// New skills, replacing the old (empty clears them).
    pub skills: Option<Vec<String>>,
    /// New budget type.
    pub budget_type: Option<BudgetType>,
    /// New lower end of the budget.
    pub budget_min: Option<Money>,
    /// New upper end of the budget.
    pub budget_max: Option<Money>,
    /// New experience level.
    pub experience_level: Option<ExperienceLevel>,
    /// New deadline.
    pub deadline: Option<DateTime<Utc>>,
}

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
pub async fn create(tx: &mut Tx<'_>, cmd: NewProjectCommand) -> AppResult<ProjectRow> {
    let viewer = policy::may_post(tx.actor().viewer)?;
    let title = parse_title(&cmd.title)?;
    let description = parse_description(&cmd.description)?;
    let skills = parse_skills(&cmd.skills)?;
    let (budget_min, budget_max) = budget(cmd.budget_min, cmd.budget_max)?;
    let deadline = deadline(cmd.deadline)?;
    require_verified(tx).await?;
    let now = now();
    let project = queries::insert(
        tx,
        &NewProject {
            id: ProjectId::new(),
            client_id: viewer.user_id,
            title: &title,
            description: &description,
            category: cmd.category,
            budget_type: cmd.budget_type,
            budget_min_minor: budget_min.minor(),
            budget_max_minor: budget_max.minor(),
            currency: budget_min.currency().code(),
            experience_level: cmd.experience_level,
            deadline,
            status: ProjectStatus::Open,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    queries::set_skills(tx, project.id, &skills).await?;
    Ok(project)
}

/// The project `id` if the viewer may take `action` on it: `NOT_FOUND` when they may not even see it, `FORBIDDEN` when they may see it only.
pub async fn acting_on(tx: &mut Tx<'_>, id: ProjectId, action: ProjectAction) -> AppResult<ProjectRow> {
    let viewer = tx.actor().viewer;
    let project = queries::find_visible(tx, viewer, id)
        .await?
        .ok_or(AppError::NotFound("project"))?;
    policy::may(viewer, action, &project)?;
    Ok(project)
}

/// Change an open project (its client); fields left `None` stay as they are.
pub async fn update(tx: &mut Tx<'_>, id: ProjectId, cmd: ProjectChanges) -> AppResult<ProjectRow> {
    let project = acting_on(tx, id, ProjectAction::Edit).await?;
    project.status.check_editable()?;
    let mut changes = ProjectChangeset {
        updated_at: Some(now()),
        category: cmd.category,
        budget_type: cmd.budget_type,
        experience_level: cmd.experience_level,
        ..Default::default()
    };
    if let Some(title) = &cmd.title {
        changes.title = Some(parse_title(title)?);
    }
    if let Some(description) = &cmd.description {
        changes.description = Some(parse_description(description)?);
    }
    if let Some(at) = cmd.deadline {
        changes.deadline = Some(deadline(at)?);
    }
    if cmd.budget_min.is_some() || cmd.budget_max.is_some() {
        let min = cmd.budget_min.map_or_else(|| project.budget_min(), Ok)?;
        let max = cmd.budget_max.map_or_else(|| project.budget_max(), Ok)?;
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
    let updated = queries::update(tx, id, &changes).await?;
    if let Some(skills) = &cmd.skills {
        queries::set_skills(tx, id, &parse_skills(skills)?).await?;
    }
    Ok(updated)
}

/// Delete a project (its client), only while no proposal was ever accepted.
pub async fn delete(tx: &mut Tx<'_>, id: ProjectId) -> AppResult<ProjectId> {
    acting_on(tx, id, ProjectAction::Delete).await?;
    if queries::has_contract(tx, id).await? {
        return Err(AppError::InvalidState(
            "a proposal was accepted: cancel the project instead".into(),
        ));
    }
    queries::delete(tx, id).await?;
    Ok(id)
}
