//! The account lifecycle: changing the password, deactivating (undone by
//! signing in again) and deleting (personal data erased in place).
//!
//! Each workflow confirms the password first (argon2, outside any
//! transaction), then writes in one transaction ([`AppState::write`]); the
//! sessions it ends are forgotten and their subscribers told after the
//! commit (an effect of ending them).

pub mod graphql;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::accounts::email_links::tokens as email_tokens;
use crate::accounts::profile::ProfileChangeset;
use crate::accounts::profile::avatar;
use crate::accounts::users::model::UserRow;
use crate::accounts::users::queries;
use crate::audit::{self, AuditKind, LoginFailure};
use crate::auth::password::{self, Password, Verified};
use crate::auth::throttle::LoginAttempt;
use crate::db::UserId;
use crate::db::schema::{
    portfolio_items, professional_postal_codes, professional_profiles, professional_services,
    service_requests, sessions, users, verification_documents,
};
use crate::db::types::Timestamp;
use crate::db::{Conn, now};
use crate::error::{AppError, AppResult};
use crate::mail;
use crate::sessions::queries as session_queries;
use crate::state::AppState;
use crate::tx::{Actor, Effect, Tx};
use crate::with_conn;

/// The name everyone sees for a deleted account.
pub const DELETED_NAME: &str = "Deleted user";

/// Stored instead of a deleted account's password hash: not a PHC string, so no password verifies against it.
const ERASED_PASSWORD_HASH: &str = "!erased";

/// What replaces a deleted account's email: unique (it holds the id), and not an email address (no `@`), so it can be neither registered nor used to sign in, and the real address is free to register again.
fn tombstone_email(user_id: UserId) -> String {
    format!("deleted:{user_id}")
}

