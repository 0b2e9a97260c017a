//! What runs in the background: the job kinds this application handles
//! ([`handlers`]), the workers that run them, and the housekeeping every
//! instance does (hourly, forget what is past [`RETENTION`]: sent and failed
//! mail, expired mailed tokens). It lives above the areas, so that the
//! queue (`jobs`) and the base modules need not know them.

use std::time::Duration;

use crate::accounts::email_links::{recovery, tokens as email_tokens};
use crate::db::now;
use crate::db::types::Timestamp;
use crate::error::{AppError, AppResult};
use crate::jobs::worker::{self, Handler, Handlers, Workers};
use crate::mail;
use crate::state::AppState;

/// How long sent and failed messages (without their bodies) and expired
/// tokens are kept.
pub const RETENTION: Duration = Duration::from_secs(30 * 86_400);
/// How often old rows are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Every job kind and its handler.
pub fn handlers() -> Handlers {
    let reset_mail: Handler = |state, payload| Box::pin(recovery::mail_reset_link(state, payload));
    Handlers::new(&[(recovery::RESET_MAIL_JOB, reset_mail)])
}

/// Start this instance's background work: the mail deliverer, the
/// housekeeping and the job workers (stop them with [`Workers::shutdown`]).
pub fn start(state: &AppState) -> Workers {
    crate::mail::deliver::spawn(state.clone());
    spawn_housekeeping(state.clone());
    worker::spawn(state, handlers())
}

/// Prune now and then every [`PRUNE_EVERY`]; runs as long as the runtime.
fn spawn_housekeeping(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(PRUNE_EVERY);
        loop {
            every.tick().await;
            if let Err(err) = prune(&state).await {
                tracing::warn!(code = err.code(), "pruning old mail and tokens failed");
            }
        }
    })
}

/// Forget what is past [`RETENTION`]: sent and failed messages, expired tokens.
pub async fn prune(state: &AppState) -> AppResult<()> {
    let before = Timestamp(now().0 - chrono::Duration::from_std(RETENTION).map_err(AppError::internal)?);
    let mut conn = state.pool.get().await?;
    let mail = mail::prune_finished(&mut conn, before).await?;
    let tokens = email_tokens::prune_expired(&mut conn, before).await?;
    tracing::debug!(mail, tokens, "pruned old mail and tokens");
    Ok(())
}
