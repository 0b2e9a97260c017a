//! The billing part of `agora seed-demo`: bills from the platform to the
//! demo clients in every status, with payments (a declined card, card and
//! bank payments, a pending transfer, a refund), through the domain
//! operations as the demo admin and clients.

use std::fmt;

use chrono::{TimeDelta, Utc};

use super::seed::{SeedError, Step};
use crate::auth::Viewer;
use crate::billing::model::{LineInput, PaymentMethod};
use crate::billing::ops::{self as bills, NewBillCommand};
use crate::billing::payments::{self, PayCommand};
use crate::db::{BillId, TypedId};
use crate::error::AppError;
use crate::state::AppState;
use crate::tx::{Actor, Tx};

/// What the billing part created.
#[derive(Debug, Clone, Default)]
pub struct BillingSummary {
    /// Bills by status: draft, issued, paid, void, refunded.
    pub bills: [usize; 5],
    /// Payments made (failed ones included).
    pub payments: usize,
}

impl fmt::Display for BillingSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [draft, issued, paid, void, refunded] = self.bills;
        writeln!(
            f,
            "  bills      {draft} draft, {issued} issued, {paid} paid, {void} void, {refunded} refunded; {} payments",
            self.payments
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

/// What happens to each demo bill, in order.
#[derive(Clone, Copy)]
enum Story {
    Draft,
    Issued,
    DeclinedThenOpen,
    PendingTransfer,
    PaidByCard,
    PaidByTransfer,
    Voided,
    Refunded,
}

const STORIES: [Story; 8] = [
    Story::Draft,
    Story::Issued,
    Story::DeclinedThenOpen,
    Story::PendingTransfer,
    Story::PaidByCard,
    Story::PaidByTransfer,
    Story::Voided,
    Story::Refunded,
];

async fn pay(
    state: &AppState,
    client: Viewer,
    bill: BillId,
    token: Option<&str>,
    summary: &mut BillingSummary,
) -> Result<crate::billing::model::PaymentRow, SeedError> {
    let command = PayCommand {
        bill_id: bill,
        method: if token.is_some() {
            PaymentMethod::Card
        } else {
            PaymentMethod::BankTransfer
        },
        card_token: token.map(str::to_owned),
        idempotency_key: uuid::Uuid::new_v4().to_string(),
    };
    summary.payments += 1;
    payments::pay(state, Actor::user(client), command)
        .await
        .step(|| format!("paying {}", bill.to_global()))
}

/// Seed one bill per story from the platform to the clients in turn.
pub async fn run(state: &AppState, admin: Viewer, clients: &[Viewer]) -> Result<BillingSummary, SeedError> {
    let mut summary = BillingSummary::default();
    for (index, story) in STORIES.into_iter().enumerate() {
        let Some(&client) = clients.get(index % clients.len().max(1)) else {
            break;
        };
        let command = NewBillCommand {
            payer_id: Some(client.user_id),
            contract_id: None,
            service_request_id: None,
            currency: "EUR".into(),
            lines: vec![
                LineInput {
                    description: "Platform fee".into(),
                    quantity: "1".into(),
                    unit_price: format!("{}.00", 20 + index * 5),
                },
                LineInput {
                    description: "Premium listing (days)".into(),
                    quantity: "7.5".into(),
                    unit_price: "1.99".into(),
                },
            ],
            tax_rate: "19".into(),
            due_at: Utc::now() + TimeDelta::days(14),
        };
        let bill = as_user(state, admin, async |tx| bills::create(tx, command).await)
            .await
            .step(|| format!("bill {index}"))?;
        let id = bill.id;
        if matches!(story, Story::Draft) {
            summary.bills[0] += 1;
            continue;
        }
        as_user(state, admin, async |tx| bills::issue(tx, id).await)
            .await
            .step(|| format!("issuing bill {index}"))?;
        let slot = match story {
            Story::Draft | Story::Issued => 1,
            Story::DeclinedThenOpen => {
                pay(state, client, id, Some("tok_chargeDeclined"), &mut summary).await?;
                1
            }
            Story::PendingTransfer => {
                pay(state, client, id, None, &mut summary).await?;
                1
            }
            Story::PaidByCard => {
                pay(state, client, id, Some("tok_visa"), &mut summary).await?;
                2
            }
            Story::PaidByTransfer => {
                let payment = pay(state, client, id, None, &mut summary).await?;
                as_user(state, admin, async |tx| payments::confirm(tx, payment.id).await)
                    .await
                    .step(|| "confirming a transfer".into())?;
                2
            }
            Story::Voided => {
                as_user(state, admin, async |tx| {
                    bills::void(tx, id, "Billed by mistake.").await
                })
                .await
                .step(|| "voiding".into())?;
                3
            }
            Story::Refunded => {
                let payment = pay(state, client, id, Some("tok_mastercard"), &mut summary).await?;
                as_user(state, admin, async |tx| {
                    payments::refund(tx, payment.id, "Goodwill refund.").await
                })
                .await
                .step(|| "refunding".into())?;
                4
            }
        };
        summary.bills[slot] += 1;
    }
    Ok(summary)
}