/// Check `password` against the viewer's stored hash. A wrong password is `BAD_USER_INPUT` on `field`: the caller is signed in, only this input is wrong. Each check counts as a sign-in attempt for the throttle (so a stolen access token cannot guess the password faster than `login` can), and past the limits it is `RATE_LIMITED` before any hashing.
pub(super) async fn confirm_password(
    state: &AppState,
    actor: &Actor,
    password: String,
    field: &'static str,
) -> AppResult<()> {
    let viewer = actor.viewer.ok_or(AppError::Unauthenticated("sign in first"))?;
    let client = &actor.client;
    let (user, attempt) = {
        let mut conn = state.pool.get().await?;
        let user = queries::find_live(&mut conn, viewer.user_id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let attempt =
            LoginAttempt::admit(&mut conn, &state.config.login_throttle, &user.email, client).await?;
        (user, attempt)
    };
    let verified = password::verify(password, Some(user.password_hash)).await?;
    let mut conn = state.pool.get().await?;
    match verified {
        Verified::No => {
            attempt
                .failed(&mut conn, Some(user.id), LoginFailure::WrongConfirmation)
                .await?;
            Err(AppError::bad_input(field, "the password is not correct"))
        }
        Verified::Yes | Verified::YesRehashed(_) => attempt.confirmed(&mut conn).await,
    }
}

/// Change the actor's password and end their other sessions (the one making the request goes on). Errors: `BAD_USER_INPUT` on `newPassword` (length rules, or the same as the current one) or `currentPassword` (not the current password).
pub async fn change_password(
    state: &AppState,
    actor: Actor,
    current_password: String,
    new_password: String,
) -> AppResult<()> {
    let new_password = Password::parse(new_password, "newPassword")?;
    if new_password.as_str() == current_password {
        return Err(AppError::bad_input(
            "newPassword",
            "must differ from the current password",
        ));
    }
    confirm_password(state, &actor, current_password, "currentPassword").await?;
    let hash = password::hash(&new_password).await?;
    state
        .write(actor, async |tx| {
            let viewer = tx.viewer()?;
            let client = tx.actor().client.clone();
            queries::set_password_hash(tx, viewer.user_id, &hash).await?;
            audit::record(tx, AuditKind::PasswordChanged, viewer.user_id, &client).await?;
            session_queries::revoke_others(tx, viewer.user_id, viewer.session_id).await
        })
        .await
}

/// Deactivate the actor's account: every session ends; signing in again reactivates it (see [`reactivate_on_login`]). Errors: `BAD_USER_INPUT` on `password`.
pub async fn deactivate(state: &AppState, actor: Actor, password: String) -> AppResult<()> {
    confirm_password(state, &actor, password, "password").await?;
    state
        .write(actor, async |tx| {
            let viewer = tx.viewer()?;
            let client = tx.actor().client.clone();
            let now = now();
            let updated = with_conn!(&mut **tx, |c| {
                diesel::update(not_deleted(viewer.user_id))
                    .set((users::deactivated_at.eq(Some(now)), users::updated_at.eq(now)))
                    .execute(c)
                    .await
            })?;
            if updated == 0 {
                return Err(AppError::NotFound("user"));
            }
            audit::record(tx, AuditKind::AccountDeactivated, viewer.user_id, &client).await?;
            session_queries::revoke_all(tx, viewer.user_id).await
        })
        .await
}

/// Delete the actor's account: every session ends (and forgets its address and user agent), the personal data is erased (email → a tombstone, names, phone, address, bio, portfolio, mailed tokens, the outbox's mail to the address, sent or not, the avatar and the professional profile with its verification documents: their files are deleted after the commit, the street addresses of the user's service requests), the name becomes "Deleted user". The row stays, with its id and role, so the projects, proposals, contracts and reviews that point to it stay intact. Errors: `BAD_USER_INPUT` on `password`.
pub async fn delete(state: &AppState, actor: Actor, password: String) -> AppResult<()> {
    confirm_password(state, &actor, password, "password").await?;
    state.write(actor, erase).await
}

/// The erasure of [`delete`], in the caller's transaction.
async fn erase(tx: &mut Tx<'_>) -> AppResult<()> {
    let user_id = tx.viewer()?.user_id;
    let client = tx.actor().client.clone();
    let now = now();
    let email = queries::find_live(tx, user_id)
        .await?
        .ok_or(AppError::NotFound("user"))?
        .email;
    let erase = ProfileChangeset::erased(DELETED_NAME, now);
    let updated = with_conn!(&mut **tx, |c| {
        diesel::update(not_deleted(user_id))
            .set((
                &erase,
                users::email.eq(tombstone_email(user_id)),
                users::password_hash.eq(ERASED_PASSWORD_HASH),
                users::deactivated_at.eq(None::<Timestamp>),
                users::deleted_at.eq(Some(now)),
            ))
            .execute(c)
            .await
    })?;
    if updated == 0 {
        return Err(AppError::NotFound("user"));
    }
    session_queries::revoke_all(tx, user_id).await?;
    forget_sessions_and_portfolio(tx, user_id).await?;
    forget_professional_data(tx, user_id).await?;
    email_tokens::delete_all(tx, user_id).await?;
    mail::forget_recipient(tx, &email).await?;
    avatar::delete_row(tx, user_id).await?;
    audit::record(tx, AuditKind::AccountDeleted, user_id, &client).await
}

/// The user `user_id`, unless deleted.
#[diesel::dsl::auto_type]
pub(super) fn not_deleted(user_id: UserId) -> _ {
    users::table
        .filter(users::id.eq(user_id))
        .filter(users::deleted_at.is_null())
}

/// The rest of a deletion's erasure: the sessions' client details and the portfolio (nothing points to either).
async fn forget_sessions_and_portfolio(conn: &mut Conn, user_id: UserId) -> AppResult<()> {
    with_conn!(conn, |c| {
        diesel::update(sessions::table.filter(sessions::user_id.eq(user_id)))
            .set((
                sessions::ip.eq(None::<String>),
                sessions::user_agent.eq(None::<String>),
            ))
            .execute(c)
            .await
    })?;
    with_conn!(conn, |c| {
        diesel::delete(portfolio_items::table.filter(portfolio_items::freelancer_id.eq(user_id)))
            .execute(c)
            .await
    })?;
    Ok(())
}

/// The rest of a deletion's erasure, for the services area: the professional profile with its documents (their files are deleted after the commit), and the street addresses and phones of the user's service requests (their postal code, city and country stay, like the requests).
async fn forget_professional_data(tx: &mut Tx<'_>, user_id: UserId) -> AppResult<()> {
    let keys: Vec<String> = with_conn!(&mut **tx, |c| {
        diesel::delete(verification_documents::table.filter(verification_documents::user_id.eq(user_id)))
            .returning(verification_documents::object_key)
            .get_results(c)
            .await
    })?;
    for key in keys {
        tx.after_commit(Effect::DiscardFile(key));
    }
    with_conn!(&mut **tx, |c| {
        diesel::delete(professional_services::table.filter(professional_services::user_id.eq(user_id)))
            .execute(c)
            .await?;
        diesel::delete(
            professional_postal_codes::table.filter(professional_postal_codes::user_id.eq(user_id)),
        )
        .execute(c)
        .await?;
        diesel::delete(professional_profiles::table.filter(professional_profiles::user_id.eq(user_id)))
            .execute(c)
            .await?;
        diesel::update(service_requests::table.filter(service_requests::client_id.eq(user_id)))
            .set((
                service_requests::address.eq(None::<String>),
                service_requests::contact_phone.eq(None::<String>),
            ))
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Called by sign-in once the password verified: a deleted account is refused (it has no email or password left, so this is a safety net), and a deactivated one is reactivated (and audited, in one transaction).
pub async fn reactivate_on_login(tx: &mut Tx<'_>, user: UserRow) -> AppResult<UserRow> {
    if user.deleted_at.is_some() {
        return Err(AppError::Unauthenticated("invalid email or password"));
    }
    if user.deactivated_at.is_none() {
        return Ok(user);
    }
    let client = tx.actor().client.clone();
    let now = now();
    let row = with_conn!(&mut **tx, |c| {
        diesel::update(not_deleted(user.id))
            .set((
                users::deactivated_at.eq(None::<Timestamp>),
                users::updated_at.eq(now),
            ))
            .returning(UserRow::as_returning())
            .get_result(c)
            .await
            .optional()
    })?;
    let row = row.ok_or(AppError::Unauthenticated("invalid email or password"))?;
    audit::record(tx, AuditKind::AccountReactivated, row.id, &client).await?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::Email;

    #[test]
    fn tombstones_are_unique_and_not_email_addresses() {
        let (a, b) = (UserId::new(), UserId::new());
        assert_ne!(tombstone_email(a), tombstone_email(b));
        assert!(Email::parse(&tombstone_email(a), "email").is_err());
    }
}
