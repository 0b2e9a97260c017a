//! The projects part of the schema.

use crate::graphql::loader;
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};

use super::loader::SkillsLoader;
use super::model::{BudgetType, Category, ExperienceLevel, ProjectRow, ProjectStatus};
use super::ops;
use super::prefetch_graphql as prefetch;
use super::queries::{self, Direction, ListWith, Listed, ProjectFilter, ProjectOrder, ProjectOrderField};
use crate::accounts::users::graphql::{User, load_user};
use crate::accounts::users::loader::UserLoader;
use crate::auth::Role;
use crate::auth::{RoleGuard, require_viewer, viewer};
use crate::contracts::graphql::Contract;
use crate::contracts::loader::ProjectContractsLoader;
use crate::db::ProjectId;
use crate::db::keyset::PageArgs;
use crate::error::{AppError, AppResult};
use crate::graphql::context::{global, id_arg, require_id, state, write};
use crate::graphql::pagination::{Page, page, wants_total};
use crate::money::graphql::{Money, MoneyInput};
use crate::money::{self, Currency};
use crate::proposals::graphql::Proposal;
use crate::proposals::loader::{ProjectProposalsLoader, ProposalCountLoader, ProposalsOf};
use crate::proposals::queries::{self as proposals, ProposalFilter};

/// Work a client posted for freelancers to bid on.
pub struct Project(pub ProjectRow);

/// Work a client posted for freelancers to bid on.
#[Object]
impl Project {
    /// Stable id.
    pub(crate) async fn id(&self) -> ID {
        global(self.0.id)
    }

    /// Short title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What the work is.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Kind of work.
    async fn category(&self) -> Category {
        self.0.category
    }

    /// Skills wanted, in the client's order.
    async fn skills(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        Ok(loader::<SkillsLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default())
    }

    /// Fixed price or hourly.
    async fn budget_type(&self) -> BudgetType {
        self.0.budget_type
    }

    /// Lower end of the budget.
    async fn budget_min(&self) -> async_graphql::Result<Money> {
        Ok(self.0.budget_min()?.into())
    }

    /// Upper end of the budget.
    async fn budget_max(&self) -> async_graphql::Result<Money> {
        Ok(self.0.budget_max()?.into())
    }

    /// Experience asked for.
    async fn experience_level(&self) -> ExperienceLevel {
        self.0.experience_level
    }

    /// When the work is due.
    async fn deadline(&self) -> DateTime {
        self.0.deadline.0.into()
    }

    /// Where the project stands.
    async fn status(&self) -> ProjectStatus {
        self.0.status
    }

    /// The client who posted it.
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        load_user(ctx, self.0.client_id).await
    }

    /// How many proposals it received (public).
    async fn proposal_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(loader::<ProposalCountLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or(0))
    }

    /// Its proposals, newest first: all of them for the project's client (and admins), only their own for a freelancer, none for anyone else.
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn proposals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last proposal seen.")] after: Option<String>,
    ) -> async_graphql::Result<Page<Proposal>> {
        let args = PageArgs::new(first, after, proposals::ORDER)?;
        let Some(viewer) = viewer(ctx) else {
            return Ok(page(
                &args,
                proposals::ORDER,
                Vec::new(),
                |r| (r.created_at.micros(), r.id),
                0,
                Proposal,
            ));
        };
        let all = crate::proposals::policy::sees_all_on_project(viewer, self.0.client_id);
        let (rows, total) = if args.after.is_some() {
            let filter = ProposalFilter {
                project_id: Some(self.0.id),
                status: None,
            };
            let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
            proposals::list(&mut conn, viewer, &filter, &args, wants_total(ctx)).await?
        } else {
            let key = ProposalsOf {
                project_id: self.0.id,
                fetch: args.fetch(),
                all,
            };
            let rows = loader::<ProjectProposalsLoader>(ctx)?
                .load_one(key)
                .await?
                .unwrap_or_default();
            let total = if all {
                loader::<ProposalCountLoader>(ctx)?
                    .load_one(self.0.id)
                    .await?
                    .unwrap_or(0)
            } else {
                rows.len() as i64
            };
            (rows, total)
        };
        Ok(page(
            &args,
            proposals::ORDER,
            rows,
            |r| (r.created_at.micros(), r.id),
            total,
            Proposal,
        ))
    }

    /// The contract of the hire, once a proposal was accepted (the newest, if the project was reopened). Visible to the two parties and admins; `null` to others.
    async fn contract(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contract>> {
        let Some(viewer) = viewer(ctx) else {
            return Ok(None);
        };
        let contracts = loader::<ProjectContractsLoader>(ctx)?.load_one(self.0.id).await?;
        let newest = contracts.and_then(|c| c.into_iter().next());
        Ok(newest
            .filter(|c| crate::contracts::policy::sees(viewer, c))
            .map(Contract))
    }

    /// When it was posted.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.0.into()
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.0.into()
    }
}

