//! Password recovery: a reset link by mail, and the reset itself.
//!
//! `requestPasswordReset` answers the same, at once, whether or not the
//! address has an account: it queues a job (in its own transaction, for
//! every address), and the lookup, the token and the mail happen in that
//! job after the answer, so neither the answer nor its timing tells whether
//! an account exists, and a crash after answering loses nothing. Requests
//! past the per-account mail rate ([`email_tokens::check_rate`]) are
//! dropped silently for the same reason.

use crate::accounts::email_links::tokens::{self as email_tokens, TokenPurpose, stale_link};
use crate::accounts::users::queries;
use crate::audit::{self, AuditKind};
use crate::auth::password::{self, Password};
use crate::auth::throttle::forget_account_failures;
use crate::email::Email;
use crate::error::{AppError, AppResult};
use crate::jobs::{self, NewJob};
use crate::mail::{self, templates};
use crate::sessions::queries as session_queries;
use crate::state::AppState;
use crate::tx::{Actor, Tx};
use serde_json::json;

/// The job that mails a reset link ([`mail_reset_link`]).
pub const RESET_MAIL_JOB: &str = "password_reset_mail";

/// Ask for a reset link to `email`: a job is queued in the caller's transaction for every well-formed address, known or not, and looks it up later (see the module docs). Errors: `BAD_USER_INPUT` on `email` only for a malformed address.
pub async fn request_reset(tx: &mut Tx<'_>, email: &str) -> AppResult<()> {
    let email = Email::parse(email, "email")?;
    jobs::enqueue(
        tx,
        NewJob::new(RESET_MAIL_JOB, json!({ "email": email.as_str() })),
    )
    .await?;
    Ok(())
}

/// The job of [`request_reset`]: mail a reset link to the address in `payload` if it belongs to an account that may sign in, within the per-account rate (past it, nothing is sent, silently).
pub async fn mail_reset_link(state: &AppState, payload: serde_json::Value) -> AppResult<()> {
    let address = payload
        .get("email")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| AppError::internal("a reset-mail job without an email"))?;
    let email = Email::parse(address, "email")?;
    state
        .write(Actor::default(), async |tx| {
            let Some(user) = queries::find_by_email(tx, email.as_str()).await? else {
                return Ok(());
            };
            if user.deleted_at.is_some() || user.blocked_at.is_some() {
                return Ok(());
            }
            match email_tokens::check_rate(tx, user.id, TokenPurpose::ResetPassword).await {
                Err(AppError::RateLimited { .. }) => return Ok(()),
                other => other?,
            }
            let ttl = tx.state().config.accounts.reset_token_ttl;
            let token =
                email_tokens::issue(tx, TokenPurpose::ResetPassword, user.id, &user.email, ttl).await?;
            let mail = templates::reset_password(&tx.state().config, &user.email, &user.name, &token);
            mail::enqueue(tx, &mail).await
        })
        .await
}

/// Set a new password with a reset link's token. The token is single use; every session of the user ends; failed sign-ins counted against the account are forgotten; the address counts as verified (the link reached it). Errors: `BAD_USER_INPUT` on `newPassword` (length) or `token` (unknown, used, expired, or mailed to an address that is no longer the login).
pub async fn reset_password(
    state: &AppState,
    actor: Actor,
    token: &str,
    new_password: String,
) -> AppResult<()> {
    let password = Password::parse(new_password, "newPassword")?;
    email_tokens::check(&mut state.pool.get().await?, TokenPurpose::ResetPassword, token).await?;
    let hash = password::hash(&password).await?;
    state
        .write(actor, async |tx| {
            let client = tx.actor().client.clone();
            let used = email_tokens::consume(tx, &[TokenPurpose::ResetPassword], token).await?;
            let user = queries::find_live(tx, used.user_id)
                .await?
                .filter(|u| u.email == used.email)
                .ok_or_else(stale_link)?;
            queries::set_password_hash(tx, user.id, &hash).await?;
            queries::mark_email_verified(tx, user.id).await?;
            email_tokens::retire(tx, user.id, &[TokenPurpose::ResetPassword]).await?;
            forget_account_failures(tx, &audit::email_digest(&user.email)).await?;
            audit::record(tx, AuditKind::PasswordReset, user.id, &client).await?;
            session_queries::revoke_all(tx, user.id).await
        })
        .await
}
