//! What resolvers read from their context.

use async_graphql::{Context, ID};

use crate::auth::ClientInfo;
use crate::db::{GlobalId, TypedId};
use crate::error::{AppError, AppResult};
use crate::graphql::scalars::Upload;
use crate::state::AppState;
use crate::tx::{Actor, Tx};

/// The shared application state.
pub fn state<'a>(ctx: &Context<'a>) -> AppResult<&'a AppState> {
    ctx.data::<AppState>().map_err(|e| AppError::internal(e.message))
}

/// The caller's address and user agent (empty when unknown).
pub fn client_info(ctx: &Context<'_>) -> ClientInfo {
    ctx.data_opt::<ClientInfo>().cloned().unwrap_or_default()
}

/// The client-facing form of a row id: an opaque global id.
pub fn global<T: TypedId>(id: T) -> ID {
    ID(id.to_global())
}

/// Read an id argument expecting type `T`: a malformed id is `BAD_USER_INPUT` on `field`; another type's id is `None`, answered like an unknown one.
pub fn id_arg<T: TypedId>(id: &ID, field: &'static str) -> AppResult<Option<T>> {
    GlobalId::parse(id)
        .map(GlobalId::as_id)
        .ok_or_else(|| AppError::bad_input(field, "not an id"))
}

/// Read the id a mutation acts on: malformed is `BAD_USER_INPUT` on `field`; another type's id is `NOT_FOUND`, like any id the viewer cannot see.
pub fn require_id<T: TypedId>(id: &ID, field: &'static str, what: &'static str) -> AppResult<T> {
    id_arg(id, field)?.ok_or(AppError::NotFound(what))
}

/// Run `operation` in one write transaction, acting as this request's viewer from this request's client; its effects run after the commit.
pub async fn write<R>(
    ctx: &Context<'_>,
    operation: impl AsyncFnOnce(&mut Tx<'_>) -> AppResult<R>,
) -> AppResult<R> {
    state(ctx)?.write(actor(ctx), operation).await
}

/// The file part `file` of this multipart request, as the domain takes it.
pub fn upload(ctx: &Context<'_>, file: &Upload) -> AppResult<crate::uploads::Upload> {
    let value = file.0.value(ctx).map_err(AppError::internal)?;
    Ok(crate::uploads::Upload {
        name: value.filename.clone(),
        size: value.size().map_err(AppError::internal)?,
        content: Box::new(value.into_read()),
    })
}

/// Who this request acts for, and from where.
pub fn actor(ctx: &Context<'_>) -> Actor {
    Actor {
        viewer: crate::auth::viewer(ctx),
        client: client_info(ctx),
    }
}
