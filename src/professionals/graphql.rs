//! Professionals in the schema: `ProfessionalProfile`, the admins' queue,
//! `availableProfessionals`, the profile and verification mutations.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};

use super::documents_graphql::VerificationDocument;
use super::loader::{DocumentsLoader, OfferedServicesLoader, ProfileLoader, ServiceAreaLoader};
use super::model::{ProfileRow, VerificationStatus, parse_postal_code};
use super::ops::{self, Decision, ProfessionalChanges};
use super::policy;
use super::queries::{self, ProfessionalFilter};
use crate::accounts::users::graphql::{User, load_user};
use crate::auth::{Role, RoleGuard, viewer};
use crate::catalogue::graphql::Service;
use crate::catalogue::loader::ServiceLoader;
use crate::db::keyset::PageArgs;
use crate::db::{ServiceId, UserId};
use crate::error::{AppError, AppResult};
use crate::graphql::context::{id_arg, require_id, state, write};
use crate::graphql::loader;
use crate::graphql::pagination::{Page, page, wants_total};
use crate::graphql::scalars::DateTime;
use crate::money::graphql::{Money, MoneyInput};
use crate::reviews::graphql::{Rating, rating_of};

/// A FREELANCER's professional profile: what they offer, where, and whether an admin verified them. Public, except `documents` and `rejectionReason` (the professional and admins only).
pub struct ProfessionalProfile(pub ProfileRow);

/// A FREELANCER's professional profile: what they offer, where, and whether an admin verified them. Public, except `documents` and `rejectionReason` (the professional and admins only).
#[Object]
impl ProfessionalProfile {
    /// The professional's account.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        load_user(ctx, self.0.user_id).await
    }

    /// One line about the professional.
    async fn headline(&self) -> Option<&str> {
        self.0.headline.as_deref()
    }

    /// Longer text about the professional.
    async fn bio(&self) -> Option<&str> {
        self.0.bio.as_deref()
    }

    /// The catalogue services offered.
    async fn services(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Service>> {
        let ids = loader::<OfferedServicesLoader>(ctx)?
            .load_one(self.0.user_id)
            .await?
            .unwrap_or_default();
        let mut found = loader::<ServiceLoader>(ctx)?.load_many(ids).await?;
        let mut services: Vec<_> = found.drain().map(|(_, s)| s).collect();
        services.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(services.into_iter().map(Service).collect())
    }

    /// The postal codes covered (upper-case, sorted).
    async fn service_area(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        Ok(loader::<ServiceAreaLoader>(ctx)?
            .load_one(self.0.user_id)
            .await?
            .unwrap_or_default())
    }

    /// Years of experience.
    async fn experience_years(&self) -> Option<i32> {
        self.0.experience_years
    }

    /// Hourly rate.
    async fn hourly_rate(&self) -> async_graphql::Result<Option<Money>> {
        Ok(self.0.hourly_rate()?.map(Money::from))
    }

    /// Where verification stands.
    async fn verification_status(&self) -> VerificationStatus {
        self.0.verification_status
    }

    /// Why an admin rejected the profile. Private: the professional and admins.
    async fn rejection_reason(&self, ctx: &Context<'_>) -> Option<&str> {
        self.private(ctx)
            .then_some(self.0.rejection_reason.as_deref())
            .flatten()
    }

    /// When an admin verified the professional.
    async fn verified_at(&self) -> Option<DateTime> {
        self.0.verified_at.map(|t| t.0.into())
    }

    /// The documents sent for verification, oldest first. Private: `null` unless you are the professional or an admin.
    async fn documents(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<VerificationDocument>>> {
        if !self.private(ctx) {
            return Ok(None);
        }
        let docs = loader::<DocumentsLoader>(ctx)?
            .load_one(self.0.user_id)
            .await?
            .unwrap_or_default();
        Ok(Some(docs.into_iter().map(VerificationDocument).collect()))
    }

    /// The professional's rating, from every review they received (for contracts and service requests alike).
    async fn rating(&self, ctx: &Context<'_>) -> async_graphql::Result<Rating> {
        rating_of(ctx, self.0.user_id).await
    }
}

impl ProfessionalProfile {
    fn private(&self, ctx: &Context<'_>) -> bool {
        policy::may_see_private(viewer(ctx), self.0.user_id)
    }
}

/// `User.professionalProfile`: the user's profile, if they keep one.
pub async fn profile_of(
    ctx: &Context<'_>,
    user: UserId,
) -> async_graphql::Result<Option<ProfessionalProfile>> {
    Ok(loader::<ProfileLoader>(ctx)?
        .load_one(user)
        .await?
        .flatten()
        .map(ProfessionalProfile))
}

/// Changes to your professional profile. An omitted field stays as it is; `null` clears it (the lists cannot be `null`).
#[derive(InputObject, Default)]
pub struct UpdateProfessionalProfileInput {
    /// One line, 1 to 120 characters; `null` clears it.
    pub headline: MaybeUndefined<String>,
    /// Longer text, 1 to 5000 characters; `null` clears it.
    pub bio: MaybeUndefined<String>,
    /// The services you offer, replacing the old list; each must exist and be active (at most 50).
    pub service_ids: Option<Vec<ID>>,
    /// The postal codes you cover, replacing the old list: 1 to 200, trimmed and upper-cased, repeats dropped.
    pub service_area: Option<Vec<String>>,
    /// Years of experience, 0 to 80; `null` clears it.
    pub experience_years: MaybeUndefined<i32>,
    /// Hourly rate, more than zero; `null` clears it.
    pub hourly_rate: MaybeUndefined<MoneyInput>,
}

impl UpdateProfessionalProfileInput {
    fn changes(self) -> AppResult<ProfessionalChanges> {
        let service_ids = self
            .service_ids
            .map(|ids| {
                ids.iter()
                    .map(|id| require_id::<ServiceId>(id, "serviceIds", "service"))
                    .collect::<AppResult<Vec<_>>>()
            })
            .transpose()
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::bad_input("serviceIds", "not a service id"),
                other => other,
            })?;
        let rate: Option<Option<MoneyInput>> = self.hourly_rate.into();
        Ok(ProfessionalChanges {
            headline: self.headline.into(),
            bio: self.bio.into(),
            service_ids,
            service_area: self.service_area,
            experience_years: self.experience_years.into(),
            hourly_rate: rate
                .map(|r| r.map(|m| m.parse_positive("hourlyRate")).transpose())
                .transpose()?,
        })
    }
}

