//! Service request workflows. Each runs in the caller's transaction and
//! moves the status with a conditional update (`WHERE status = <old>`), so
//! of two claims or assignments racing for one request exactly one lands
//! and the others are `INVALID_STATE`. Mail goes through the outbox in the
//! same transaction.

use chrono::{DateTime, Utc};

use super::model::{ServiceRequestRow, ServiceRequestStatus, Transition, parse_description, parse_reason};
use super::policy::{self, ServiceRequestAction};
use super::queries;
use crate::accounts::email_links::verification::require_verified;
use crate::accounts::profile::{Address, parse_address, parse_phone};
use crate::accounts::users::ops as users;
use crate::catalogue::queries as catalogue;
use crate::db::ReviewId;
use crate::db::types::Timestamp;
use crate::db::{ServiceId, ServiceRequestId, TypedId, UserId, now};
use crate::error::{AppError, AppResult};
use crate::mail::MailKind;
use crate::professionals::model::parse_postal_code;
use crate::professionals::queries::{self as professionals, Ineligible};
use crate::reviews::{self, ReviewRow, queries as review_queries};
use crate::tx::Tx;

/// A service to request.
#[derive(Debug, Clone)]
pub struct NewServiceRequestCommand {
    /// The catalogue service (active).
    pub service_id: ServiceId,
    /// What is needed.
    pub description: String,
    /// Where: postal code and city required.
    pub address: Address,
    /// A phone to reach the client on site.
    pub contact_phone: Option<String>,
    /// Earliest time that suits.
    pub preferred_start: Option<DateTime<Utc>>,
    /// Latest time that suits.
    pub preferred_end: Option<DateTime<Utc>>,
}

/// A review left when completing.
#[derive(Debug, Clone)]
pub struct ReviewCommand {
    /// 1 to 5 stars.
    pub rating: i32,
    /// Up to 2000 characters.
    pub comment: String,
}

fn exact(at: DateTime<Utc>) -> Timestamp {
    let at = Timestamp(at);
    Timestamp::from_micros(at.micros()).unwrap_or(at)
}

/// Check the preferred window: the start in the future, the end after the start.
fn window(
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
) -> AppResult<(Option<Timestamp>, Option<Timestamp>)> {
    let (start, end) = (start.map(exact), end.map(exact));
    let now = now();
    if start.is_some_and(|s| s <= now) {
        return Err(AppError::bad_input("preferredStart", "must be in the future"));
    }
    if end.is_some_and(|e| e <= now) {
        return Err(AppError::bad_input("preferredEnd", "must be in the future"));
    }
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        return Err(AppError::bad_input(
            "preferredEnd",
            "must be after preferredStart",
        ));
    }
    Ok((start, end))
}

/// Ask for a service at an address (clients; the `REQUIRE_VERIFIED_EMAIL` gate applies). Errors: `FORBIDDEN`, `NOT_FOUND` (no such service), `BAD_USER_INPUT` (`serviceId`: inactive; `description`, `address.*`, `contactPhone`, `preferredStart`, `preferredEnd`).
pub async fn create(tx: &mut Tx<'_>, cmd: NewServiceRequestCommand) -> AppResult<ServiceRequestRow> {
    let viewer = policy::may_request(tx.actor().viewer)?;
    let description = parse_description(&cmd.description)?;
    let address = parse_address(&cmd.address)?;
    let postal_code = match address.postal_code.as_deref() {
        Some(code) => parse_postal_code(code, "address.postalCode")?,
        None => return Err(AppError::bad_input("address.postalCode", "is required")),
    };
    let address = Address {
        postal_code: Some(postal_code.clone()),
        ..address
    };
    let contact_phone = cmd
        .contact_phone
        .as_deref()
        .map(|p| parse_phone(p, "contactPhone"))
        .transpose()?;
    let (preferred_start, preferred_end) = window(cmd.preferred_start, cmd.preferred_end)?;
    let service = catalogue::find_by_ids(tx, &[cmd.service_id])
        .await?
        .pop()
        .ok_or(AppError::NotFound("service"))?;
    if !service.active {
        return Err(AppError::bad_input(
            "serviceId",
            "the service takes no new requests",
        ));
    }
    require_verified(tx).await?;
    let now = now();
    let row = ServiceRequestRow {
        id: ServiceRequestId::new(),
        service_id: service.id,
        client_id: viewer.user_id,
        professional_id: None,
        status: ServiceRequestStatus::Requested,
        description,
        postal_code,
        city: address.city.clone(),
        country: address.country.clone(),
        address: Some(address.to_db()?),
        contact_phone,
        preferred_start,
        preferred_end,
        created_at: now,
        updated_at: now,
        assigned_at: None,
        started_at: None,
        completed_at: None,
        cancelled_at: None,
        cancellation_reason: None,
    };
    queries::insert(tx, &row).await
}

