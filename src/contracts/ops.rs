//! Contract workflows: the client completes, either party cancels. The
//! project moves with its contract in the caller's transaction.

use super::model::ContractRow;
use super::policy::{self, ContractAction};
use super::queries;
use crate::db::{ContractId, ProjectId};
use crate::error::{AppError, AppResult};
use crate::projects::model::ProjectStatus;
use crate::projects::queries as projects;
use crate::tx::Tx;

/// The contract `id` if the viewer may take `action` on it: `NOT_FOUND`
/// when they may not see it, `FORBIDDEN` when they may only see it.
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

/// Either party ends the contract early, saying why; the project goes back
/// to `OPEN` so the client can hire again (or cancel it).
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
