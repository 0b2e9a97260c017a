//! The services part of `agora seed-demo`: a catalogue, professional
//! profiles in every verification status (each with a document), and
//! service requests in every status, all through the domain operations as
//! the demo admin, professionals and clients.

use std::fmt;
use std::io::Cursor;

use chrono::{TimeDelta, Utc};

use super::seed::{Rng, SeedError, Step};
use crate::accounts::profile::Address;
use crate::auth::Viewer;
use crate::catalogue::model::ServiceCategory;
use crate::catalogue::ops::{self as catalogue, NewServiceCommand};
use crate::catalogue::queries as catalogue_queries;
use crate::db::{ServiceId, TypedId};
use crate::error::AppError;
use crate::money::{Currency, Money};
use crate::professionals::documents;
use crate::professionals::model::DocumentKind;
use crate::professionals::ops::{self as professionals, Decision, ProfessionalChanges};
use crate::service_requests::ops::{self as requests, NewServiceRequestCommand, ReviewCommand};
use crate::state::AppState;
use crate::tx::{Actor, Tx};
use crate::uploads::Upload;

/// The catalogue: name, trade, starting price in euros, minutes.
const SERVICES: &[(&str, ServiceCategory, i64, i32)] = &[
    ("Boiler repair", ServiceCategory::Plumbing, 90, 120),
    ("Leaking tap fix", ServiceCategory::Plumbing, 45, 45),
    ("Deep cleaning", ServiceCategory::Cleaning, 120, 240),
    ("Electrical safety check", ServiceCategory::Electrical, 80, 90),
    ("Furniture assembly", ServiceCategory::Carpentry, 50, 120),
    ("Interior painting", ServiceCategory::Painting, 200, 480),
    ("Garden care", ServiceCategory::Gardening, 60, 180),
    ("Moving help", ServiceCategory::Moving, 150, 240),
    ("Washing machine repair", ServiceCategory::ApplianceRepair, 70, 90),
    ("Tax return advice", ServiceCategory::Consulting, 110, 60),
];

/// The postal codes (Berlin) professionals cover and clients live in.
const AREA: &[&str] = &["10115", "10117", "10119", "10178", "10243", "10245"];

const HEADLINES: &[&str] = &[
    "Reliable, tidy, on time",
    "Twenty years in the trade",
    "Small jobs done right",
    "Certified and insured",
];

/// A minimal PDF standing for a scanned certificate.
const DOCUMENT: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// What the services part created.
#[derive(Debug, Clone, Default)]
pub struct ServicesSummary {
    /// Catalogue services added.
    pub services: usize,
    /// Professionals by status: verified, pending, rejected, unsubmitted.
    pub professionals: [usize; 4],
    /// Service requests by status: requested, assigned, in progress, completed, cancelled.
    pub requests: [usize; 5],
}

impl fmt::Display for ServicesSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [verified, pending, rejected, unsubmitted] = self.professionals;
        let [requested, assigned, in_progress, completed, cancelled] = self.requests;
        writeln!(f, "  services   {} in the catalogue", self.services)?;
        writeln!(
            f,
            "  profiles   {verified} verified, {pending} pending, {rejected} rejected, {unsubmitted} unsubmitted"
        )?;
        writeln!(
            f,
            "  requests   {requested} requested, {assigned} assigned, {in_progress} in progress, \
             {completed} completed, {cancelled} cancelled"
        )
    }
}