/// The request `id` if the viewer may take `action` on it: `NOT_FOUND` when they may not see it, `FORBIDDEN` when they may only see it.
async fn acting_on(
    tx: &mut Tx<'_>,
    id: ServiceRequestId,
    action: ServiceRequestAction,
) -> AppResult<ServiceRequestRow> {
    let viewer = tx.viewer()?;
    let request = queries::find_visible(tx, viewer, id)
        .await?
        .ok_or(AppError::NotFound("service request"))?;
    policy::may(Some(viewer), action, &request)?;
    Ok(request)
}

/// Write `change` if the request is still `from`, else `INVALID_STATE` naming the status it moved to.
async fn apply(
    tx: &mut Tx<'_>,
    request: &ServiceRequestRow,
    change: Transition,
) -> AppResult<ServiceRequestRow> {
    let change = Transition {
        updated_at: Some(now()),
        ..change
    };
    match queries::transition(tx, request.id, request.status, &change).await? {
        Some(row) => Ok(row),
        None => {
            let now_status = queries::find(tx, request.id)
                .await?
                .map_or("gone", |r| r.status.as_str());
            Err(AppError::InvalidState(format!(
                "the service request changed meanwhile: it is {now_status}"
            )))
        }
    }
}

fn taken_by(professional: UserId, to: ServiceRequestStatus) -> Transition {
    Transition {
        status: Some(to),
        professional_id: Some(Some(professional)),
        assigned_at: Some(Some(now())),
        ..Default::default()
    }
}

/// Give a `REQUESTED` request to `professional` (admins). Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`, `BAD_USER_INPUT` on `professionalId` with the reason they may not take it.
pub async fn assign(
    tx: &mut Tx<'_>,
    id: ServiceRequestId,
    professional: UserId,
) -> AppResult<ServiceRequestRow> {
    let request = acting_on(tx, id, ServiceRequestAction::Assign).await?;
    let to = request.status.assign()?;
    if let Err(why) =
        professionals::eligibility(tx, professional, request.service_id, &request.postal_code).await?
    {
        return Err(AppError::bad_input("professionalId", why.message()));
    }
    let row = apply(tx, &request, taken_by(professional, to)).await?;
    mail_assigned(tx, &row).await?;
    Ok(row)
}

/// Take a `REQUESTED` request oneself (a VERIFIED professional offering the service and covering its postal code). Errors: `NOT_FOUND`, `FORBIDDEN` (with the reason the viewer may not take it), `INVALID_STATE`.
pub async fn claim(tx: &mut Tx<'_>, id: ServiceRequestId) -> AppResult<ServiceRequestRow> {
    let request = queries::find(tx, id)
        .await?
        .ok_or(AppError::NotFound("service request"))?;
    let viewer = policy::may(tx.actor().viewer, ServiceRequestAction::Claim, &request)?;
    let eligible =
        professionals::eligibility(tx, viewer.user_id, request.service_id, &request.postal_code).await?;
    if let Err(why) = eligible {
        let message = match why {
            Ineligible::AreaNotCovered(code) => format!("you do not cover postal code {code}"),
            Ineligible::ServiceNotOffered => "you do not offer this service".into(),
            Ineligible::NotVerified => "you are not VERIFIED yet".into(),
            other => other.message(),
        };
        return Err(AppError::forbidden(message));
    }
    let to = request.status.assign()?;
    let row = apply(tx, &request, taken_by(viewer.user_id, to)).await?;
    mail_assigned(tx, &row).await?;
    Ok(row)
}

/// Take an `ASSIGNED` request back from its professional (admins), saying why (mailed to them); it is `REQUESTED` again.
pub async fn unassign(tx: &mut Tx<'_>, id: ServiceRequestId, reason: &str) -> AppResult<ServiceRequestRow> {
    let reason = parse_reason(reason)?;
    let request = acting_on(tx, id, ServiceRequestAction::Assign).await?;
    let to = request.status.unassign()?;
    let change = Transition {
        status: Some(to),
        professional_id: Some(None),
        assigned_at: Some(None),
        ..Default::default()
    };
    let row = apply(tx, &request, change).await?;
    if let Some(professional) = request.professional_id {
        notify(
            tx,
            professional,
            MailKind::RequestUnassigned,
            &row,
            "An admin took a service request back from you.",
            &reason,
        )
        .await?;
    }
    Ok(row)
}

