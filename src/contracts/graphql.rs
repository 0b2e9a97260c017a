//! The contracts part of the schema (and reviewing a completed contract).

use crate::graphql::loader;
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, InputObject, Object};

use super::loader::ProposalLoader;
use super::model::{ContractRow, ContractStatus};
use super::ops;
use super::queries::{self, ContractFilter, ContractRole};
use crate::accounts::users::graphql::{User, load_user};
use crate::auth::{RoleGuard, require_viewer, viewer};
use crate::db::ContractId;
use crate::db::keyset::PageArgs;
use crate::error::AppError;
use crate::graphql::context::{global, id_arg, require_id, state, write};
use crate::graphql::pagination::{Page, page, wants_total};
use crate::money::graphql::Money;
use crate::projects::graphql::Project;
use crate::projects::loader::ProjectLoader;
use crate::projects::model::BudgetType;
use crate::proposals::graphql::Proposal;
use crate::reviews::graphql::Review;

/// The hire made when a client accepted a proposal. Visible to its two parties and admins only.
pub struct Contract(pub ContractRow);

/// The hire made when a client accepted a proposal. Visible to its two parties and admins only.
#[Object]
impl Contract {
    /// Stable id.
    pub(crate) async fn id(&self) -> ID {
        global(self.0.id)
    }

    /// The project hired for.
    async fn project(&self, ctx: &Context<'_>) -> async_graphql::Result<Project> {
        let project = loader::<ProjectLoader>(ctx)?.load_one(self.0.project_id).await?;
        Ok(Project(project.ok_or(AppError::NotFound("project"))?))
    }

    /// The client who hired.
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        load_user(ctx, self.0.client_id).await
    }

    /// The freelancer hired.
    async fn freelancer(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        load_user(ctx, self.0.freelancer_id).await
    }

    /// The accepted proposal.
    async fn proposal(&self, ctx: &Context<'_>) -> async_graphql::Result<Proposal> {
        let proposal = loader::<ProposalLoader>(ctx)?
            .load_one(self.0.proposal_id)
            .await?;
        Ok(Proposal(proposal.ok_or(AppError::NotFound("proposal"))?))
    }

    /// The agreed amount (the accepted bid).
    async fn amount(&self) -> async_graphql::Result<Money> {
        Ok(self.0.amount()?.into())
    }

    /// Fixed price or hourly (the project's budget type).
    #[graphql(name = "type")]
    async fn contract_type(&self) -> BudgetType {
        self.0.contract_type
    }

    /// Where the contract stands.
    async fn status(&self) -> ContractStatus {
        self.0.status
    }

    /// The terms agreed.
    async fn terms(&self) -> &str {
        &self.0.terms
    }

    /// When the proposal was accepted.
    async fn started_at(&self) -> DateTime {
        self.0.started_at.0.into()
    }

    /// When the client completed it.
    async fn completed_at(&self) -> Option<DateTime> {
        self.0.completed_at.map(|t| t.0.into())
    }

    /// When a party cancelled it.
    async fn cancelled_at(&self) -> Option<DateTime> {
        self.0.cancelled_at.map(|t| t.0.into())
    }

    /// Why it was cancelled.
    async fn cancellation_reason(&self) -> Option<&str> {
        self.0.cancellation_reason.as_deref()
    }
}

/// Narrows a list of contracts.
#[derive(InputObject, Default)]
pub struct ContractFilterInput {
    /// Only this status.
    pub status: Option<ContractStatus>,
    /// Only contracts where you are the client, or the freelancer.
    pub role: Option<ContractRole>,
}

/// A review of the other party.
#[derive(InputObject)]
pub struct ReviewInput {
    /// 1 to 5 stars.
    pub rating: i32,
    /// What you have to say, up to 2000 characters.
    #[graphql(default)]
    pub comment: String,
}

/// Contract queries.
#[derive(Default)]
pub struct ContractsQuery;

#[Object]
impl ContractsQuery {
    /// Your contracts (admins: all), newest first.
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "crate::graphql::pagination::cost(first, child_complexity)"
    )]
    async fn contracts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last contract seen.")] after: Option<String>,
        #[graphql(desc = "What to narrow the list to.")] filter: Option<ContractFilterInput>,
    ) -> async_graphql::Result<Page<Contract>> {
        let args = PageArgs::new(first, after, queries::ORDER)?;
        let input = filter.unwrap_or_default();
        let filter = ContractFilter {
            status: input.status,
            role: input.role,
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let (rows, total) =
            queries::list(&mut conn, require_viewer(ctx)?, &filter, &args, wants_total(ctx)).await?;
        Ok(page(
            &args,
            queries::ORDER,
            rows,
            |r| (r.started_at.micros(), r.id),
            total,
            Contract,
        ))
    }

    /// One contract; `null`, without an error, when there is no such contract or you are not one of its parties (nor an admin).
    async fn contract(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Contract>> {
        let (Some(viewer), Some(id)) = (viewer(ctx), id_arg::<ContractId>(&id, "id")?) else {
            return Ok(None);
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let row = queries::find_visible(&mut conn, viewer, id).await?;
        Ok(row.map(Contract))
    }
}

/// Contract mutations.
#[derive(Default)]
pub struct ContractsMutation;

#[Object]
impl ContractsMutation {
    /// Sign the work off (the client); the project becomes `COMPLETED`. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn complete_contract(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Contract> {
        let id = require_id(&id, "id", "contract")?;
        Ok(Contract(
            write(ctx, async |tx| ops::complete(tx, id).await).await?,
        ))
    }

    /// End the contract early (either party), saying why; the project goes back to `OPEN`. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`, `BAD_USER_INPUT`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn cancel_contract(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<Contract> {
        let id = require_id(&id, "id", "contract")?;
        Ok(Contract(
            write(ctx, async |tx| ops::cancel(tx, id, &reason).await).await?,
        ))
    }

    /// Review the other party of a completed contract, once. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE` (not `COMPLETED`), `CONFLICT` (already reviewed), `BAD_USER_INPUT`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn review_contract(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ReviewInput,
    ) -> async_graphql::Result<Review> {
        let id = require_id(&id, "id", "contract")?;
        let row = write(ctx, async |tx| {
            crate::reviews::review(tx, id, input.rating, &input.comment).await
        })
        .await?;
        Ok(Review(row))
    }
}