/// Narrows the admins' list of professionals.
#[derive(InputObject, Default)]
pub struct ProfessionalFilterInput {
    /// Only this verification status (`PENDING`: the queue).
    pub status: Option<VerificationStatus>,
    /// Offering this service.
    pub service_id: Option<ID>,
    /// Covering this postal code (any case).
    pub postal_code: Option<String>,
    /// Name, email or headline contains this, ignoring case.
    pub search: Option<String>,
}

/// Professional queries.
#[derive(Default)]
pub struct ProfessionalsQuery;

#[Object]
impl ProfessionalsQuery {
    /// Professional profiles, newest first (admins): filter by `status: PENDING` for the verification queue.
    #[graphql(
        guard = "RoleGuard::any_of(&[Role::Admin])",
        complexity = "crate::graphql::pagination::cost(first, child_complexity)"
    )]
    async fn professionals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last profile seen.")] after: Option<String>,
        #[graphql(desc = "What to narrow the list to.")] filter: Option<ProfessionalFilterInput>,
    ) -> async_graphql::Result<Page<ProfessionalProfile>> {
        let args = PageArgs::new(first, after, queries::ORDER)?;
        let input = filter.unwrap_or_default();
        let filter = ProfessionalFilter {
            status: input.status,
            service_id: input
                .service_id
                .map(|id| require_id::<ServiceId>(&id, "filter.serviceId", "service"))
                .transpose()?,
            postal_code: input
                .postal_code
                .map(|c| parse_postal_code(&c, "filter.postalCode"))
                .transpose()?,
            search: input.search.filter(|s| !s.trim().is_empty()),
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let (rows, total) = queries::list(&mut conn, &filter, &args, wants_total(ctx)).await?;
        drop(conn);
        let ids: Vec<UserId> = rows.iter().map(|r| r.user_id).collect();
        super::prefetch_graphql::profiles(ctx, &ids).await?;
        Ok(page(
            &args,
            queries::ORDER,
            rows,
            |r| (r.created_at.micros(), r.user_id),
            total,
            ProfessionalProfile,
        ))
    }

    /// Verified professionals a client may book for a service at a postal code: offering the service, covering the code, with an active account; best rated first, unrated last. Public.
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn available_professionals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The catalogue service.")] service_id: ID,
        #[graphql(desc = "Where the work is (any case).")] postal_code: String,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last professional seen.")] after: Option<String>,
    ) -> async_graphql::Result<Page<ProfessionalProfile>> {
        let args = PageArgs::new(first, after, queries::RATING_ORDER)?;
        let code = parse_postal_code(&postal_code, "postalCode")?;
        let service = id_arg::<ServiceId>(&service_id, "serviceId")?;
        let (rows, total) = match service {
            Some(service) => {
                let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
                queries::available(&mut conn, service, &code, &args, wants_total(ctx)).await?
            }
            None => (Vec::new(), 0),
        };
        let ids: Vec<UserId> = rows.iter().map(|(r, _)| r.user_id).collect();
        super::prefetch_graphql::profiles(ctx, &ids).await?;
        Ok(page(
            &args,
            queries::RATING_ORDER,
            rows,
            |(r, score)| (*score, r.user_id),
            total,
            |(r, _)| ProfessionalProfile(r),
        ))
    }
}