/// Start the work (the assigned professional): `ASSIGNED` → `IN_PROGRESS`.
pub async fn start(tx: &mut Tx<'_>, id: ServiceRequestId) -> AppResult<ServiceRequestRow> {
    let request = acting_on(tx, id, ServiceRequestAction::Start).await?;
    let change = Transition {
        status: Some(request.status.start()?),
        started_at: Some(now()),
        ..Default::default()
    };
    apply(tx, &request, change).await
}

/// Sign the work off (the client): `IN_PROGRESS` → `COMPLETED`, with an optional review of the professional (once: a request completes once).
pub async fn complete(
    tx: &mut Tx<'_>,
    id: ServiceRequestId,
    review: Option<ReviewCommand>,
) -> AppResult<ServiceRequestRow> {
    let review = review
        .map(|r| reviews::parse_review(r.rating, &r.comment))
        .transpose()?;
    let request = acting_on(tx, id, ServiceRequestAction::Complete).await?;
    let change = Transition {
        status: Some(request.status.complete()?),
        completed_at: Some(now()),
        ..Default::default()
    };
    let row = apply(tx, &request, change).await?;
    let professional = row
        .professional_id
        .ok_or_else(|| AppError::internal("an IN_PROGRESS request without a professional"))?;
    if let Some((rating, comment)) = review {
        review_queries::insert(
            tx,
            &ReviewRow {
                id: ReviewId::new(),
                contract_id: None,
                service_request_id: Some(row.id),
                reviewer_id: row.client_id,
                reviewee_id: professional,
                rating,
                comment,
                created_at: now(),
            },
        )
        .await?;
    }
    notify(
        tx,
        professional,
        MailKind::RequestCompleted,
        &row,
        "The client marked a service request you did as completed.",
        "",
    )
    .await?;
    Ok(row)
}

/// Cancel a request, saying why: its client before the work starts (`REQUESTED`, `ASSIGNED`), an admin at any status but the final ones. The assigned professional is told.
pub async fn cancel(tx: &mut Tx<'_>, id: ServiceRequestId, reason: &str) -> AppResult<ServiceRequestRow> {
    let reason = parse_reason(reason)?;
    let request = acting_on(tx, id, ServiceRequestAction::Cancel).await?;
    let viewer = tx.viewer()?;
    let to = if request.client_id == viewer.user_id {
        request.status.cancel_by_client()?
    } else {
        request.status.cancel_by_admin()?
    };
    let change = Transition {
        status: Some(to),
        cancelled_at: Some(now()),
        cancellation_reason: Some(reason.clone()),
        ..Default::default()
    };
    let row = apply(tx, &request, change).await?;
    if let Some(professional) = row.professional_id {
        notify(
            tx,
            professional,
            MailKind::RequestCancelled,
            &row,
            "A service request assigned to you was cancelled.",
            &reason,
        )
        .await?;
    }
    Ok(row)
}

/// Tell both sides that a professional took the request.
async fn mail_assigned(tx: &mut Tx<'_>, row: &ServiceRequestRow) -> AppResult<()> {
    let Some(professional) = row.professional_id else {
        return Ok(());
    };
    let place = format!("{} {}, {}", row.postal_code, row.city, row.country);
    notify(
        tx,
        professional,
        MailKind::RequestAssignedToProfessional,
        row,
        "A service request is yours: its address and contact phone are now in the app.",
        &place,
    )
    .await?;
    notify(
        tx,
        row.client_id,
        MailKind::RequestAssignedToClient,
        row,
        "A professional will do your service request.",
        &place,
    )
    .await
}

/// Mail `user` (unless their account is deleted) about `row`.
async fn notify(
    tx: &mut Tx<'_>,
    user: UserId,
    kind: MailKind,
    row: &ServiceRequestRow,
    message: &str,
    detail: &str,
) -> AppResult<()> {
    let page = format!("service-requests/{}", row.id.to_global());
    users::notify(tx, user, kind, message, detail, &page).await
}
