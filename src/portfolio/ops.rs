//! Portfolio workflows. Only freelancers add items; only the item's
//! freelancer changes or deletes it (the [`policy`](super::policy)).

use chrono::{DateTime, Utc};

use super::model::{
    PortfolioItemChangeset, PortfolioItemRow, parse_completed_at, parse_description, parse_title, parse_url,
    skills_to_db,
};
use super::policy::{self, PortfolioAction};
use super::queries;
use crate::db::PortfolioItemId;
use crate::db::now;
use crate::db::types::Timestamp;
use crate::error::{AppError, AppResult};
use crate::text::parse_skills;
use crate::tx::Tx;

/// An item of past work.
#[derive(Debug, Clone)]
pub struct NewPortfolioItem {
    /// Title.
    pub title: String,
    /// What was done.
    pub description: String,
    /// Where to see it.
    pub url: Option<String>,
    /// Skills shown.
    pub skills: Vec<String>,
    /// When it was finished.
    pub completed_at: Option<DateTime<Utc>>,
}

/// Changes to an item: `None` leaves a field, `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct PortfolioItemChanges {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New link.
    pub url: Option<Option<String>>,
    /// New skills (`Some(None)` clears them).
    pub skills: Option<Option<Vec<String>>>,
    /// New completion date.
    pub completed_at: Option<Option<DateTime<Utc>>>,
}

/// Add an item to the viewer's portfolio (freelancers only).
pub async fn create(tx: &mut Tx<'_>, cmd: NewPortfolioItem) -> AppResult<PortfolioItemRow> {
    let viewer = policy::may_add(tx.actor().viewer)?;
    let now = now();
    let row = PortfolioItemRow {
        id: PortfolioItemId::new(),
        freelancer_id: viewer.user_id,
        title: parse_title(&cmd.title)?,
        description: parse_description(&cmd.description)?,
        url: cmd.url.as_deref().map(parse_url).transpose()?,
        skills: skills_to_db(&parse_skills(&cmd.skills)?)?,
        completed_at: cmd
            .completed_at
            .map(|at| parse_completed_at(Timestamp(at), now))
            .transpose()?,
        created_at: now,
        updated_at: now,
    };
    queries::insert(tx, &row).await
}

async fn acting_on(
    tx: &mut Tx<'_>,
    id: PortfolioItemId,
    action: PortfolioAction,
) -> AppResult<PortfolioItemRow> {
    let item = queries::find(tx, id)
        .await?
        .ok_or(AppError::NotFound("portfolio item"))?;
    policy::may(tx.actor().viewer, action, &item)?;
    Ok(item)
}

/// Change the viewer's item `id`.
pub async fn update(
    tx: &mut Tx<'_>,
    id: PortfolioItemId,
    cmd: PortfolioItemChanges,
) -> AppResult<PortfolioItemRow> {
    let now = now();
    let parse_at =
        |at: Option<DateTime<Utc>>| at.map(|at| parse_completed_at(Timestamp(at), now)).transpose();
    let changes = PortfolioItemChangeset {
        title: cmd.title.as_deref().map(parse_title).transpose()?,
        description: cmd.description.as_deref().map(parse_description).transpose()?,
        url: cmd
            .url
            .map(|url| url.as_deref().map(parse_url).transpose())
            .transpose()?,
        skills: cmd
            .skills
            .map(|skills| skills_to_db(&parse_skills(&skills.unwrap_or_default())?))
            .transpose()?,
        completed_at: cmd.completed_at.map(parse_at).transpose()?,
        updated_at: now,
    };
    acting_on(tx, id, PortfolioAction::Edit).await?;
    queries::update(tx, id, &changes).await
}

/// Delete the viewer's item `id`; returns its id.
pub async fn delete(tx: &mut Tx<'_>, id: PortfolioItemId) -> AppResult<PortfolioItemId> {
    acting_on(tx, id, PortfolioAction::Delete).await?;
    queries::delete(tx, id).await?;
    Ok(id)
}
