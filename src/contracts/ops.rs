//! Contract workflows: the client completes, either party cancels. The
//! project moves with its contract in the same transaction.

use super::model::ContractRow;
use super::queries;
use crate::auth::Viewer;
use crate::db::Conn;
use crate::db::{ContractId, ProjectId};
use crate::error::{AppError, AppResult};
use crate::projects::model::ProjectStatus;
use crate::projects::queries as projects;
use crate::state::AppState;

/// The contract if the viewer is a party (admins may see, not act): else `NOT_FOUND`/`FORBIDDEN`.
async fn as_party(conn: &mut Conn, viewer: Viewer, id: ContractId) -> AppResult<ContractRow> {
    let contract = queries::find_visible(conn, viewer, id)
        .await?
        .ok_or(AppError::NotFound("contract"))?;
    if !contract.is_party(viewer.user_id) {
        return Err(AppError::forbidden("only the contract's parties may do this"));
    }
    Ok(contract)
}

async fn move_project(
    conn: &mut Conn,
    project_id: ProjectId,
    next: fn(ProjectStatus) -> AppResult<ProjectStatus>,
) -> AppResult<()> {
    let project = projects::find_by_ids(conn, &[project_id])
        .await?
        .pop()
        .ok_or(AppError::NotFound("project"))?;
    let from = project.status;
    if !projects::set_status(conn, project_id, from, next(from)?).await? {
        return Err(AppError::InvalidState(
            "the project changed meanwhile; try again".into(),
        ));
    }
    Ok(())
}

/// The client signs the work off; the project becomes `COMPLETED`.
pub async fn complete(state: &AppState, viewer: Viewer, id: ContractId) -> AppResult<ContractRow> {
    let mut conn = state.pool.get().await?;
    conn.write_tx(async |conn| {
        let contract = as_party(conn, viewer, id).await?;
        if contract.client_id != viewer.user_id {
            return Err(AppError::forbidden("only the client completes a contract"));
        }
        let to = contract.status.complete()?;
        let done = queries::finish(conn, id, to, None)
            .await?
            .ok_or_else(|| AppError::InvalidState("the contract changed meanwhile".into()))?;
        move_project(conn, contract.project_id, ProjectStatus::complete).await?;
        Ok(done)
    })
    .await
}

/// Either party ends the contract early; the project goes back to `OPEN`
/// so the client can hire again (or cancel it).
pub async fn cancel(
    state: &AppState,
    viewer: Viewer,
    id: ContractId,
    reason: &str,
) -> AppResult<ContractRow> {
    let reason = crate::text::bounded(reason, "reason", 1000, false)?;
    let mut conn = state.pool.get().await?;
    conn.write_tx(async |conn| {
        let contract = as_party(conn, viewer, id).await?;
        let to = contract.status.cancel()?;
        let cancelled = queries::finish(conn, id, to, Some(&reason))
            .await?
            .ok_or_else(|| AppError::InvalidState("the contract changed meanwhile".into()))?;
        move_project(conn, contract.project_id, ProjectStatus::reopen).await?;
        Ok(cancelled)
    })
    .await
}
