//! Service requests in the schema: `ServiceRequest`, the lists, and the
//! workflow mutations.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::loader::RequestReviewLoader;
use super::model::{ServiceRequestRow, ServiceRequestStatus};
use super::ops::{self, NewServiceRequestCommand, ReviewCommand};
use super::policy;
use super::queries::{self, ServiceRequestFilter, ServiceRequestRole};
use crate::accounts::profile::Address;
use crate::accounts::profile::graphql::AddressInput;
use crate::accounts::users::graphql::{User, load_user};
use crate::auth::{Role, RoleGuard, require_viewer, viewer};
use crate::catalogue::graphql::Service;
use crate::catalogue::loader::ServiceLoader;
use crate::db::keyset::PageArgs;
use crate::db::types::Timestamp;
use crate::db::{ServiceRequestId, UserId};
use crate::error::{AppError, AppResult};
use crate::graphql::context::{global, id_arg, require_id, state, write};
use crate::graphql::loader;
use crate::graphql::pagination::{Page, page, wants_total};
use crate::graphql::scalars::DateTime;
use crate::professionals::model::VerificationStatus;
use crate::professionals::queries as professionals;
use crate::reviews::graphql::Review;

/// A client's request for a catalogue service at an address. Seen by its client, its assigned professional and admins (and, while `REQUESTED`, by the verified professionals who could take it, in `availableServiceRequests`, without `address` and `contactPhone`).
pub struct ServiceRequest(pub ServiceRequestRow);

/// Where a service request is: what every viewer of it sees.
#[derive(SimpleObject)]
pub struct ServiceArea {
    /// Postal code (upper-case).
    pub postal_code: String,
    /// City or town.
    pub city: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
}

impl ServiceRequest {
    fn address_visible(&self, ctx: &Context<'_>) -> bool {
        policy::may_see_address(viewer(ctx), &self.0)
    }
}

/// A client's request for a catalogue service at an address. Seen by its client, its assigned professional and admins (and, while `REQUESTED`, by the verified professionals who could take it, in `availableServiceRequests`, without `address` and `contactPhone`).
#[Object]
impl ServiceRequest {
    /// Stable id.
    pub(crate) async fn id(&self) -> ID {
        global(self.0.id)
    }

    /// The catalogue service asked for.
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Service> {
        let service = loader::<ServiceLoader>(ctx)?.load_one(self.0.service_id).await?;
        Ok(Service(service.ok_or(AppError::NotFound("service"))?))
    }

    /// The client who asked.
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        load_user(ctx, self.0.client_id).await
    }

    /// The professional doing it, once assigned or claimed.
    async fn professional(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.0.professional_id {
            Some(id) => Ok(Some(load_user(ctx, id).await?)),
            None => Ok(None),
        }
    }

    /// Where it stands.
    async fn status(&self) -> ServiceRequestStatus {
        self.0.status
    }

    /// What the client needs.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Postal code, city and country: shown to everyone who may see the request.
    async fn area(&self) -> ServiceArea {
        ServiceArea {
            postal_code: self.0.postal_code.clone(),
            city: self.0.city.clone(),
            country: self.0.country.clone(),
        }
    }

    /// The full street address: `null` for a professional until the request is theirs (and once the client deleted their account).
    async fn address(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Address>> {
        if !self.address_visible(ctx) {
            return Ok(None);
        }
        Ok(self.0.address.as_deref().map(Address::from_db).transpose()?)
    }

    /// Phone to reach the client on site: `null` for a professional until the request is theirs.
    async fn contact_phone(&self, ctx: &Context<'_>) -> Option<&str> {
        self.address_visible(ctx)
            .then_some(self.0.contact_phone.as_deref())
            .flatten()
    }

    /// Earliest time that suits the client.
    async fn preferred_start(&self) -> Option<DateTime> {
        self.0.preferred_start.map(|t| t.0.into())
    }

    /// Latest time that suits the client.
    async fn preferred_end(&self) -> Option<DateTime> {
        self.0.preferred_end.map(|t| t.0.into())
    }

    /// When it was made.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.0.into()
    }

    /// When a professional took it.
    async fn assigned_at(&self) -> Option<DateTime> {
        self.0.assigned_at.map(|t| t.0.into())
    }

    /// When the work started.
    async fn started_at(&self) -> Option<DateTime> {
        self.0.started_at.map(|t| t.0.into())
    }

    /// When the client completed it.
    async fn completed_at(&self) -> Option<DateTime> {
        self.0.completed_at.map(|t| t.0.into())
    }

    /// When it was cancelled.
    async fn cancelled_at(&self) -> Option<DateTime> {
        self.0.cancelled_at.map(|t| t.0.into())
    }

    /// Why it was cancelled.
    async fn cancellation_reason(&self) -> Option<&str> {
        self.0.cancellation_reason.as_deref()
    }

    /// The client's review of the professional, left when completing.
    async fn review(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Review>> {
        Ok(loader::<RequestReviewLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .flatten()
            .map(Review))
    }
}

