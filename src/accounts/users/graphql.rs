//! The accounts part of the schema: `User`, `AuthPayload`, sign-up and sign-in.

use crate::graphql::loader;
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, InputObject, Object};

use crate::accounts::lifecycle::DELETED_NAME;
use crate::accounts::profile::Address;
use crate::accounts::profile::avatar_graphql::avatar_url;
use crate::accounts::users::loader::UserLoader;
use crate::accounts::users::model::UserRow;
use crate::accounts::users::ops::{self, Registration};
use crate::accounts::users::policy;
use crate::accounts::users::queries;
use crate::auth::Role;
use crate::auth::viewer;

use crate::db::UserId;
use crate::graphql::context::{actor, global, id_arg, state};
use crate::graphql::pagination::Page;
use crate::portfolio::graphql::{PortfolioItem, user_portfolio};
use crate::professionals::graphql::{ProfessionalProfile, profile_of};
use crate::reviews::graphql::{Rating, Review, rating_of, reviews_of};
use crate::sessions::ops::Tokens;

/// A person with an account. Everyone may read the public profile; `email` and the other private fields resolve only for the user themself and admins, and are `null` for everyone else (and for everyone once the account is deleted).
pub struct User {
    row: UserRow,
    /// Shown to the user themself regardless of the request's viewer (the payload of their own sign-in, which has no viewer yet).
    own: bool,
}

/// The user `id` through the request's loader (for relations: the parent row guarantees the user exists).
pub async fn load_user(ctx: &Context<'_>, id: UserId) -> async_graphql::Result<User> {
    let user = loader::<UserLoader>(ctx)?.load_one(id).await?;
    Ok(User::from(user.ok_or(crate::error::AppError::NotFound("user"))?))
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User { row, own: false }
    }
}

impl User {
    fn private_visible(&self, ctx: &Context<'_>) -> bool {
        (self.own && self.row.deleted_at.is_none()) || policy::may_see_private(viewer(ctx), &self.row)
    }

    fn private<'a>(&'a self, ctx: &Context<'_>, value: &'a Option<String>) -> Option<&'a str> {
        self.private_visible(ctx).then_some(value.as_deref()).flatten()
    }
}

/// A person with an account.
#[Object]
impl User {
    /// Stable id.
    pub(crate) async fn id(&self) -> ID {
        global(self.row.id)
    }

    /// Display name; "Deleted user" once the account is deleted.
    async fn name(&self) -> &str {
        match self.row.deleted_at {
            Some(_) => DELETED_NAME,
            None => &self.row.name,
        }
    }

    /// Has the account been deleted? Its personal data is then erased.
    async fn deleted(&self) -> bool {
        self.row.deleted_at.is_some()
    }

    /// Given name. Public (like `name`), when the user set one.
    async fn first_name(&self) -> Option<&str> {
        self.row.first_name.as_deref()
    }

    /// A few words about the user. Public, when the user wrote some.
    async fn bio(&self) -> Option<&str> {
        self.row.bio.as_deref()
    }

    /// Absolute URL of the user's avatar, a 256×256 JPEG or PNG that never changes (a new upload gets a new URL). Public; `null` when there is none.
    async fn avatar_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        avatar_url(ctx, self.row.id).await
    }

    /// Family name. Private: `null` unless the viewer is this user or an admin.
    async fn last_name(&self, ctx: &Context<'_>) -> Option<&str> {
        self.private(ctx, &self.row.last_name)
    }

    /// Phone number in E.164 form. Private: `null` unless the viewer is this user or an admin.
    async fn phone(&self, ctx: &Context<'_>) -> Option<&str> {
        self.private(ctx, &self.row.phone)
    }

    /// Postal address. Private: `null` unless the viewer is this user or an admin.
    async fn address(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Address>> {
        if !self.private_visible(ctx) {
            return Ok(None);
        }
        Ok(Address::of(&self.row)?)
    }

    /// What the user does on Agora.
    async fn role(&self) -> Role {
        self.row.role
    }

    /// Has the user confirmed their email address?
    async fn email_verified(&self) -> bool {
        self.row.email_verified_at.is_some()
    }

    /// When the account was created.
    async fn created_at(&self) -> DateTime {
        self.row.created_at.0.into()
    }

    /// The professional profile (FREELANCER accounts that keep one): its public parts for everyone, its documents and rejection reason for the user and admins.
    async fn professional_profile(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<ProfessionalProfile>> {
        profile_of(ctx, self.row.id).await
    }

    /// Average rating and number of reviews received (for contracts and service requests alike).
    async fn rating(&self, ctx: &Context<'_>) -> async_graphql::Result<Rating> {
        rating_of(ctx, self.row.id).await
    }

    /// Reviews received (for contracts and service requests), newest first.
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last review seen.")] after: Option<String>,
    ) -> async_graphql::Result<Page<Review>> {
        reviews_of(ctx, self.row.id, first, after).await
    }

    /// Work samples (freelancers), newest first.
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn portfolio(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last item seen.")] after: Option<String>,
    ) -> async_graphql::Result<Page<PortfolioItem>> {
        user_portfolio(ctx, self.row.id, first, after).await
    }

    /// Login email. Private: `null` unless the viewer is this user or an admin.
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        self.private_visible(ctx).then_some(self.row.email.as_str())
    }

    /// When the account was blocked by an admin. Private: `null` unless the viewer is this user or an admin.
    async fn blocked_at(&self, ctx: &Context<'_>) -> Option<DateTime> {
        self.private_visible(ctx)
            .then_some(self.row.blocked_at.map(|t| t.0.into()))
            .flatten()
    }

    /// When the profile last changed. Private: `null` unless the viewer is this user or an admin.
    async fn updated_at(&self, ctx: &Context<'_>) -> Option<DateTime> {
        self.private_visible(ctx).then_some(self.row.updated_at.0.into())
    }
}

