//! Email addresses: verification at sign-up (and on request), the change of
//! the login address (confirmed from the new address, announced to the old
//! one), and the `REQUIRE_VERIFIED_EMAIL` gate.
//!
//! Every link is a single-use token ([`email_tokens`]) mailed through the
//! outbox in the transaction that issues it, with the job that sends it.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::accounts::email_links::tokens::{self as email_tokens, TokenPurpose, stale_link};
use crate::accounts::lifecycle::confirm_password;
use crate::accounts::users::model::UserRow;
use crate::accounts::users::queries;
use crate::audit::{self, AuditKind};
use crate::auth::Viewer;
use crate::db::schema::users;
use crate::db::{Conn, now};
use crate::email::Email;
use crate::error::{AppError, AppResult};
use crate::mail::{self, templates};
use crate::state::AppState;
use crate::tx::{Actor, Tx};
use crate::with_conn;

/// The reason `FORBIDDEN` gives when a verified email is required.
pub const EMAIL_NOT_VERIFIED: &str = "EMAIL_NOT_VERIFIED";

/// Issue a verification token for `user`'s address and put its mail in the outbox, inside the caller's transaction (sign-up, resend).
pub async fn send_verification(tx: &mut Tx<'_>, user: &UserRow) -> AppResult<()> {
    let ttl = tx.state().config.accounts.verify_token_ttl;
    let token = email_tokens::issue(tx, TokenPurpose::VerifyEmail, user.id, &user.email, ttl).await?;
    let mail = templates::verify_email(&tx.state().config, &user.email, &user.name, &token);
    mail::enqueue(tx, &mail).await
}

/// The viewer's row (a deleted or vanished account is `NOT_FOUND`).
async fn viewer_row(conn: &mut Conn, viewer: Viewer) -> AppResult<UserRow> {
    queries::find_live(conn, viewer.user_id)
        .await?
        .ok_or(AppError::NotFound("user"))
}

/// Mail the viewer a new verification link. Errors: `INVALID_STATE` (already verified), `RATE_LIMITED` (see [`email_tokens::check_rate`]).
pub async fn resend(tx: &mut Tx<'_>) -> AppResult<()> {
    let viewer = tx.viewer()?;
    let user = viewer_row(tx, viewer).await?;
    if user.email_verified_at.is_some() {
        return Err(AppError::InvalidState("your email is verified already".into()));
    }
    email_tokens::check_rate(tx, user.id, TokenPurpose::VerifyEmail).await?;
    send_verification(tx, &user).await
}

/// Use a link from a verification or email-change mail. A verification marks the address verified; an email change makes the new address the login (verified), ends every other pending link, records `EMAIL_CHANGED` and tells the old address. Errors: `BAD_USER_INPUT` on `token` (unknown, used, expired, or for an address that is no longer the account's), `CONFLICT` on `token` (the new address was taken meanwhile).
pub async fn verify_email(tx: &mut Tx<'_>, token: &str) -> AppResult<()> {
    let client = tx.actor().client.clone();
    let used =
        email_tokens::consume(tx, &[TokenPurpose::VerifyEmail, TokenPurpose::ChangeEmail], token).await?;
    let user = queries::find_live(tx, used.user_id)
        .await?
        .ok_or_else(stale_link)?;
    let now = now();
    match used.purpose {
        TokenPurpose::ChangeEmail => {
            with_conn!(&mut **tx, |c| {
                diesel::update(users::table.find(user.id))
                    .set((
                        users::email.eq(&used.email),
                        users::email_verified_at.eq(Some(now)),
                        users::updated_at.eq(now),
                    ))
                    .execute(c)
                    .await
            })
            .map_err(|e| match AppError::from(e) {
                AppError::Conflict { .. } => AppError::Conflict {
                    field: "token",
                    message: "this address belongs to another account now".into(),
                },
                other => other,
            })?;
            email_tokens::retire(
                tx,
                user.id,
                &[
                    TokenPurpose::VerifyEmail,
                    TokenPurpose::ResetPassword,
                    TokenPurpose::ChangeEmail,
                ],
            )
            .await?;
            audit::record(tx, AuditKind::EmailChanged, user.id, &client).await?;
            let notice = templates::email_changed(&tx.state().config, &user.email, &used.email, &user.name);
            mail::enqueue(tx, &notice).await
        }
        TokenPurpose::VerifyEmail if used.email == user.email => {
            queries::mark_email_verified(tx, user.id).await?;
            email_tokens::retire(tx, user.id, &[TokenPurpose::VerifyEmail]).await
        }
        TokenPurpose::VerifyEmail | TokenPurpose::ResetPassword => Err(stale_link()),
    }
}

/// Ask to sign in with `new_email` from now on: a link goes to the new address, and the login changes only when it is used ([`verify_email`]). Errors: `BAD_USER_INPUT` on `newEmail` (malformed, or the current address) or `currentPassword`; `CONFLICT` on `newEmail`; `RATE_LIMITED`.
pub async fn change_email(
    state: &AppState,
    actor: Actor,
    current_password: String,
    new_email: &str,
) -> AppResult<()> {
    let new_email = Email::parse(new_email, "newEmail")?;
    confirm_password(state, &actor, current_password, "currentPassword").await?;
    state
        .write(actor, async |tx| {
            let viewer = tx.viewer()?;
            let user = viewer_row(tx, viewer).await?;
            if user.email == new_email.as_str() {
                return Err(AppError::bad_input("newEmail", "this is your email already"));
            }
            if queries::find_by_email(tx, new_email.as_str()).await?.is_some() {
                return Err(AppError::Conflict {
                    field: "newEmail",
                    message: "this email is already in use".into(),
                });
            }
            email_tokens::check_rate(tx, user.id, TokenPurpose::ChangeEmail).await?;
            let ttl = tx.state().config.accounts.verify_token_ttl;
            let token =
                email_tokens::issue(tx, TokenPurpose::ChangeEmail, user.id, new_email.as_str(), ttl).await?;
            let mail =
                templates::confirm_email_change(&tx.state().config, new_email.as_str(), &user.name, &token);
            mail::enqueue(tx, &mail).await
        })
        .await
}

/// With `REQUIRE_VERIFIED_EMAIL=true`, `FORBIDDEN` (reason `EMAIL_NOT_VERIFIED`) unless the viewer's email is verified.
pub async fn require_verified(tx: &mut Tx<'_>) -> AppResult<()> {
    if !tx.state().config.accounts.require_verified_email {
        return Ok(());
    }
    let viewer = tx.viewer()?;
    let verified = viewer_row(tx, viewer).await?.email_verified_at.is_some();
    if verified {
        Ok(())
    } else {
        Err(AppError::Forbidden {
            message: "verify your email address first".into(),
            reason: Some(EMAIL_NOT_VERIFIED),
        })
    }
}