/// Narrows a list of service requests.
#[derive(InputObject, Default)]
pub struct ServiceRequestFilterInput {
    /// Only this status.
    pub status: Option<ServiceRequestStatus>,
    /// Only this service.
    pub service_id: Option<ID>,
    /// Only requests you made, or that are assigned to you.
    pub role: Option<ServiceRequestRole>,
    /// Made by this client (admins; others see only their own anyway).
    pub client_id: Option<ID>,
    /// Assigned to this professional.
    pub professional_id: Option<ID>,
    /// Made at or after this time.
    pub created_after: Option<DateTime>,
    /// Made before this time.
    pub created_before: Option<DateTime>,
}

impl ServiceRequestFilterInput {
    fn filter(self) -> AppResult<ServiceRequestFilter> {
        Ok(ServiceRequestFilter {
            status: self.status,
            service_id: self
                .service_id
                .map(|id| require_id(&id, "filter.serviceId", "service"))
                .transpose()?,
            role: self.role,
            client_id: self
                .client_id
                .map(|id| require_id::<UserId>(&id, "filter.clientId", "user"))
                .transpose()?,
            professional_id: self
                .professional_id
                .map(|id| require_id::<UserId>(&id, "filter.professionalId", "user"))
                .transpose()?,
            created_after: self.created_after.map(|t| Timestamp(t.0)),
            created_before: self.created_before.map(|t| Timestamp(t.0)),
        })
    }
}

/// A service to request.
#[derive(InputObject)]
pub struct CreateServiceRequestInput {
    /// The catalogue service (active).
    pub service_id: ID,
    /// What you need, 1 to 5000 characters.
    pub description: String,
    /// Where: the postal code and city are required. Professionals see only the postal code, city and country until the request is theirs.
    pub address: AddressInput,
    /// A phone to reach you on site, E.164 (`+14155550123`).
    pub contact_phone: Option<String>,
    /// Earliest time that suits you (in the future).
    pub preferred_start: Option<DateTime>,
    /// Latest time that suits you (after `preferredStart`).
    pub preferred_end: Option<DateTime>,
}

/// A review of the professional, left when completing a request.
#[derive(InputObject)]
pub struct ServiceReviewInput {
    /// 1 to 5 stars.
    pub rating: i32,
    /// What you have to say, up to 2000 characters.
    #[graphql(default)]
    pub comment: String,
}

/// Service request queries.
#[derive(Default)]
pub struct ServiceRequestsQuery;

#[Object]
impl ServiceRequestsQuery {
    /// Service requests you are a party to (admins: all), newest first.
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "crate::graphql::pagination::cost(first, child_complexity)"
    )]
    async fn service_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last request seen.")] after: Option<String>,
        #[graphql(desc = "What to narrow the list to.")] filter: Option<ServiceRequestFilterInput>,
    ) -> async_graphql::Result<Page<ServiceRequest>> {
        let args = PageArgs::new(first, after, queries::ORDER)?;
        let filter = filter.unwrap_or_default().filter()?;
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let (rows, total) =
            queries::list(&mut conn, require_viewer(ctx)?, &filter, &args, wants_total(ctx)).await?;
        drop(conn);
        super::prefetch_graphql::requests(ctx, &rows).await?;
        Ok(requests_page(&args, rows, total))
    }

    /// One service request; `null` when there is none or you are not its client, its professional or an admin.
    async fn service_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ServiceRequest>> {
        let (Some(viewer), Some(id)) = (viewer(ctx), id_arg::<ServiceRequestId>(&id, "id")?) else {
            return Ok(None);
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        Ok(queries::find_visible(&mut conn, viewer, id)
            .await?
            .map(ServiceRequest))
    }

    /// `REQUESTED` requests you could claim (VERIFIED professionals): for a service you offer, in a postal code you cover; newest first. Their `address` and `contactPhone` are `null` until one is yours. Errors: `FORBIDDEN` (not a VERIFIED professional).
    #[graphql(
        guard = "RoleGuard::any_of(&[Role::Freelancer])",
        complexity = "crate::graphql::pagination::cost(first, child_complexity)"
    )]
    async fn available_service_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last request seen.")] after: Option<String>,
    ) -> async_graphql::Result<Page<ServiceRequest>> {
        let viewer = require_viewer(ctx)?;
        let args = PageArgs::new(first, after, queries::ORDER)?;
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let verified = professionals::find(&mut conn, viewer.user_id)
            .await?
            .is_some_and(|p| p.verification_status == VerificationStatus::Verified);
        if !verified {
            return Err(AppError::forbidden("only VERIFIED professionals see open service requests").into());
        }
        let (rows, total) = queries::open_for(&mut conn, viewer.user_id, &args, wants_total(ctx)).await?;
        drop(conn);
        super::prefetch_graphql::requests(ctx, &rows).await?;
        Ok(requests_page(&args, rows, total))
    }
}

