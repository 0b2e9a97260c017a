//! Account workflows: sign up, sign in, and the configured super admin.

use crate::accounts::captcha;
use crate::accounts::email_links::verification;
use crate::accounts::users::model::{NewUser, UserRow, parse_name};
use crate::accounts::users::queries;
use crate::audit::{self, AuditKind, LoginFailure};
use crate::auth::Role;
use crate::auth::password::{self, Password, Verified};
use crate::auth::throttle::LoginAttempt;
use crate::db::UserId;
use crate::db::now;
use crate::email::Email;
use crate::error::{AppError, AppResult};
use crate::sessions::ops::{self as sessions, Tokens};
use crate::state::AppState;
use crate::tx::Actor;

/// What `register` takes.
pub struct Registration {
    /// Login email.
    pub email: String,
    /// Password, 8 to 128 characters.
    pub password: String,
    /// Display name.
    pub name: String,
    /// `CLIENT` or `FREELANCER`.
    pub role: Role,
    /// The answered challenge (checked when `SIGNUP_CAPTCHA` is on).
    pub captcha_id: Option<String>,
    /// Its answer.
    pub captcha_answer: Option<String>,
}

/// Create an account, mail its verification link and sign it in, in one transaction. With `SIGNUP_CAPTCHA`, the challenge is used up first (right or wrong, and even if the sign-up then fails).
pub async fn register(state: &AppState, actor: Actor, input: Registration) -> AppResult<(UserRow, Tokens)> {
    let email = Email::parse(&input.email, "email")?;
    let name = parse_name(&input.name)?;
    if !input.role.can_self_register() {
        return Err(AppError::bad_input("role", "sign up as CLIENT or FREELANCER"));
    }
    let password = Password::parse(input.password, "password")?;
    if state.config.accounts.signup_captcha {
        captcha::answer(
            &mut state.pool.get().await?,
            input.captcha_id.as_deref(),
            input.captcha_answer.as_deref(),
        )
        .await?;
    }
    let hash = password::hash(&password).await?;
    state
        .write(actor, async |tx| {
            let client = tx.actor().client.clone();
            let now = now();
            let user = queries::insert(
                tx,
                &NewUser {
                    id: UserId::new(),
                    email: email.as_str(),
                    password_hash: &hash,
                    name: &name,
                    role: input.role,
                    created_at: now,
                    updated_at: now,
                },
            )
            .await?;
            let tokens = sessions::start(tx, user.id).await?;
            audit::record(tx, AuditKind::SignedUp, user.id, &client).await?;
            verification::send_verification(tx, &user).await?;
            Ok((user, tokens))
        })
        .await
}

/// Sign in. An unknown email and a wrong password answer alike, after the same work; a blocked account cannot sign in; a deactivated one is reactivated. Throttled per account and per address (`RATE_LIMITED` before any password check, see `auth::throttle`); every outcome is audited.
pub async fn login(
    state: &AppState,
    actor: Actor,
    email: &str,
    password: String,
) -> AppResult<(UserRow, Tokens)> {
    let refused = || AppError::Unauthenticated("invalid email or password");
    let mut conn = state.pool.get().await?;
    let client = actor.client.clone();
    let attempt = LoginAttempt::admit(&mut conn, &state.config.login_throttle, email, &client).await?;
    let user = match Email::parse(email, "email") {
        Ok(email) => queries::find_by_email(&mut conn, email.as_str()).await?,
        Err(_) => None,
    };
    let verified = password::verify(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let user = match (user, verified) {
        (Some(user), Verified::Yes) => user,
        (Some(user), Verified::YesRehashed(hash)) => {
            queries::set_password_hash(&mut conn, user.id, &hash).await?;
            user
        }
        (user, _) => {
            let user_id = user.map(|u| u.id);
            attempt
                .failed(&mut conn, user_id, LoginFailure::WrongCredentials)
                .await?;
            return Err(refused());
        }
    };
    if user.blocked_at.is_some() {
        attempt
            .failed(&mut conn, Some(user.id), LoginFailure::Blocked)
            .await?;
        return Err(AppError::Unauthenticated("this account is blocked"));
    }
    drop(conn);
    state
        .write(actor, async |tx| {
            // Account lifecycle: signing in reactivates a deactivated account.
            let user = crate::accounts::lifecycle::reactivate_on_login(tx, user).await?;
            let tokens = sessions::start(tx, user.id).await?;
            attempt.succeeded(tx, user.id).await?;
            Ok((user, tokens))
        })
        .await
}

/// Did [`ensure_super_admin`] create the account?
#[derive(Debug, PartialEq, Eq)]
pub enum AdminOutcome {
    /// A new super admin exists now.
    Created,
    /// An account with that email exists already; nothing changed.
    AlreadyExists,
}

/// Create a `SUPER_ADMIN` with this email and password unless the email is taken.
pub async fn ensure_super_admin(state: &AppState, email: &str, password: String) -> AppResult<AdminOutcome> {
    let email = Email::parse(email, "email")?;
    let password = Password::parse(password, "password")?;
    let mut conn = state.pool.get().await?;
    if queries::find_by_email(&mut conn, email.as_str()).await?.is_some() {
        return Ok(AdminOutcome::AlreadyExists);
    }
    let hash = password::hash(&password).await?;
    let now = now();
    let new = NewUser {
        id: UserId::new(),
        email: email.as_str(),
        password_hash: &hash,
        name: "Administrator",
        role: Role::SuperAdmin,
        created_at: now,
        updated_at: now,
    };
    match queries::insert(&mut conn, &new).await {
        // The operator chose the address: it needs no verification mail.
        Ok(admin) => queries::mark_email_verified(&mut conn, admin.id)
            .await
            .map(|()| AdminOutcome::Created),
        Err(AppError::Conflict { .. }) => Ok(AdminOutcome::AlreadyExists),
        Err(e) => Err(e),
    }
}

/// Mail `user` a short notice (`mail::templates::notice`) through the outbox, in the caller's transaction: `message` says what happened, `detail` the particulars (may be empty), `page` is the front-end page the link opens. A deleted account gets nothing (its address is gone).
pub async fn notify(
    tx: &mut crate::tx::Tx<'_>,
    user: UserId,
    kind: crate::mail::MailKind,
    message: &str,
    detail: &str,
    page: &str,
) -> AppResult<()> {
    let Some(user) = queries::find_live(tx, user).await? else {
        return Ok(());
    };
    let mail = crate::mail::templates::notice(
        &tx.state().config,
        kind,
        &user.email,
        &user.name,
        message,
        detail,
        page,
    );
    crate::mail::enqueue(tx, &mail).await
}