/// A new project.
#[derive(InputObject)]
pub struct CreateProjectInput {
    /// Short title, 1 to 200 characters.
    pub title: String,
    /// What the work is, up to 10 000 characters.
    pub description: String,
    /// Kind of work.
    pub category: Category,
    /// Skills wanted (at most 20, each up to 50 characters).
    #[graphql(default)]
    pub skills: Vec<String>,
    /// Fixed price (the default) or hourly.
    pub budget_type: Option<BudgetType>,
    /// Lower end of the budget.
    pub budget_min: MoneyInput,
    /// Upper end of the budget, same currency, not below `budgetMin`.
    pub budget_max: MoneyInput,
    /// Experience asked for.
    pub experience_level: ExperienceLevel,
    /// When the work is due (in the future).
    pub deadline: DateTime,
}

impl CreateProjectInput {
    fn command(self) -> AppResult<ops::NewProjectCommand> {
        Ok(ops::NewProjectCommand {
            budget_min: self.budget_min.parse_positive("budgetMin")?,
            budget_max: self.budget_max.parse_positive("budgetMax")?,
            title: self.title,
            description: self.description,
            category: self.category,
            skills: self.skills,
            budget_type: self.budget_type.unwrap_or(BudgetType::Fixed),
            experience_level: self.experience_level,
            deadline: self.deadline.into(),
        })
    }
}

/// Changes to an open project; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateProjectInput {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New category.
    pub category: Option<Category>,
    /// New skills (replacing the old; `null` clears them).
    pub skills: MaybeUndefined<Vec<String>>,
    /// New budget type.
    pub budget_type: Option<BudgetType>,
    /// New lower end of the budget.
    pub budget_min: Option<MoneyInput>,
    /// New upper end of the budget.
    pub budget_max: Option<MoneyInput>,
    /// New experience level.
    pub experience_level: Option<ExperienceLevel>,
    /// New deadline (in the future).
    pub deadline: Option<DateTime>,
}

impl UpdateProjectInput {
    fn changes(self) -> AppResult<ops::ProjectChanges> {
        Ok(ops::ProjectChanges {
            budget_min: self
                .budget_min
                .map(|m| m.parse_positive("budgetMin"))
                .transpose()?,
            budget_max: self
                .budget_max
                .map(|m| m.parse_positive("budgetMax"))
                .transpose()?,
            skills: Option::from(self.skills).map(Option::unwrap_or_default),
            title: self.title,
            description: self.description,
            category: self.category,
            budget_type: self.budget_type,
            experience_level: self.experience_level,
            deadline: self.deadline.map(Into::into),
        })
    }
}

/// Narrows a list of projects; every field is optional.
#[derive(InputObject, Default)]
pub struct ProjectFilterInput {
    /// Only this status (others than `OPEN` show only projects you may see).
    pub status: Option<ProjectStatus>,
    /// Only this category.
    pub category: Option<Category>,
    /// Title or description contains this text, ignoring case.
    pub search: Option<String>,
    /// Has any of these skills, ignoring case.
    pub skills: Option<Vec<String>>,
    /// Budget in this currency (ISO 4217 code, e.g. "EUR"). Required to order by `BUDGET`; `budgetMin` and `budgetMax`, when given, must be in it.
    pub currency: Option<String>,
    /// Budget reaches at least this amount (and is in its currency).
    pub budget_min: Option<MoneyInput>,
    /// Budget starts at most at this amount (and is in its currency).
    pub budget_max: Option<MoneyInput>,
    /// Posted by this client.
    pub client_id: Option<ID>,
    /// Only your own projects (signed in).
    pub mine: Option<bool>,
}

/// How a list of projects is sorted.
#[derive(InputObject)]
pub struct ProjectOrderInput {
    /// Sort key.
    #[graphql(default_with = "ProjectOrderField::CreatedAt")]
    pub field: ProjectOrderField,
    /// Direction.
    #[graphql(default_with = "Direction::Desc")]
    pub direction: Direction,
}

/// A budget bound of the filter: any amount from zero, in the filter's currency when one is given (an amount in EUR says nothing of USD budgets).
fn budget_bound(
    input: Option<&MoneyInput>,
    currency: Option<Currency>,
    field: &'static str,
) -> Result<Option<money::Money>, AppError> {
    let Some(bound) = input.map(|m| m.parse(field)).transpose()? else {
        return Ok(None);
    };
    match currency {
        Some(currency) if bound.currency() != currency => Err(AppError::bad_input(
            field,
            format!("must be in filter.currency, {currency}"),
        )),
        _ => Ok(Some(bound)),
    }
}