fn requests_page(args: &PageArgs, rows: Vec<ServiceRequestRow>, total: i64) -> Page<ServiceRequest> {
    page(
        args,
        queries::ORDER,
        rows,
        |r| (r.created_at.micros(), r.id),
        total,
        ServiceRequest,
    )
}

/// Service request mutations.
#[derive(Default)]
pub struct ServiceRequestsMutation;

fn request_id(id: &ID) -> AppResult<ServiceRequestId> {
    require_id(id, "id", "service request")
}

#[Object]
impl ServiceRequestsMutation {
    /// Ask for a catalogue service at an address (clients). Errors: `FORBIDDEN` (not a client; reason `EMAIL_NOT_VERIFIED` when the server requires a verified email), `NOT_FOUND` (no such service), `BAD_USER_INPUT` (`serviceId`: inactive; `description`, `address.*`, `contactPhone`, `preferredStart`, `preferredEnd`).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn create_service_request(
        &self,
        ctx: &Context<'_>,
        input: CreateServiceRequestInput,
    ) -> async_graphql::Result<ServiceRequest> {
        let command = NewServiceRequestCommand {
            service_id: require_id(&input.service_id, "serviceId", "service")?,
            description: input.description,
            address: input.address.parts(),
            contact_phone: input.contact_phone,
            preferred_start: input.preferred_start.map(Into::into),
            preferred_end: input.preferred_end.map(Into::into),
        };
        Ok(ServiceRequest(
            write(ctx, async |tx| ops::create(tx, command).await).await?,
        ))
    }

    /// Give a `REQUESTED` request to a professional (admins): they must be VERIFIED, offer the service, cover the postal code and be active. Both sides are mailed. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`, `BAD_USER_INPUT` (field `professionalId`, with the reason).
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn assign_service_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "The professional's user id.")] professional_id: ID,
    ) -> async_graphql::Result<ServiceRequest> {
        let id = request_id(&id)?;
        let professional = id_arg::<UserId>(&professional_id, "professionalId")?
            .ok_or_else(|| AppError::bad_input("professionalId", "not a professional"))?;
        Ok(ServiceRequest(
            write(ctx, async |tx| ops::assign(tx, id, professional).await).await?,
        ))
    }

    /// Send an `ASSIGNED` request back to `REQUESTED` (admins), saying why; the professional is mailed. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`, `BAD_USER_INPUT` (field `reason`).
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn unassign_service_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "Why, 1 to 1000 characters.")] reason: String,
    ) -> async_graphql::Result<ServiceRequest> {
        let id = request_id(&id)?;
        Ok(ServiceRequest(
            write(ctx, async |tx| ops::unassign(tx, id, &reason).await).await?,
        ))
    }

    /// Take a `REQUESTED` request yourself (a VERIFIED professional offering the service and covering its postal code). Of claims and assignments racing for one request exactly one wins. Errors: `NOT_FOUND`, `FORBIDDEN` (with the reason you may not take it), `INVALID_STATE` (taken meanwhile, or not `REQUESTED`).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn claim_service_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ServiceRequest> {
        let id = request_id(&id)?;
        Ok(ServiceRequest(
            write(ctx, async |tx| ops::claim(tx, id).await).await?,
        ))
    }

    /// Start the work (the assigned professional): `ASSIGNED` → `IN_PROGRESS`. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn start_service_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ServiceRequest> {
        let id = request_id(&id)?;
        Ok(ServiceRequest(
            write(ctx, async |tx| ops::start(tx, id).await).await?,
        ))
    }

    /// Sign the work off (the client): `IN_PROGRESS` → `COMPLETED`, with an optional review of the professional; the professional is mailed. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`, `BAD_USER_INPUT` (`rating`: 1 to 5; `comment`).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn complete_service_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "Your review of the professional (optional).")] review: Option<ServiceReviewInput>,
    ) -> async_graphql::Result<ServiceRequest> {
        let id = request_id(&id)?;
        let review = review.map(|r| ReviewCommand {
            rating: r.rating,
            comment: r.comment,
        });
        Ok(ServiceRequest(
            write(ctx, async |tx| ops::complete(tx, id, review).await).await?,
        ))
    }

    /// Cancel a request, saying why: the client while `REQUESTED` or `ASSIGNED`, an admin at any status but `COMPLETED` and `CANCELLED`. The assigned professional is mailed. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`, `BAD_USER_INPUT` (field `reason`).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn cancel_service_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "Why, 1 to 1000 characters.")] reason: String,
    ) -> async_graphql::Result<ServiceRequest> {
        let id = request_id(&id)?;
        Ok(ServiceRequest(
            write(ctx, async |tx| ops::cancel(tx, id, &reason).await).await?,
        ))
    }
}