async fn as_user<R>(
    state: &AppState,
    viewer: Viewer,
    operation: impl AsyncFnOnce(&mut Tx<'_>) -> Result<R, AppError>,
) -> Result<R, AppError> {
    state.write(Actor::user(viewer), operation).await
}

/// Seed the services area: the catalogue (unless one exists), profiles for up to 12 of the new `freelancers`, and requests by the `clients`.
pub async fn run(
    state: &AppState,
    admin: Viewer,
    clients: &[Viewer],
    freelancers: &[Viewer],
) -> Result<ServicesSummary, SeedError> {
    let mut summary = ServicesSummary::default();
    let services = catalogue_of(state, admin, &mut summary).await?;
    if services.is_empty() || freelancers.is_empty() || clients.is_empty() {
        return Ok(summary);
    }
    let mut verified = Vec::new();
    for (index, &pro) in freelancers.iter().take(12).enumerate() {
        let mut rng = Rng::for_index(30, index);
        // Every professional offers the first service, so each request below
        // has someone to take it.
        let mut offered = vec![services[0]];
        for _ in 0..rng.below(3) {
            let pick = *rng.pick(&services);
            if !offered.contains(&pick) {
                offered.push(pick);
            }
        }
        let changes = ProfessionalChanges {
            headline: Some(Some(rng.pick(HEADLINES).to_string())),
            bio: Some(Some("Happy to help with your home. Ask me anything.".into())),
            service_ids: Some(offered),
            service_area: Some(AREA.iter().map(|c| c.to_string()).collect()),
            experience_years: Some(Some(i32::try_from(rng.range(1, 25)).unwrap_or(5))),
            hourly_rate: Some(Some(Money::new(rng.range(35, 90) * 100, Currency::EUR))),
        };
        as_user(state, pro, async |tx| {
            professionals::update_profile(tx, changes).await
        })
        .await
        .step(|| format!("profile {index}"))?;
        // The last of them never submits.
        if index == 11 {
            summary.professionals[3] += 1;
            continue;
        }
        let upload = Upload {
            name: "certificate.pdf".into(),
            size: DOCUMENT.len() as u64,
            content: Box::new(Cursor::new(DOCUMENT)),
        };
        documents::upload(state, Actor::user(pro), upload, DocumentKind::Certificate)
            .await
            .step(|| format!("document {index}"))?;
        as_user(state, pro, async |tx| professionals::submit(tx).await)
            .await
            .step(|| format!("submission {index}"))?;
        let decision = match index {
            0..=7 => Some(Decision::Verify),
            8 => Some(Decision::Reject(
                "The certificate is unreadable; upload a sharper scan.".into(),
            )),
            _ => None,
        };
        let slot = match &decision {
            Some(Decision::Verify) => 0,
            Some(_) => 2,
            None => 1,
        };
        if let Some(decision) = decision {
            as_user(state, admin, async |tx| {
                professionals::decide(tx, pro.user_id, decision).await
            })
            .await
            .step(|| format!("decision {index}"))?;
        }
        summary.professionals[slot] += 1;
        if slot == 0 {
            verified.push(pro);
        }
    }
    requests_of(state, admin, clients, &verified, services[0], &mut summary).await?;
    Ok(summary)
}

/// The catalogue; an existing one (a `--force` run) is reused as it is.
async fn catalogue_of(
    state: &AppState,
    admin: Viewer,
    summary: &mut ServicesSummary,
) -> Result<Vec<ServiceId>, SeedError> {
    let existing = {
        let mut conn = state
            .pool
            .get()
            .await
            .map_err(AppError::from)
            .step(|| "connecting".into())?;
        let args = crate::db::keyset::PageArgs::new(Some(100), None, catalogue_queries::ORDER)
            .step(|| "listing services".into())?;
        catalogue_queries::list(&mut conn, Some(admin), &Default::default(), &args, false)
            .await
            .step(|| "listing services".into())?
            .0
    };
    if !existing.is_empty() {
        // Oldest first, so the first is the same service as on the first run.
        return Ok(existing.iter().rev().map(|s| s.id).collect());
    }
    let mut ids = Vec::new();
    for &(name, category, euros, minutes) in SERVICES {
        let command = NewServiceCommand {
            name: name.into(),
            description: format!("{name}, done by a verified professional near you."),
            category,
            base_price: Money::new(euros * 100, Currency::EUR),
            duration_minutes: minutes,
        };
        let service = as_user(state, admin, async |tx| catalogue::create(tx, command).await)
            .await
            .step(|| format!("service {name}"))?;
        ids.push(service.id);
        summary.services += 1;
    }
    Ok(ids)
}

/// Two requests in every status, by the clients in turn.
async fn requests_of(
    state: &AppState,
    admin: Viewer,
    clients: &[Viewer],
    verified: &[Viewer],
    service: ServiceId,
    summary: &mut ServicesSummary,
) -> Result<(), SeedError> {
    if verified.is_empty() {
        return Ok(());
    }
    for index in 0..10 {
        let client = clients[index % clients.len()];
        let pro = verified[index % verified.len()];
        let start = Utc::now() + TimeDelta::days(2 + index as i64);
        let command = NewServiceRequestCommand {
            service_id: service,
            description: "The kitchen tap drips and the boiler makes a noise.".into(),
            address: Address {
                line1: format!("Invalidenstraße {}", 10 + index),
                line2: None,
                city: "Berlin".into(),
                region: None,
                postal_code: Some(AREA[index % AREA.len()].into()),
                country: "DE".into(),
            },
            contact_phone: Some(format!("+4930555{:04}", index)),
            preferred_start: Some(start),
            preferred_end: Some(start + TimeDelta::hours(4)),
        };
        let request = as_user(state, client, async |tx| requests::create(tx, command).await)
            .await
            .step(|| format!("service request {index}"))?;
        let id = request.id;
        let step = |what: &str| format!("service request {index}: {what} {}", id.to_global());
        let status = index / 2;
        if status >= 1 {
            // Half are assigned by the admin, half claimed by the professional.
            if index % 2 == 0 {
                as_user(state, admin, async |tx| {
                    requests::assign(tx, id, pro.user_id).await
                })
                .await
                .step(|| step("assign"))?;
            } else {
                as_user(state, pro, async |tx| requests::claim(tx, id).await)
                    .await
                    .step(|| step("claim"))?;
            }
        }
        if status >= 2 {
            as_user(state, pro, async |tx| requests::start(tx, id).await)
                .await
                .step(|| step("start"))?;
        }
        match status {
            3 => {
                let review = ReviewCommand {
                    rating: 4 + (index % 2) as i32,
                    comment: "Friendly, quick and clean.".into(),
                };
                as_user(state, client, async |tx| {
                    requests::complete(tx, id, Some(review)).await
                })
                .await
                .step(|| step("complete"))?;
            }
            4 => {
                as_user(state, admin, async |tx| {
                    requests::cancel(tx, id, "The client moved away.").await
                })
                .await
                .step(|| step("cancel"))?;
            }
            _ => {}
        }
        summary.requests[status] += 1;
    }
    Ok(())
}
