//! Keeping the catalogue (admins): add, change, deactivate, reactivate.

use super::model::{
    NewService, ServiceCategory, ServiceChangeset, ServiceRow, parse_description, parse_duration, parse_name,
};
use super::policy;
use super::queries;
use crate::db::{ServiceId, now};
use crate::error::{AppError, AppResult};
use crate::money::Money;
use crate::tx::Tx;

/// A service to add.
#[derive(Debug, Clone)]
pub struct NewServiceCommand {
    /// Name, unique ignoring case.
    pub name: String,
    /// What it is.
    pub description: String,
    /// Trade.
    pub category: ServiceCategory,
    /// Starting price (zero allowed).
    pub base_price: Money,
    /// Usual duration, in minutes.
    pub duration_minutes: i32,
}

/// Changes to a service (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct ServiceChanges {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New trade.
    pub category: Option<ServiceCategory>,
    /// New starting price.
    pub base_price: Option<Money>,
    /// New duration.
    pub duration_minutes: Option<i32>,
}

/// Add a service, active (admins).
pub async fn create(tx: &mut Tx<'_>, cmd: NewServiceCommand) -> AppResult<ServiceRow> {
    policy::may_manage(tx.actor().viewer)?;
    let (name, name_key) = parse_name(&cmd.name)?;
    let description = parse_description(&cmd.description)?;
    let duration_minutes = parse_duration(cmd.duration_minutes)?;
    let now = now();
    queries::insert(
        tx,
        &NewService {
            id: ServiceId::new(),
            name: &name,
            name_key: &name_key,
            description: &description,
            category: cmd.category,
            base_price_minor: cmd.base_price.minor(),
            currency: cmd.base_price.currency().code(),
            duration_minutes,
            active: true,
            created_at: now,
            updated_at: now,
        },
    )
    .await
}

/// The service `id` for an admin to change: `NOT_FOUND` when there is none.
async fn managed(tx: &mut Tx<'_>, id: ServiceId) -> AppResult<ServiceRow> {
    let viewer = policy::may_manage(tx.actor().viewer)?;
    queries::find_visible(tx, Some(viewer), id)
        .await?
        .ok_or(AppError::NotFound("service"))
}

/// Change a service (admins); requests already made keep their service.
pub async fn update(tx: &mut Tx<'_>, id: ServiceId, cmd: ServiceChanges) -> AppResult<ServiceRow> {
    managed(tx, id).await?;
    let mut changes = ServiceChangeset {
        category: cmd.category,
        updated_at: Some(now()),
        ..Default::default()
    };
    if let Some(name) = &cmd.name {
        let (name, key) = parse_name(name)?;
        (changes.name, changes.name_key) = (Some(name), Some(key));
    }
    if let Some(description) = &cmd.description {
        changes.description = Some(parse_description(description)?);
    }
    if let Some(minutes) = cmd.duration_minutes {
        changes.duration_minutes = Some(parse_duration(minutes)?);
    }
    if let Some(price) = cmd.base_price {
        changes.base_price_minor = Some(price.minor());
        changes.currency = Some(price.currency().code().to_owned());
    }
    queries::update(tx, id, &changes).await
}

/// Take a service out of the catalogue (`active: false`: no new requests; open ones go on) or put it back. Doing either twice is `INVALID_STATE`.
pub async fn set_active(tx: &mut Tx<'_>, id: ServiceId, active: bool) -> AppResult<ServiceRow> {
    let service = managed(tx, id).await?;
    if service.active == active {
        return Err(AppError::InvalidState(format!(
            "the service is already {}",
            if active { "active" } else { "inactive" }
        )));
    }
    let changes = ServiceChangeset {
        active: Some(active),
        updated_at: Some(now()),
        ..Default::default()
    };
    queries::update(tx, id, &changes).await
}
