//! Proposal workflows: submit, edit, withdraw, reject. Accepting one (a
//! hire) creates a contract, so it is a contract workflow
//! (`contracts::ops::hire`).

use super::model::{Availability, NewProposal, ProposalChangeset, ProposalRow, ProposalStatus, parse_hours};
use super::policy::{self, ProposalAction};
use super::queries;
use crate::accounts::email_links::verification::require_verified;
use crate::db::now;
use crate::db::{ProjectId, ProposalId};
use crate::error::{AppError, AppResult};
use crate::money::Money;
use crate::projects::model::{ProjectRow, ProjectStatus};
use crate::projects::ops::acting_on as project_acting_on;
use crate::projects::policy::ProjectAction;
use crate::projects::queries as projects;
use crate::text::bounded;
use crate::tx::Tx;

/// A bid on an open project.
#[derive(Debug, Clone)]
pub struct NewProposalCommand {
    /// The project.
    pub project_id: ProjectId,
    /// The pitch.
    pub cover_letter: String,
    /// The price asked, in the project's currency.
    pub bid: Money,
    /// Hours expected.
    pub estimated_hours: Option<i32>,
    /// When the freelancer can start.
    pub availability: Availability,
}

/// Changes to a submitted proposal (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct ProposalChanges {
    /// New pitch.
    pub cover_letter: Option<String>,
    /// New price.
    pub bid: Option<Money>,
    /// New estimate (`Some(None)` clears it).
    pub estimated_hours: Option<Option<i32>>,
    /// New availability.
    pub availability: Option<Availability>,
}

fn cover_letter(raw: &str) -> AppResult<String> {
    bounded(raw, "coverLetter", 5000, false)
}

/// The bid, in the project's currency.
fn bid(project: &ProjectRow, bid: Money) -> AppResult<Money> {
    let currency = project.budget_max()?.currency();
    if bid.currency() != currency {
        return Err(AppError::bad_input(
            "bidAmount",
            format!("bid in the project's currency, {currency}"),
        ));
    }
    Ok(bid)
}

/// Bid on an open project (freelancers only, once per project, never on one's own).
pub async fn submit(tx: &mut Tx<'_>, cmd: NewProposalCommand) -> AppResult<ProposalRow> {
    let letter = cover_letter(&cmd.cover_letter)?;
    let hours = cmd.estimated_hours.map(parse_hours).transpose()?;
    let project = project_acting_on(tx, cmd.project_id, ProjectAction::Bid).await?;
    let viewer = tx.viewer()?;
    require_verified(tx).await?;
    if project.status != ProjectStatus::Open {
        return Err(AppError::InvalidState(
            "the project is not taking proposals".into(),
        ));
    }
    let bid = bid(&project, cmd.bid)?;
    let now = now();
    queries::insert(
        tx,
        &NewProposal {
            id: ProposalId::new(),
            project_id: project.id,
            freelancer_id: viewer.user_id,
            cover_letter: &letter,
            bid_minor: bid.minor(),
            currency: bid.currency().code(),
            estimated_hours: hours,
            availability: cmd.availability,
            status: ProposalStatus::Submitted,
            created_at: now,
            updated_at: now,
        },
    )
    .await
}

/// The proposal `id` and its project, if the viewer may take `action` on it: `NOT_FOUND` when they may not see it, `FORBIDDEN` when they may only see it.
pub async fn acting_on(
    tx: &mut Tx<'_>,
    id: ProposalId,
    action: ProposalAction,
) -> AppResult<(ProposalRow, ProjectRow)> {
    let viewer = tx.viewer()?;
    let proposal = queries::find_visible(tx, viewer, id)
        .await?
        .ok_or(AppError::NotFound("proposal"))?;
    let project = projects::find_by_ids(tx, &[proposal.project_id])
        .await?
        .pop()
        .ok_or(AppError::NotFound("project"))?;
    policy::may(Some(viewer), action, &proposal, project.client_id)?;
    Ok((proposal, project))
}

/// Change a submitted proposal (its freelancer); fields left `None` stay.
pub async fn update(tx: &mut Tx<'_>, id: ProposalId, cmd: ProposalChanges) -> AppResult<ProposalRow> {
    let (proposal, project) = acting_on(tx, id, ProposalAction::Edit).await?;
    proposal.status.check_editable()?;
    let mut changes = ProposalChangeset {
        updated_at: Some(now()),
        availability: cmd.availability,
        ..Default::default()
    };
    if let Some(letter) = &cmd.cover_letter {
        changes.cover_letter = Some(cover_letter(letter)?);
    }
    if let Some(amount) = cmd.bid {
        changes.bid_minor = Some(bid(&project, amount)?.minor());
    }
    if let Some(hours) = cmd.estimated_hours {
        changes.estimated_hours = Some(hours.map(parse_hours).transpose()?);
    }
    queries::update_submitted(tx, id, &changes)
        .await?
        .ok_or_else(|| AppError::InvalidState("the proposal is no longer SUBMITTED".into()))
}

/// Take a submitted proposal back (its freelancer).
pub async fn withdraw(tx: &mut Tx<'_>, id: ProposalId) -> AppResult<ProposalRow> {
    let (proposal, _) = acting_on(tx, id, ProposalAction::Withdraw).await?;
    move_status(tx, &proposal, proposal.status.withdraw()?).await
}

/// Decline a submitted proposal (the project's client).
pub async fn reject(tx: &mut Tx<'_>, id: ProposalId) -> AppResult<ProposalRow> {
    let (proposal, _) = acting_on(tx, id, ProposalAction::Reject).await?;
    move_status(tx, &proposal, proposal.status.reject()?).await
}

pub async fn move_status(
    tx: &mut Tx<'_>,
    proposal: &ProposalRow,
    to: ProposalStatus,
) -> AppResult<ProposalRow> {
    queries::set_status(tx, proposal.id, proposal.status, to)
        .await?
        .ok_or_else(|| AppError::InvalidState("the proposal changed meanwhile; reload it".into()))
}
