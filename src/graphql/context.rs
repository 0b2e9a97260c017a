//! What resolvers read from their context.

use async_graphql::{Context, ID};

use crate::db::DbId;
use crate::error::{AppError, AppResult};
use crate::sessions::model::ClientInfo;
use crate::state::AppState;

/// The shared application state.
pub fn state<'a>(ctx: &Context<'a>) -> AppResult<&'a AppState> {
    ctx.data::<AppState>().map_err(|e| AppError::internal(e.message))
}

/// The caller's address and user agent (empty when unknown).
pub fn client_info(ctx: &Context<'_>) -> ClientInfo {
    ctx.data_opt::<ClientInfo>().cloned().unwrap_or_default()
}

/// Parse an id argument; an id that is not a UUID is `NOT_FOUND`, like any
/// id the viewer cannot see.
pub fn require_id(id: &ID, what: &'static str) -> AppResult<DbId> {
    DbId::parse(id).ok_or(AppError::NotFound(what))
}
