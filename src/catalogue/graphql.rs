//! The catalogue in the schema: `Service`, `services`, `service`, and the
//! admin mutations that keep it.

use async_graphql::{Context, ID, InputObject, Object};

use super::model::{ServiceCategory, ServiceRow};
use super::ops::{self, NewServiceCommand, ServiceChanges};
use super::queries::{self, ServiceFilter};
use crate::auth::{Role, RoleGuard, viewer};
use crate::db::ServiceId;
use crate::db::keyset::PageArgs;
use crate::error::AppError;
use crate::graphql::context::{global, id_arg, require_id, state, write};
use crate::graphql::pagination::{Page, page, wants_total};
use crate::graphql::scalars::DateTime;
use crate::money::graphql::{Money, MoneyInput};

/// A service of the catalogue that clients request at an address. Public while active; inactive ones are shown to admins (and behind the requests and profiles that name them).
pub struct Service(pub ServiceRow);

/// A service of the catalogue that clients request at an address. Public while active; inactive ones are shown to admins (and behind the requests and profiles that name them).
#[Object]
impl Service {
    /// Stable id.
    pub(crate) async fn id(&self) -> ID {
        global(self.0.id)
    }

    /// Name, unique ignoring case.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the service is.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The trade it belongs to.
    async fn category(&self) -> ServiceCategory {
        self.0.category
    }

    /// Starting price.
    async fn base_price(&self) -> async_graphql::Result<Money> {
        Ok(self.0.base_price()?.into())
    }

    /// Usual duration, in minutes.
    async fn duration_minutes(&self) -> i32 {
        self.0.duration_minutes
    }

    /// Whether it takes new requests (requests already made go on either way).
    async fn active(&self) -> bool {
        self.0.active
    }

    /// When it was added.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.0.into()
    }
}

/// Narrows the catalogue.
#[derive(InputObject, Default)]
pub struct ServiceFilterInput {
    /// Name or description contains this, ignoring case.
    pub search: Option<String>,
    /// Only this trade.
    pub category: Option<ServiceCategory>,
    /// Inactive services too (admins; others only ever see active ones).
    #[graphql(default)]
    pub include_inactive: bool,
}

/// A service to add to the catalogue.
#[derive(InputObject)]
pub struct CreateServiceInput {
    /// Name, 1 to 100 characters, unique ignoring case.
    pub name: String,
    /// What it is, 1 to 5000 characters.
    pub description: String,
    /// The trade.
    pub category: ServiceCategory,
    /// Starting price; zero is allowed.
    pub base_price: MoneyInput,
    /// Usual duration, 1 to 10080 minutes.
    pub duration_minutes: i32,
}

/// Changes to a service; omitted fields stay as they are.
#[derive(InputObject, Default)]
pub struct UpdateServiceInput {
    /// New name, 1 to 100 characters, unique ignoring case.
    pub name: Option<String>,
    /// New description, 1 to 5000 characters.
    pub description: Option<String>,
    /// New trade.
    pub category: Option<ServiceCategory>,
    /// New starting price.
    pub base_price: Option<MoneyInput>,
    /// New usual duration, 1 to 10080 minutes.
    pub duration_minutes: Option<i32>,
}

/// Catalogue queries.
#[derive(Default)]
pub struct CatalogueQuery;

#[Object]
impl CatalogueQuery {
    /// The catalogue, newest first: active services (admins may ask for inactive ones too).
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn services(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last service seen.")] after: Option<String>,
        #[graphql(desc = "What to narrow the list to.")] filter: Option<ServiceFilterInput>,
    ) -> async_graphql::Result<Page<Service>> {
        let args = PageArgs::new(first, after, queries::ORDER)?;
        let input = filter.unwrap_or_default();
        let filter = ServiceFilter {
            search: input.search.filter(|s| !s.trim().is_empty()),
            category: input.category,
            include_inactive: input.include_inactive,
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let (rows, total) = queries::list(&mut conn, viewer(ctx), &filter, &args, wants_total(ctx)).await?;
        Ok(page(
            &args,
            queries::ORDER,
            rows,
            |r| (r.created_at.micros(), r.id),
            total,
            Service,
        ))
    }

    /// One service; `null` when there is none, or it is inactive and you are not an admin.
    async fn service(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Service>> {
        let Some(id) = id_arg::<ServiceId>(&id, "id")? else {
            return Ok(None);
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        Ok(queries::find_visible(&mut conn, viewer(ctx), id)
            .await?
            .map(Service))
    }
}

/// Catalogue mutations (admins).
#[derive(Default)]
pub struct CatalogueMutation;

#[Object]
impl CatalogueMutation {
    /// Add a service, active. Errors: `FORBIDDEN` (not an admin), `BAD_USER_INPUT` (`name`, `description`, `basePrice`, `durationMinutes`), `CONFLICT` (field `name`: taken, ignoring case).
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn create_service(
        &self,
        ctx: &Context<'_>,
        input: CreateServiceInput,
    ) -> async_graphql::Result<Service> {
        let command = NewServiceCommand {
            base_price: input.base_price.parse("basePrice")?,
            name: input.name,
            description: input.description,
            category: input.category,
            duration_minutes: input.duration_minutes,
        };
        Ok(Service(
            write(ctx, async |tx| ops::create(tx, command).await).await?,
        ))
    }

    /// Change a service. Errors: `NOT_FOUND`, `FORBIDDEN`, `BAD_USER_INPUT`, `CONFLICT` (field `name`).
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn update_service(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateServiceInput,
    ) -> async_graphql::Result<Service> {
        let id = require_id(&id, "id", "service")?;
        let changes = ServiceChanges {
            base_price: input.base_price.map(|p| p.parse("basePrice")).transpose()?,
            name: input.name,
            description: input.description,
            category: input.category,
            duration_minutes: input.duration_minutes,
        };
        Ok(Service(
            write(ctx, async |tx| ops::update(tx, id, changes).await).await?,
        ))
    }

    /// Take a service out of the catalogue: it takes no new requests, and open requests go on. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE` (already inactive).
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn deactivate_service(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Service> {
        let id = require_id(&id, "id", "service")?;
        Ok(Service(
            write(ctx, async |tx| ops::set_active(tx, id, false).await).await?,
        ))
    }

    /// Put a deactivated service back in the catalogue. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE` (already active).
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn reactivate_service(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Service> {
        let id = require_id(&id, "id", "service")?;
        Ok(Service(
            write(ctx, async |tx| ops::set_active(tx, id, true).await).await?,
        ))
    }
}