/// Tokens for a signed-in session, and who signed in.
pub struct AuthPayload {
    tokens: Tokens,
    user: UserRow,
}

impl AuthPayload {
    /// The payload for `user`'s new tokens.
    pub fn new(tokens: Tokens, user: UserRow) -> Self {
        AuthPayload { tokens, user }
    }
}

/// Tokens for a signed-in session, and who signed in.
#[Object]
impl AuthPayload {
    /// Send as `Authorization: Bearer <accessToken>`; lives `expiresIn` seconds.
    async fn access_token(&self) -> &str {
        &self.tokens.access_token
    }

    /// Single use: exchange it with `refreshToken` for a new pair before the session ends. Presenting a spent one ends the whole session.
    async fn refresh_token(&self) -> &str {
        &self.tokens.refresh_token
    }

    /// Seconds until the access token expires.
    async fn expires_in(&self) -> u64 {
        self.tokens.expires_in
    }

    /// The signed-in user.
    async fn user(&self) -> User {
        User {
            row: self.user.clone(),
            own: true,
        }
    }
}

/// Sign-up details.
#[derive(InputObject)]
pub struct RegisterInput {
    /// Login email; trimmed and lower-cased.
    pub email: String,
    /// 8 to 128 characters.
    pub password: String,
    /// Display name, 1 to 100 characters.
    pub name: String,
    /// `CLIENT` or `FREELANCER`.
    pub role: Role,
    /// The `id` of a `captcha` challenge; required when the server asks for one (`SIGNUP_CAPTCHA`), ignored otherwise.
    pub captcha_id: Option<ID>,
    /// The challenge's answer, in digits.
    pub captcha_answer: Option<String>,
}

/// Sign-in details.
#[derive(InputObject)]
pub struct LoginInput {
    /// Login email.
    pub email: String,
    /// Password.
    pub password: String,
}

/// Account queries.
#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The signed-in user; `null` when anonymous.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(viewer) = viewer(ctx) else {
            return Ok(None);
        };
        // Read directly: there is only ever one key, so the loader's batching
        // window (1 ms) would be pure latency.
        let mut conn = state(ctx)?
            .pool
            .get()
            .await
            .map_err(crate::error::AppError::from)?;
        let row = queries::find_by_ids(&mut conn, &[viewer.user_id]).await?.pop();
        Ok(row.map(User::from))
    }

    /// A user's public profile; `null` when there is no such user.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<User>> {
        let Some(id) = id_arg::<UserId>(&id, "id")? else {
            return Ok(None);
        };
        let loader = loader::<UserLoader>(ctx)?;
        Ok(loader.load_one(id).await?.map(User::from))
    }
}

/// Account mutations.
#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    /// Create an account and sign in. A link to verify the email is mailed (see `verifyEmail`). Errors: `BAD_USER_INPUT` (field `email`, `password`, `name`, `role`, or, when a captcha is required, `captchaId` or `captchaAnswer`), `CONFLICT` (field `email`).
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> async_graphql::Result<AuthPayload> {
        let registration = Registration {
            email: input.email,
            password: input.password,
            name: input.name,
            role: input.role,
            captcha_id: input.captcha_id.map(|id| id.0),
            captcha_answer: input.captcha_answer,
        };
        let (user, tokens) = ops::register(state(ctx)?, actor(ctx), registration).await?;
        Ok(AuthPayload::new(tokens, user))
    }

    /// Sign in with email and password. Errors: `UNAUTHENTICATED` (the same for an unknown email and a wrong password).
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> async_graphql::Result<AuthPayload> {
        let (user, tokens) = ops::login(state(ctx)?, actor(ctx), &input.email, input.password).await?;
        Ok(AuthPayload::new(tokens, user))
    }
}
