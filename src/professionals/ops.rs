//! Professional workflows: keeping the profile, submitting it for
//! verification, and the admins' decisions (audited; a rejection is
//! mailed). Each runs in the caller's transaction and moves the status with
//! a conditional update, so two decisions on one profile cannot both land.

use super::model::{
    ProfileChangeset, ProfileRow, parse_bio, parse_experience, parse_headline, parse_reason,
    parse_service_area,
};
use super::policy;
use super::queries::{self, StatusChange};
use crate::accounts::users::ops::notify;
use crate::audit::{self, AuditKind};
use crate::catalogue::queries as catalogue;
use crate::db::{ServiceId, TypedId, UserId, now};
use crate::error::{AppError, AppResult};
use crate::mail::MailKind;
use crate::money::Money;
use crate::tx::Tx;

/// Most services one professional offers.
const MAX_SERVICES: usize = 50;

/// Changes to the viewer's professional profile: `None` leaves a field as it is, `Some(None)` clears it; the lists replace the old ones.
#[derive(Debug, Clone, Default)]
pub struct ProfessionalChanges {
    /// One line about the professional.
    pub headline: Option<Option<String>>,
    /// Longer text.
    pub bio: Option<Option<String>>,
    /// The services offered (each must exist and be active).
    pub service_ids: Option<Vec<ServiceId>>,
    /// The postal codes covered (1 to 200).
    pub service_area: Option<Vec<String>>,
    /// Years of experience.
    pub experience_years: Option<Option<i32>>,
    /// Hourly rate.
    pub hourly_rate: Option<Option<Money>>,
}

/// Check that every service exists and is active; repeats are dropped.
async fn active_services(tx: &mut Tx<'_>, ids: &[ServiceId]) -> AppResult<Vec<ServiceId>> {
    let mut unique: Vec<ServiceId> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    if unique.len() > MAX_SERVICES {
        return Err(AppError::bad_input(
            "serviceIds",
            format!("offer at most {MAX_SERVICES} services"),
        ));
    }
    let found = catalogue::find_by_ids(tx, &unique).await?;
    for id in &unique {
        if !found.iter().any(|s| s.id == *id && s.active) {
            return Err(AppError::bad_input(
                "serviceIds",
                format!("{} is not an active service", id.to_global()),
            ));
        }
    }
    Ok(unique)
}

/// Change the viewer's professional profile (created on first use).
pub async fn update_profile(tx: &mut Tx<'_>, cmd: ProfessionalChanges) -> AppResult<ProfileRow> {
    let viewer = policy::may_keep_profile(tx.actor().viewer)?;
    let mut changes = ProfileChangeset {
        updated_at: Some(now()),
        ..Default::default()
    };
    if let Some(headline) = &cmd.headline {
        changes.headline = Some(headline.as_deref().map(parse_headline).transpose()?);
    }
    if let Some(bio) = &cmd.bio {
        changes.bio = Some(bio.as_deref().map(parse_bio).transpose()?);
    }
    if let Some(years) = cmd.experience_years {
        changes.experience_years = Some(years.map(parse_experience).transpose()?);
    }
    if let Some(rate) = cmd.hourly_rate {
        if rate.is_some_and(|r| !r.is_positive()) {
            return Err(AppError::bad_input("hourlyRate", "must be more than zero"));
        }
        changes.hourly_rate_minor = Some(rate.map(Money::minor));
        changes.hourly_rate_currency = Some(rate.map(|r| r.currency().code().to_owned()));
    }
    let area = cmd.service_area.as_deref().map(parse_service_area).transpose()?;
    let services = match &cmd.service_ids {
        Some(ids) => Some(active_services(tx, ids).await?),
        None => None,
    };
    queries::take(tx, viewer.user_id, now()).await?;
    let row = queries::apply(tx, viewer.user_id, &changes).await?;
    if let Some(services) = &services {
        queries::set_services(tx, viewer.user_id, services).await?;
    }
    if let Some(area) = &area {
        queries::set_area(tx, viewer.user_id, area).await?;
    }
    Ok(row)
}

