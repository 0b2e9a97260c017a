//! The proposals part of the schema.

use crate::graphql::loader;
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};

use super::model::{Availability, ProposalRow, ProposalStatus};
use super::ops;
use super::queries::{self, ProposalFilter};
use crate::accounts::users::graphql::{User, load_user};
use crate::auth::Role;
use crate::auth::{RoleGuard, require_viewer};
use crate::contracts::graphql::Contract;
use crate::db::keyset::PageArgs;
use crate::error::AppError;
use crate::graphql::context::{global, require_id, state, write};
use crate::graphql::pagination::{Page, page, wants_total};
use crate::money::graphql::{Money, MoneyInput};
use crate::projects::graphql::Project;
use crate::projects::loader::ProjectLoader;

/// A freelancer's bid on a project. Visible to the freelancer, the project's client and admins.
pub struct Proposal(pub ProposalRow);

/// A freelancer's bid on a project. Visible to the freelancer, the project's client and admins.
#[Object]
impl Proposal {
    /// Stable id.
    pub(crate) async fn id(&self) -> ID {
        global(self.0.id)
    }

    /// The freelancer's pitch.
    async fn cover_letter(&self) -> &str {
        &self.0.cover_letter
    }

    /// The price asked, in the project's currency.
    async fn bid_amount(&self) -> async_graphql::Result<Money> {
        Ok(self.0.bid()?.into())
    }

    /// Hours the freelancer expects the work to take.
    async fn estimated_hours(&self) -> Option<i32> {
        self.0.estimated_hours
    }

    /// When the freelancer can start.
    async fn availability(&self) -> Availability {
        self.0.availability
    }

    /// Where the proposal stands.
    async fn status(&self) -> ProposalStatus {
        self.0.status
    }

    /// The project bid on.
    async fn project(&self, ctx: &Context<'_>) -> async_graphql::Result<Project> {
        let project = loader::<ProjectLoader>(ctx)?.load_one(self.0.project_id).await?;
        Ok(Project(project.ok_or(AppError::NotFound("project"))?))
    }

    /// The bidder.
    async fn freelancer(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        load_user(ctx, self.0.freelancer_id).await
    }

    /// When it was submitted.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.0.into()
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.0.into()
    }
}

/// A bid on an open project.
#[derive(InputObject)]
pub struct SubmitProposalInput {
    /// The project.
    pub project_id: ID,
    /// The pitch, 1 to 5000 characters.
    pub cover_letter: String,
    /// The price asked, in the project's currency.
    pub bid_amount: MoneyInput,
    /// Hours expected, 1 to 10 000.
    pub estimated_hours: Option<i32>,
    /// When you can start.
    pub availability: Availability,
}

/// Changes to a submitted proposal; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateProposalInput {
    /// New pitch.
    pub cover_letter: Option<String>,
    /// New price, in the project's currency.
    pub bid_amount: Option<MoneyInput>,
    /// New estimate (`null` clears it).
    pub estimated_hours: MaybeUndefined<i32>,
    /// New availability.
    pub availability: Option<Availability>,
}

/// Narrows a list of proposals.
#[derive(InputObject, Default)]
pub struct ProposalFilterInput {
    /// Only proposals on this project.
    pub project_id: Option<ID>,
    /// Only this status.
    pub status: Option<ProposalStatus>,
}

/// Proposal queries.
#[derive(Default)]
pub struct ProposalsQuery;

#[Object]
impl ProposalsQuery {
    /// Proposals you may see (yours, and those on your projects), newest first.
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "crate::graphql::pagination::cost(first, child_complexity)"
    )]
    async fn proposals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last proposal seen.")] after: Option<String>,
        #[graphql(desc = "What to narrow the list to.")] filter: Option<ProposalFilterInput>,
    ) -> async_graphql::Result<Page<Proposal>> {
        let args = PageArgs::new(first, after, queries::ORDER)?;
        let input = filter.unwrap_or_default();
        let filter = ProposalFilter {
            project_id: input
                .project_id
                .as_ref()
                .map(|id| require_id(id, "filter.projectId", "project"))
                .transpose()?,
            status: input.status,
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let (rows, total) =
            queries::list(&mut conn, require_viewer(ctx)?, &filter, &args, wants_total(ctx)).await?;
        Ok(page(
            &args,
            queries::ORDER,
            rows,
            |r| (r.created_at.micros(), r.id),
            total,
            Proposal,
        ))
    }
}

/// Proposal mutations.
#[derive(Default)]
pub struct ProposalsMutation;

#[Object]
impl ProposalsMutation {
    /// Bid on an open project (freelancers; once per project). Errors: `FORBIDDEN` (reason `EMAIL_NOT_VERIFIED` when the server requires a verified email), `NOT_FOUND`, `INVALID_STATE` (not `OPEN`), `CONFLICT` (field `projectId`: you already bid), `BAD_USER_INPUT`.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Freelancer])")]
    async fn submit_proposal(
        &self,
        ctx: &Context<'_>,
        input: SubmitProposalInput,
    ) -> async_graphql::Result<Proposal> {
        let command = ops::NewProposalCommand {
            project_id: require_id(&input.project_id, "projectId", "project")?,
            bid: input.bid_amount.parse_positive("bidAmount")?,
            cover_letter: input.cover_letter,
            estimated_hours: input.estimated_hours,
            availability: input.availability,
        };
        Ok(Proposal(
            write(ctx, async |tx| ops::submit(tx, command).await).await?,
        ))
    }

    /// Change your submitted proposal. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE` (no longer `SUBMITTED`), `BAD_USER_INPUT`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn update_proposal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProposalInput,
    ) -> async_graphql::Result<Proposal> {
        let id = require_id(&id, "id", "proposal")?;
        let changes = ops::ProposalChanges {
            bid: input
                .bid_amount
                .map(|b| b.parse_positive("bidAmount"))
                .transpose()?,
            cover_letter: input.cover_letter,
            estimated_hours: input.estimated_hours.into(),
            availability: input.availability,
        };
        Ok(Proposal(
            write(ctx, async |tx| ops::update(tx, id, changes).await).await?,
        ))
    }

    /// Take your submitted proposal back. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn withdraw_proposal(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Proposal> {
        let id = require_id(&id, "id", "proposal")?;
        Ok(Proposal(
            write(ctx, async |tx| ops::withdraw(tx, id).await).await?,
        ))
    }

    /// Hire (the project's client): accepts this proposal, rejects the other submitted ones, starts the project and returns the new contract, all at once. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn accept_proposal(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Contract> {
        let id = require_id(&id, "id", "proposal")?;
        Ok(Contract(
            write(ctx, async |tx| crate::contracts::ops::hire(tx, id).await).await?,
        ))
    }

    /// Decline a submitted proposal (the project's client). Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn reject_proposal(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Proposal> {
        let id = require_id(&id, "id", "proposal")?;
        Ok(Proposal(write(ctx, async |tx| ops::reject(tx, id).await).await?))
    }
}
