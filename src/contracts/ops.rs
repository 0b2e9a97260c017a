//! Contract workflows: hiring (accepting a proposal creates the contract),
//! completing and cancelling it, and cancelling a project that has one.
//! The project and its proposals move with the contract in the caller's
//! transaction. Workflows spanning areas live in the highest area they
//! touch, so projects and proposals never import contracts.

use super::model::ContractRow;
use super::policy::{self, ContractAction};
use super::queries;
use crate::db::{ContractId, ProjectId, ProposalId};
use crate::error::{AppError, AppResult};
use crate::projects::model::{ProjectRow, ProjectStatus};
use crate::projects::ops as project_ops;
use crate::projects::policy::ProjectAction;
use crate::projects::queries as projects;
use crate::proposals::ops as proposals;
use crate::proposals::policy::ProposalAction;
use crate::proposals::queries as proposal_queries;
use crate::tx::Tx;

/// The contract `id` if the viewer may take `action` on it: `NOT_FOUND` when they may not see it, `FORBIDDEN` when they may only see it.
pub async fn acting_on(tx: &mut Tx<'_>, id: ContractId, action: ContractAction) -> AppResult<ContractRow> {
    let viewer = tx.viewer()?;
    let contract = queries::find_visible(tx, viewer, id)
        .await?
        .ok_or(AppError::NotFound("contract"))?;
    policy::may(Some(viewer), action, &contract)?;
    Ok(contract)
}

async fn move_project(
    tx: &mut Tx<'_>,
    project_id: ProjectId,
    next: fn(ProjectStatus) -> AppResult<ProjectStatus>,
) -> AppResult<()> {
    let project = projects::find_by_ids(tx, &[project_id])
        .await?
        .pop()
        .ok_or(AppError::NotFound("project"))?;
    let from = project.status;
    if !projects::set_status(tx, project_id, from, next(from)?).await? {
        return Err(AppError::InvalidState(
            "the project changed meanwhile; try again".into(),
        ));
    }
    Ok(())
}

/// The client signs the work off; the project becomes `COMPLETED`.
pub async fn complete(tx: &mut Tx<'_>, id: ContractId) -> AppResult<ContractRow> {
    let contract = acting_on(tx, id, ContractAction::Complete).await?;
    let to = contract.status.complete()?;
    let done = queries::finish(tx, id, to, None)
        .await?
        .ok_or_else(|| AppError::InvalidState("the contract changed meanwhile".into()))?;
    move_project(tx, contract.project_id, ProjectStatus::complete).await?;
    Ok(done)
}

/// Either party ends the contract early, saying why; the project goes back to `OPEN` so the client can hire again (or cancel it).
pub async fn cancel(tx: &mut Tx<'_>, id: ContractId, reason: &str) -> AppResult<ContractRow> {
    let reason = crate::text::bounded(reason, "reason", 1000, false)?;
    let contract = acting_on(tx, id, ContractAction::Cancel).await?;
    let to = contract.status.cancel()?;
    let cancelled = queries::finish(tx, id, to, Some(&reason))
        .await?
        .ok_or_else(|| AppError::InvalidState("the contract changed meanwhile".into()))?;
    move_project(tx, contract.project_id, ProjectStatus::reopen).await?;
    Ok(cancelled)
}

/// Hire: accept the proposal, reject the project's other submitted proposals, start the project and create the contract, atomically. Of two concurrent accepts on one project exactly one succeeds: the project's `OPEN` → `IN_PROGRESS` update is conditional, so the second finds it changed (and a partial unique index allows one active contract per project).
pub async fn hire(tx: &mut Tx<'_>, id: ProposalId) -> AppResult<ContractRow> {
    let (proposal, project) = proposals::acting_on(tx, id, ProposalAction::Accept).await?;
    let next = proposal.status.accept()?;
    let project_from = project.status;
    let project_to = project_from.start()?;
    if !projects::set_status(tx, project.id, project_from, project_to).await? {
        return Err(AppError::InvalidState(
            "another proposal was accepted meanwhile".into(),
        ));
    }
    let accepted = proposals::move_status(tx, &proposal, next).await?;
    proposal_queries::reject_others(tx, project.id, accepted.id).await?;
    queries::insert_for(tx, &project, &accepted).await
}

/// Cancel a project (its client). An in-progress project's active contract is cancelled with it.
pub async fn cancel_project(tx: &mut Tx<'_>, id: ProjectId) -> AppResult<ProjectRow> {
    let project = project_ops::acting_on(tx, id, ProjectAction::Cancel).await?;
    let from = project.status;
    let to = from.cancel()?;
    if !projects::set_status(tx, id, from, to).await? {
        return Err(AppError::InvalidState(
            "the project changed meanwhile; try again".into(),
        ));
    }
    if from == ProjectStatus::InProgress {
        queries::cancel_active_of_project(tx, id, "the client cancelled the project").await?;
    }
    projects::find_by_ids(tx, &[id])
        .await?
        .pop()
        .ok_or(AppError::NotFound("project"))
}