/// Send the viewer's profile for verification: `UNSUBMITTED` or `REJECTED` → `PENDING`. It needs at least one service, one postal code and one document (`BAD_USER_INPUT` naming what is missing).
pub async fn submit(tx: &mut Tx<'_>) -> AppResult<ProfileRow> {
    let viewer = policy::may_keep_profile(tx.actor().viewer)?;
    let profile = queries::take(tx, viewer.user_id, now()).await?;
    let to = profile.verification_status.submit()?;
    if queries::services_of(tx, &[viewer.user_id]).await?.is_empty() {
        return Err(AppError::bad_input(
            "serviceIds",
            "offer at least one service first",
        ));
    }
    if queries::areas_of(tx, &[viewer.user_id]).await?.is_empty() {
        return Err(AppError::bad_input(
            "serviceArea",
            "cover at least one postal code first",
        ));
    }
    if super::documents::count(tx, viewer.user_id).await? == 0 {
        return Err(AppError::bad_input(
            "documents",
            "upload at least one document first",
        ));
    }
    let change = StatusChange {
        verification_status: to,
        rejection_reason: None,
        submitted_at: Some(now()),
        verified_at: None,
        updated_at: now(),
    };
    moved(queries::set_status(tx, viewer.user_id, profile.verification_status, &change).await?)
}

fn moved(row: Option<ProfileRow>) -> AppResult<ProfileRow> {
    row.ok_or_else(|| AppError::InvalidState("the profile changed meanwhile; try again".into()))
}

/// An admin's decision on a professional.
#[derive(Debug, Clone)]
pub enum Decision {
    /// `PENDING` → `VERIFIED`.
    Verify,
    /// `PENDING` → `REJECTED`, saying why (mailed to the professional).
    Reject(String),
    /// Any → `UNSUBMITTED`.
    Reset,
}

/// Decide on `professional` (admins): verify, reject or reset; audited. Errors: `NOT_FOUND` (no professional profile), `INVALID_STATE`, `BAD_USER_INPUT` on `reason`.
pub async fn decide(tx: &mut Tx<'_>, professional: UserId, decision: Decision) -> AppResult<ProfileRow> {
    let admin = policy::may_decide(tx.actor().viewer)?;
    let reason = match &decision {
        Decision::Reject(reason) => Some(parse_reason(reason)?),
        _ => None,
    };
    let profile = queries::find(tx, professional)
        .await?
        .ok_or(AppError::NotFound("professional"))?;
    let from = profile.verification_status;
    let now = now();
    let (change, kind) = match decision {
        Decision::Verify => (
            StatusChange {
                verification_status: from.verify()?,
                rejection_reason: None,
                submitted_at: profile.submitted_at,
                verified_at: Some(now),
                updated_at: now,
            },
            AuditKind::ProfessionalVerified,
        ),
        Decision::Reject(_) => (
            StatusChange {
                verification_status: from.reject()?,
                rejection_reason: reason.clone(),
                submitted_at: profile.submitted_at,
                verified_at: None,
                updated_at: now,
            },
            AuditKind::ProfessionalRejected,
        ),
        Decision::Reset => (
            StatusChange {
                verification_status: from.reset()?,
                rejection_reason: None,
                submitted_at: None,
                verified_at: None,
                updated_at: now,
            },
            AuditKind::ProfessionalVerificationReset,
        ),
    };
    let row = moved(queries::set_status(tx, professional, from, &change).await?)?;
    let client = tx.actor().client.clone();
    audit::record_with_detail(
        tx,
        kind,
        professional,
        &client,
        &format!("admin={}", admin.user_id),
    )
    .await?;
    if let Some(reason) = reason {
        mail_rejection(tx, professional, &reason).await?;
    }
    Ok(row)
}

async fn mail_rejection(tx: &mut Tx<'_>, professional: UserId, reason: &str) -> AppResult<()> {
    let message = "An admin looked at your professional profile and could not verify it yet. \
                   Fix what is asked below and submit it again.";
    notify(
        tx,
        professional,
        MailKind::ProfessionalRejected,
        message,
        reason,
        "professional-profile",
    )
    .await
}
