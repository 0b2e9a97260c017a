//! The portfolio part of the schema: `PortfolioItem`, the public
//! `portfolioItems` list, and the freelancer's create, update and delete.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};

use super::model::{PortfolioItemRow, skills_from_db};
use super::{ops, queries};
use crate::accounts::users::graphql::{User, load_user};
use crate::auth::Role;
use crate::auth::RoleGuard;
use crate::graphql::scalars::DateTime;

use crate::db::UserId;
use crate::db::keyset::PageArgs;
use crate::error::AppError;
use crate::graphql::context::{global, require_id, state, write};
use crate::graphql::pagination::{Page, page, wants_total};

/// A piece of past work a freelancer shows. Public.
pub struct PortfolioItem(pub PortfolioItemRow);

/// A piece of past work a freelancer shows. Public.
#[Object]
impl PortfolioItem {
    /// Stable id.
    pub(crate) async fn id(&self) -> ID {
        global(self.0.id)
    }

    /// What the work was, 1 to 200 characters.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// More about the work, up to 5000 characters (may be empty).
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// An http(s) link to the work, when there is one.
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// Skills the work shows, in the order given.
    async fn skills(&self) -> async_graphql::Result<Vec<String>> {
        Ok(skills_from_db(&self.0.skills)?)
    }

    /// When the work was finished, when known.
    async fn completed_at(&self) -> Option<DateTime> {
        self.0.completed_at.map(|t| t.0.into())
    }

    /// When the item was added.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.0.into()
    }

    /// When the item last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.0.into()
    }

    /// The freelancer whose work it is.
    async fn freelancer(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        load_user(ctx, self.0.freelancer_id).await
    }
}

/// A new portfolio item.
#[derive(InputObject)]
pub struct CreatePortfolioItemInput {
    /// What the work was: trimmed, 1 to 200 characters.
    pub title: String,
    /// More about the work: trimmed, at most 5000 characters.
    #[graphql(default)]
    pub description: String,
    /// A link to the work: `http://` or `https://`, at most 2048 characters.
    pub url: Option<String>,
    /// Skills the work shows: each trimmed, 1 to 50 characters; duplicates (ignoring case) dropped; at most 20.
    #[graphql(default)]
    pub skills: Vec<String>,
    /// When the work was finished; not in the future.
    pub completed_at: Option<DateTime>,
}

/// Changes to a portfolio item: omitted fields stay as they are; `null` clears `url`, `skills` and `completedAt`.
#[derive(InputObject)]
pub struct UpdatePortfolioItemInput {
    /// New title (trimmed, 1 to 200 characters); `null` leaves it as it is.
    pub title: Option<String>,
    /// New description (trimmed, at most 5000 characters); `null` leaves it as it is.
    pub description: Option<String>,
    /// New link (`http://` or `https://`); `null` removes it.
    pub url: MaybeUndefined<String>,
    /// New skills, replacing the old (same rules as on creation); `null` clears them.
    pub skills: MaybeUndefined<Vec<String>>,
    /// New completion time (not in the future); `null` removes it.
    pub completed_at: MaybeUndefined<DateTime>,
}

/// `User.portfolio`: `user_id`'s portfolio items, newest first (empty for users without any). Errors: `BAD_USER_INPUT` (field `first` or `after`).
pub async fn user_portfolio(
    ctx: &Context<'_>,
    user_id: UserId,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Page<PortfolioItem>> {
    let args = PageArgs::new(first, after, queries::ORDER)?;
    let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
    let (rows, total) = queries::list_by_freelancer(&mut conn, user_id, &args, wants_total(ctx)).await?;
    Ok(page(
        &args,
        queries::ORDER,
        rows,
        |r| (r.created_at.micros(), r.id),
        total,
        PortfolioItem,
    ))
}

/// Portfolio queries.
#[derive(Default)]
pub struct PortfolioQuery;

#[Object]
impl PortfolioQuery {
    /// A freelancer's portfolio, newest first. Public. Errors: `NOT_FOUND` (an id that is not a user id), `BAD_USER_INPUT` (field `first` or `after`).
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn portfolio_items(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The freelancer whose portfolio to list.")] freelancer_id: ID,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last item seen.")] after: Option<String>,
    ) -> async_graphql::Result<Page<PortfolioItem>> {
        let freelancer_id = require_id(&freelancer_id, "freelancerId", "user")?;
        user_portfolio(ctx, freelancer_id, first, after).await
    }
}

/// Portfolio mutations.
#[derive(Default)]
pub struct PortfolioMutation;

#[Object]
impl PortfolioMutation {
    /// Add an item to your portfolio (freelancers only). Errors: `FORBIDDEN`, `BAD_USER_INPUT` (field `title`, `description`, `url`, `skills` or `completedAt`).
    #[graphql(guard = "RoleGuard::any_of(&[Role::Freelancer])")]
    async fn create_portfolio_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new item.")] input: CreatePortfolioItemInput,
    ) -> async_graphql::Result<PortfolioItem> {
        let command = ops::NewPortfolioItem {
            title: input.title,
            description: input.description,
            url: input.url,
            skills: input.skills,
            completed_at: input.completed_at.map(Into::into),
        };
        Ok(PortfolioItem(
            write(ctx, async |tx| ops::create(tx, command).await).await?,
        ))
    }

    /// Change one of your portfolio items; returns it changed. Errors: `NOT_FOUND` (no such item of yours), `BAD_USER_INPUT` (as on creation).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn update_portfolio_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item to change.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdatePortfolioItemInput,
    ) -> async_graphql::Result<PortfolioItem> {
        let id = require_id(&id, "id", "portfolio item")?;
        let changes = ops::PortfolioItemChanges {
            title: input.title,
            description: input.description,
            url: input.url.into(),
            skills: input.skills.into(),
            completed_at: input.completed_at.map_value(Into::into).into(),
        };
        Ok(PortfolioItem(
            write(ctx, async |tx| ops::update(tx, id, changes).await).await?,
        ))
    }

    /// Delete one of your portfolio items; returns the id of the deleted item. Errors: `NOT_FOUND` (no such item of yours).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn delete_portfolio_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item to delete.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let id = require_id(&id, "id", "portfolio item")?;
        let deleted = write(ctx, async |tx| ops::delete(tx, id).await).await?;
        Ok(global(deleted))
    }
}