/// Professional mutations.
#[derive(Default)]
pub struct ProfessionalsMutation;

fn professional(id: &ID) -> AppResult<UserId> {
    require_id(id, "professionalId", "professional")
}

#[Object]
impl ProfessionalsMutation {
    /// Change your professional profile (FREELANCER accounts; created on first use). Errors: `FORBIDDEN` (not a freelancer), `BAD_USER_INPUT` (`headline`, `bio`, `serviceIds`: unknown or inactive service, `serviceArea`, `experienceYears`, `hourlyRate`).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn update_professional_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateProfessionalProfileInput,
    ) -> async_graphql::Result<ProfessionalProfile> {
        let changes = input.changes()?;
        let row = write(ctx, async |tx| ops::update_profile(tx, changes).await).await?;
        Ok(ProfessionalProfile(row))
    }

    /// Send your profile for verification: `UNSUBMITTED` or `REJECTED` → `PENDING`. Needs at least one service, one postal code and one document. Errors: `FORBIDDEN`, `INVALID_STATE` (already `PENDING` or `VERIFIED`), `BAD_USER_INPUT` (field `serviceIds`, `serviceArea` or `documents`: what is missing).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn submit_for_verification(&self, ctx: &Context<'_>) -> async_graphql::Result<ProfessionalProfile> {
        Ok(ProfessionalProfile(
            write(ctx, async |tx| ops::submit(tx).await).await?,
        ))
    }

    /// Verify a `PENDING` professional (admins; audited). Errors: `NOT_FOUND` (no professional profile), `INVALID_STATE`.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn verify_professional(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The professional's user id.")] professional_id: ID,
    ) -> async_graphql::Result<ProfessionalProfile> {
        let id = professional(&professional_id)?;
        Ok(ProfessionalProfile(
            write(ctx, async |tx| ops::decide(tx, id, Decision::Verify).await).await?,
        ))
    }

    /// Reject a `PENDING` professional, saying why (admins; audited; the reason is mailed to them). They may fix the profile and resubmit. Errors: `NOT_FOUND`, `INVALID_STATE`, `BAD_USER_INPUT` (field `reason`: 1 to 1000 characters).
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn reject_professional(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The professional's user id.")] professional_id: ID,
        #[graphql(desc = "What to fix, 1 to 1000 characters.")] reason: String,
    ) -> async_graphql::Result<ProfessionalProfile> {
        let id = professional(&professional_id)?;
        Ok(ProfessionalProfile(
            write(ctx, async |tx| {
                ops::decide(tx, id, Decision::Reject(reason)).await
            })
            .await?,
        ))
    }

    /// Send a professional back to `UNSUBMITTED`, whatever their status (admins; audited). Errors: `NOT_FOUND`, `INVALID_STATE` (already `UNSUBMITTED`).
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn reset_professional_verification(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The professional's user id.")] professional_id: ID,
    ) -> async_graphql::Result<ProfessionalProfile> {
        let id = professional(&professional_id)?;
        Ok(ProfessionalProfile(
            write(ctx, async |tx| ops::decide(tx, id, Decision::Reset).await).await?,
        ))
    }
}