fn parse_filter(ctx: &Context<'_>, input: ProjectFilterInput) -> Result<ProjectFilter, AppError> {
    let currency = input
        .currency
        .as_deref()
        .map(Currency::parse)
        .transpose()
        .map_err(|e| e.at("filter.currency"))?;
    let budget_min = budget_bound(input.budget_min.as_ref(), currency, "filter.budgetMin")?;
    let budget_max = budget_bound(input.budget_max.as_ref(), currency, "filter.budgetMax")?;
    if let (Some(min), Some(max)) = (budget_min, budget_max)
        && min.currency() != max.currency()
    {
        return Err(AppError::bad_input(
            "filter.budgetMax",
            "must be in the same currency as filter.budgetMin",
        ));
    }
    let mut filter = ProjectFilter {
        status: input.status,
        category: input.category,
        search: input
            .search
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        skills: input
            .skills
            .unwrap_or_default()
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        currency,
        budget_min,
        budget_max,
        client_id: input
            .client_id
            .as_ref()
            .map(|id| require_id(id, "filter.clientId", "client"))
            .transpose()?,
    };
    if input.mine == Some(true) {
        filter.client_id = Some(require_viewer(ctx)?.user_id);
    }
    Ok(filter)
}

/// The sort order; budgets only compare within one currency, so ordering by `BUDGET` needs `filter.currency`.
fn parse_order(input: Option<ProjectOrderInput>, filter: &ProjectFilter) -> Result<ProjectOrder, AppError> {
    let order = input.map_or_else(ProjectOrder::default, |o| ProjectOrder {
        field: o.field,
        direction: o.direction,
    });
    if order.field == ProjectOrderField::Budget && filter.currency.is_none() {
        return Err(AppError::bad_input(
            "orderBy",
            "ordering by BUDGET needs filter.currency: amounts in different currencies do not compare",
        ));
    }
    Ok(order)
}

/// Project queries.
#[derive(Default)]
pub struct ProjectsQuery;

#[Object]
impl ProjectsQuery {
    /// Projects you may see (anyone sees `OPEN` ones), newest first by default.
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last project seen.")] after: Option<String>,
        #[graphql(desc = "What to narrow the list to.")] filter: Option<ProjectFilterInput>,
        #[graphql(desc = "Sort order (default: newest first).")] order_by: Option<ProjectOrderInput>,
    ) -> async_graphql::Result<Page<Project>> {
        let filter = parse_filter(ctx, filter.unwrap_or_default())?;
        let order = parse_order(order_by, &filter)?;
        let args = PageArgs::new(first, after, order.tag())?;
        let with = ListWith {
            total: wants_total(ctx),
            relations: prefetch::wants_relations(ctx),
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let listed = queries::list(&mut conn, viewer(ctx), &filter, order, &args, with).await?;
        drop(conn);
        let Listed {
            rows,
            clients,
            proposal_counts,
            total,
        } = listed;
        prefetch::projects(ctx, &rows, clients, proposal_counts).await?;
        Ok(page(&args, order.tag(), rows, |r| order.key(r), total, Project))
    }

    /// One project; `null`, without an error, when there is no such project or you may not see it (so ids of others' data are not confirmed).
    async fn project(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Project>> {
        let Some(id) = id_arg::<ProjectId>(&id, "id")? else {
            return Ok(None);
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        if !ctx.look_ahead().field("client").exists() {
            let row = queries::find_visible(&mut conn, viewer(ctx), id).await?;
            return Ok(row.map(Project));
        }
        // The client is asked for: fetched with the project, then served from the request's user loader.
        let found = queries::find_visible_with_client(&mut conn, viewer(ctx), id).await?;
        drop(conn);
        let Some((row, client)) = found else {
            return Ok(None);
        };
        loader::<UserLoader>(ctx)?.feed_one(client.id, client).await;
        Ok(Some(Project(row)))
    }
}

/// Project mutations.
#[derive(Default)]
pub struct ProjectsMutation;

#[Object]
impl ProjectsMutation {
    /// Post a project (clients). Errors: `FORBIDDEN` (reason `EMAIL_NOT_VERIFIED` when the server requires a verified email), `BAD_USER_INPUT`.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Client])")]
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        input: CreateProjectInput,
    ) -> async_graphql::Result<Project> {
        let command = input.command()?;
        Ok(Project(
            write(ctx, async |tx| ops::create(tx, command).await).await?,
        ))
    }

    /// Change an open project (its client). Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE` (not `OPEN`), `BAD_USER_INPUT`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProjectInput,
    ) -> async_graphql::Result<Project> {
        let id = require_id(&id, "id", "project")?;
        let changes = input.changes()?;
        Ok(Project(
            write(ctx, async |tx| ops::update(tx, id, changes).await).await?,
        ))
    }

    /// Cancel a project (its client): from `OPEN`, or `IN_PROGRESS`, which cancels its active contract too. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn cancel_project(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Project> {
        let id = require_id(&id, "id", "project")?;
        Ok(Project(
            write(ctx, async |tx| {
                crate::contracts::ops::cancel_project(tx, id).await
            })
            .await?,
        ))
    }

    /// Delete a project (its client) while no proposal was ever accepted; returns its id. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn delete_project(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let id = require_id(&id, "id", "project")?;
        let deleted = write(ctx, async |tx| ops::delete(tx, id).await).await?;
        Ok(global(deleted))
    }
}
