//! Proposal workflows, each in one transaction. Accepting one hires its
//! freelancer: the proposal, the project's other proposals, the project and a
//! new contract change together or not at all.

use super::graphql::{SubmitProposalInput, UpdateProposalInput};
use super::model::{NewProposal, ProposalChangeset, ProposalRow, ProposalStatus, parse_hours};
use super::queries;
use crate::accounts::verification::require_verified;
use crate::auth::Role;
use crate::auth::Viewer;
use crate::contracts::model::ContractRow;
use crate::contracts::queries as contracts;
use crate::db::ProposalId;
use crate::db::{Conn, now};
use crate::error::{AppError, AppResult};
use crate::money::Money;
use crate::money::graphql::MoneyInput;
use crate::projects::model::{ProjectRow, ProjectStatus};
use crate::projects::queries as projects;
use crate::state::AppState;
use crate::text::bounded;

fn cover_letter(raw: &str) -> AppResult<String> {
    bounded(raw, "coverLetter", 5000, false)
}

/// The bid, more than zero and in the project's currency.
fn bid(project: &ProjectRow, amount: &MoneyInput) -> AppResult<Money> {
    let bid = amount.parse_positive("bidAmount")?;
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
pub async fn submit(state: &AppState, viewer: Viewer, input: SubmitProposalInput) -> AppResult<ProposalRow> {
    if viewer.role != Role::Freelancer {
        return Err(AppError::forbidden("only freelancers submit proposals"));
    }
    let project_id = crate::graphql::context::require_id(&input.project_id, "input.projectId", "project")?;
    let letter = cover_letter(&input.cover_letter)?;
    let hours = input.estimated_hours.map(parse_hours).transpose()?;
    let mut conn = state.pool.get().await?;
    require_verified(&mut conn, state, viewer).await?;
    conn.write_tx(async |conn| {
        let project = projects::find_visible(conn, Some(viewer), project_id)
            .await?
            .ok_or(AppError::NotFound("project"))?;
        if project.client_id == viewer.user_id {
            return Err(AppError::forbidden("you cannot bid on your own project"));
        }
        if project.status != ProjectStatus::Open {
            return Err(AppError::InvalidState(
                "the project is not taking proposals".into(),
            ));
        }
        let bid = bid(&project, &input.bid_amount)?;
        let now = now();
        queries::insert(
            conn,
            &NewProposal {
                id: ProposalId::new(),
                project_id,
                freelancer_id: viewer.user_id,
                cover_letter: &letter,
                bid_minor: bid.minor(),
                currency: bid.currency().code(),
                estimated_hours: hours,
                availability: input.availability,
                status: ProposalStatus::Submitted,
                created_at: now,
                updated_at: now,
            },
        )
        .await
    })
    .await
}

/// The viewer's own proposal: `FORBIDDEN` for the project's client (who may
/// see it), `NOT_FOUND` for anyone else.
async fn own(conn: &mut Conn, viewer: Viewer, id: ProposalId) -> AppResult<ProposalRow> {
    let proposal = queries::find_visible(conn, viewer, id)
        .await?
        .ok_or(AppError::NotFound("proposal"))?;
    if proposal.freelancer_id != viewer.user_id {
        return Err(AppError::forbidden("only the proposal's freelancer may do this"));
    }
    Ok(proposal)
}

/// A proposal on one of the viewer's projects, with that project.
async fn received(conn: &mut Conn, viewer: Viewer, id: ProposalId) -> AppResult<(ProposalRow, ProjectRow)> {
    let proposal = queries::find_visible(conn, viewer, id)
        .await?
        .ok_or(AppError::NotFound("proposal"))?;
    let project = projects::find_by_ids(conn, &[proposal.project_id])
        .await?
        .pop()
        .ok_or(AppError::NotFound("project"))?;
    if project.client_id != viewer.user_id {
        return Err(AppError::forbidden("only the project's client may do this"));
    }
    Ok((proposal, project))
}

/// Change a submitted proposal (its freelancer); omitted fields stay.
pub async fn update(
    state: &AppState,
    viewer: Viewer,
    id: ProposalId,
    input: UpdateProposalInput,
) -> AppResult<ProposalRow> {
    let mut conn = state.pool.get().await?;
    conn.write_tx(async |conn| {
        let proposal = own(conn, viewer, id).await?;
        proposal.status.check_editable()?;
        let mut changes = ProposalChangeset {
            updated_at: Some(now()),
            ..Default::default()
        };
        if let Some(letter) = &input.cover_letter {
            changes.cover_letter = Some(cover_letter(letter)?);
        }
        if let Some(amount) = &input.bid_amount {
            let project = projects::find_by_ids(conn, &[proposal.project_id])
                .await?
                .pop()
                .ok_or(AppError::NotFound("project"))?;
            changes.bid_minor = Some(bid(&project, amount)?.minor());
        }
        if input.estimated_hours.is_null() {
            changes.estimated_hours = Some(None);
        } else if let Some(hours) = input.estimated_hours.value() {
            changes.estimated_hours = Some(Some(parse_hours(*hours)?));
        }
        changes.availability = input.availability;
        queries::update_submitted(conn, id, &changes)
            .await?
            .ok_or_else(|| AppError::InvalidState("the proposal is no longer SUBMITTED".into()))
    })
    .await
}

/// Take a submitted proposal back (its freelancer).
pub async fn withdraw(state: &AppState, viewer: Viewer, id: ProposalId) -> AppResult<ProposalRow> {
    let mut conn = state.pool.get().await?;
    conn.write_tx(async |conn| {
        let proposal = own(conn, viewer, id).await?;
        move_status(conn, &proposal, proposal.status.withdraw()?).await
    })
    .await
}

/// Decline a submitted proposal (the project's client).
pub async fn reject(state: &AppState, viewer: Viewer, id: ProposalId) -> AppResult<ProposalRow> {
    let mut conn = state.pool.get().await?;
    conn.write_tx(async |conn| {
        let (proposal, _) = received(conn, viewer, id).await?;
        move_status(conn, &proposal, proposal.status.reject()?).await
    })
    .await
}

async fn move_status(conn: &mut Conn, proposal: &ProposalRow, to: ProposalStatus) -> AppResult<ProposalRow> {
    queries::set_status(conn, proposal.id, proposal.status, to)
        .await?
        .ok_or_else(|| AppError::InvalidState("the proposal changed meanwhile; reload it".into()))
}

/// Hire: accept the proposal, reject the project's other submitted
/// proposals, start the project and create the contract, atomically. Of two
/// concurrent accepts on one project exactly one succeeds: the project's
/// `OPEN` → `IN_PROGRESS` update is conditional, so the second finds it
/// changed (and a partial unique index allows one active contract per project).
pub async fn accept(state: &AppState, viewer: Viewer, id: ProposalId) -> AppResult<ContractRow> {
    let mut conn = state.pool.get().await?;
    conn.write_tx(async |conn| {
        let (proposal, project) = received(conn, viewer, id).await?;
        let next = proposal.status.accept()?;
        let project_from = project.status;
        let project_to = project_from.start()?;
        if !projects::set_status(conn, project.id, project_from, project_to).await? {
            return Err(AppError::InvalidState(
                "another proposal was accepted meanwhile".into(),
            ));
        }
        let accepted = move_status(conn, &proposal, next).await?;
        queries::reject_others(conn, project.id, accepted.id).await?;
        contracts::insert_for(conn, &project, &accepted).await
    })
    .await
}
