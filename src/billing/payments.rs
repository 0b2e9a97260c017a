//! Paying bills, Stripe's way: the payer's idempotency key names one
//! payment, the provider is called outside any transaction (record the
//! intent, call, record the outcome), and a bill has at most one PENDING or
//! SUCCEEDED payment (a partial unique index).
//!
//! - The same key with the same parameters answers the same payment, in its
//!   current state (also while the first request is still running); with
//!   other parameters it is `CONFLICT` on `idempotencyKey`. Keys live as
//!   long as their payment (at least 24 hours, as Stripe keeps them).
//! - Two payments racing with different keys: one is recorded, the other
//!   is `INVALID_STATE`.
//! - A card charge a crash interrupted stays PENDING; its `settle_payment`
//!   job (due a minute after the intent) asks the provider by key and
//!   records the outcome.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::Value;

use super::model::{BillRow, BillStatus, PaymentMethod, PaymentRow, PaymentStatus, parse_reason};
use super::ops::notify;
use super::policy::{self, BillAction, payments_visible_to};
use super::provider::{self, Charge, Outcome};
use super::queries::{self as bills, BillChange};
use crate::auth::Viewer;
use crate::db::keyset::PageArgs;
use crate::db::schema::payments;
use crate::db::types::Timestamp;
use crate::db::{BillId, Conn, PaymentId, TypedId, now};
use crate::error::{AppError, AppResult};
use crate::jobs::{self, NewJob};
use crate::mail::MailKind;
use crate::state::AppState;
use crate::tx::{Actor, Tx};
use crate::{newest_first_page, with_conn};

/// The job kind that settles a card payment left PENDING.
pub const SETTLE_JOB: &str = "settle_payment";
/// The cursor tag of payment lists (newest first).
pub const ORDER: &str = "CREATED_AT_DESC";
/// Longest idempotency key.
const MAX_KEY: usize = 255;

/// A payment to make.
#[derive(Debug, Clone)]
pub struct PayCommand {
    /// The bill.
    pub bill_id: BillId,
    /// How.
    pub method: PaymentMethod,
    /// The test card token (cards).
    pub card_token: Option<String>,
    /// The payer's key for this payment.
    pub idempotency_key: String,
}

impl PayCommand {
    /// What the key stands for: a replay must ask exactly this.
    fn fingerprint(&self) -> String {
        format!(
            "{}|{}|{}",
            self.bill_id.uuid(),
            self.method.as_str(),
            self.card_token.as_deref().unwrap_or_default()
        )
    }

    fn check(&self) -> AppResult<()> {
        let key = &self.idempotency_key;
        if key.is_empty() || key.chars().count() > MAX_KEY || key.chars().any(char::is_control) {
            return Err(AppError::bad_input(
                "idempotencyKey",
                format!("1 to {MAX_KEY} characters, like a UUID you make per payment"),
            ));
        }
        match (self.method, self.card_token.as_deref()) {
            (PaymentMethod::Card, Some(token)) if provider::known_card(token) => Ok(()),
            (PaymentMethod::Card, _) => Err(AppError::bad_input(
                "cardToken",
                "a test card token: tok_visa, tok_mastercard, tok_chargeDeclined, tok_insufficientFunds or tok_processingError",
            )),
            (PaymentMethod::BankTransfer, None) => Ok(()),
            (PaymentMethod::BankTransfer, Some(_)) => Err(AppError::bad_input(
                "cardToken",
                "only card payments take a token",
            )),
        }
    }
}

/// The payer's payment under `key`, if any.
async fn by_key(conn: &mut Conn, payer: crate::db::UserId, key: &str) -> AppResult<Option<PaymentRow>> {
    Ok(with_conn!(conn, |c| {
        payments::table
            .filter(payments::payer_id.eq(payer))
            .filter(payments::idempotency_key.eq(key))
            .select(PaymentRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// The PENDING or SUCCEEDED payment of a bill, if any.
pub async fn live_of(conn: &mut Conn, bill: BillId) -> AppResult<Option<PaymentRow>> {
    Ok(with_conn!(conn, |c| {
        payments::table
            .filter(payments::bill_id.eq(bill))
            .filter(payments::status.eq_any([PaymentStatus::Pending, PaymentStatus::Succeeded]))
            .select(PaymentRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// A replay under `key`: the payment if it asked the same, `CONFLICT` if not.
fn replay(found: PaymentRow, fingerprint: &str) -> AppResult<PaymentRow> {
    if found.fingerprint == fingerprint {
        Ok(found)
    } else {
        Err(AppError::Conflict {
            field: "idempotencyKey",
            message: "this key was used for another payment: make a new key per payment".into(),
        })
    }
}

/// What recording the intent found.
enum Intent {
    /// A new PENDING payment: call the provider.
    New(PaymentRow),
    /// The payment this key already made.
    Replayed(PaymentRow),
}

async fn record_intent(tx: &mut Tx<'_>, cmd: &PayCommand, fingerprint: &str) -> AppResult<Intent> {
    let viewer = tx.viewer()?;
    if let Some(found) = by_key(tx, viewer.user_id, &cmd.idempotency_key).await? {
        return replay(found, fingerprint).map(Intent::Replayed);
    }
    let bill = super::ops::acting_on(tx, cmd.bill_id, BillAction::Pay).await?;
    if bill.status != BillStatus::Issued {
        return Err(AppError::InvalidState(format!(
            "cannot pay a bill that is {}",
            bill.status.as_str()
        )));
    }
    if let Some(live) = live_of(tx, bill.id).await? {
        // Made under this key by a request that committed since the lookup
        // above (PostgreSQL reads each statement's latest commit): a replay.
        if live.payer_id == viewer.user_id && live.idempotency_key == cmd.idempotency_key {
            return replay(live, fingerprint).map(Intent::Replayed);
        }
        return Err(already_paying());
    }
    let now = now();
    let row = PaymentRow {
        id: PaymentId::new(),
        bill_id: bill.id,
        payer_id: viewer.user_id,
        amount_minor: bill.total_minor,
        currency: bill.currency.clone(),
        method: cmd.method,
        card_token: cmd.card_token.clone(),
        status: PaymentStatus::Pending,
        failure_reason: None,
        provider_reference: None,
        idempotency_key: cmd.idempotency_key.clone(),
        fingerprint: fingerprint.to_owned(),
        refund_reason: None,
        created_at: now,
        settled_at: None,
        refunded_at: None,
        updated_at: now,
    };
    let row: PaymentRow = with_conn!(&mut **tx, |c| {
        diesel::insert_into(payments::table)
            .values(&row)
            .returning(PaymentRow::as_returning())
            .get_result(c)
            .await
    })?;
    if cmd.method == PaymentMethod::Card {
        let mut settle = NewJob::new(SETTLE_JOB, serde_json::json!({ "id": row.id.to_string() }))
            .unique(format!("payment:{}", row.id));
        settle.run_at = Some(Timestamp(now.0 + chrono::TimeDelta::minutes(1)));
        jobs::enqueue(tx, settle).await?;
    }
    Ok(Intent::New(row))
}

fn already_paying() -> AppError {
    AppError::InvalidState("this bill already has a payment pending or succeeded".into())
}

/// Pay a bill (its payer). A declined or failed charge is answered as the payment (status `FAILED`, `failureReason`), not as an error; the bill stays payable with a new key.
pub async fn pay(state: &AppState, actor: Actor, cmd: PayCommand) -> AppResult<PaymentRow> {
    cmd.check()?;
    let viewer = actor.viewer.ok_or(AppError::Unauthenticated("sign in first"))?;
    let fingerprint = cmd.fingerprint();
    let intent = match state
        .write(actor.clone(), async |tx| {
            record_intent(tx, &cmd, &fingerprint).await
        })
        .await
    {
        Ok(intent) => intent,
        // Another request recorded first: under this key (answer it), or
        // another payment of the bill.
        Err(AppError::Conflict { field, message }) => {
            let mut conn = state.pool.get().await?;
            return match by_key(&mut conn, viewer.user_id, &cmd.idempotency_key).await? {
                Some(found) => replay(found, &fingerprint),
                None if field == "billId" => Err(already_paying()),
                None => Err(AppError::Conflict { field, message }),
            };
        }
        Err(other) => return Err(other),
    };
    let payment = match intent {
        Intent::Replayed(payment) => return Ok(payment),
        Intent::New(payment) => payment,
    };
    let outcome = charge(&payment).await?;
    record_outcome(state, actor, payment, outcome).await
}

/// Ask the payment's provider, outside any transaction.
async fn charge(payment: &PaymentRow) -> AppResult<Outcome> {
    let amount = crate::money::Money::stored(payment.amount_minor, &payment.currency)?;
    let request = Charge {
        key: &payment.idempotency_key,
        amount,
        card_token: payment.card_token.as_deref(),
    };
    Ok(provider::for_method(payment.method).charge(request).await)
}

async fn record_outcome(
    state: &AppState,
    actor: Actor,
    payment: PaymentRow,
    outcome: Outcome,
) -> AppResult<PaymentRow> {
    match outcome {
        Outcome::Pending => Ok(payment),
        outcome => {
            state
                .write(actor, async |tx| settle(tx, payment.id, outcome).await)
                .await
        }
    }
}

/// Record a PENDING payment's outcome, in the caller's transaction: success marks the bill PAID and mails a receipt to the payer and a notice to the issuer. A payment no longer PENDING is answered as it is.
async fn settle(tx: &mut Tx<'_>, id: PaymentId, outcome: Outcome) -> AppResult<PaymentRow> {
    let now = now();
    let (status, reason, reference) = match outcome {
        Outcome::Succeeded(reference) => (PaymentStatus::Succeeded, None, Some(reference)),
        Outcome::Failed(reason) => (PaymentStatus::Failed, Some(reason.to_owned()), None),
        Outcome::Pending => return find(tx, id).await?.ok_or(AppError::NotFound("payment")),
    };
    let updated: Option<PaymentRow> = with_conn!(&mut **tx, |c| {
        diesel::update(
            payments::table
                .filter(payments::id.eq(id))
                .filter(payments::status.eq(PaymentStatus::Pending)),
        )
        .set((
            payments::status.eq(status),
            payments::failure_reason.eq(&reason),
            payments::provider_reference.eq(&reference),
            payments::settled_at.eq(Some(now)),
            payments::updated_at.eq(now),
        ))
        .returning(PaymentRow::as_returning())
        .get_result(c)
        .await
        .optional()
    })?;
    let Some(payment) = updated else {
        return find(tx, id).await?.ok_or(AppError::NotFound("payment"));
    };
    if status == PaymentStatus::Succeeded {
        let bill = bills::find_by_ids(tx, &[payment.bill_id])
            .await?
            .pop()
            .ok_or(AppError::NotFound("bill"))?;
        let change = BillChange {
            status: Some(bill.status.pay()?),
            paid_at: Some(now),
            updated_at: Some(now),
            ..Default::default()
        };
        let bill = bills::change(tx, bill.id, BillStatus::Issued, &change)
            .await?
            .ok_or_else(|| AppError::InvalidState("the bill changed meanwhile".into()))?;
        mail_paid(tx, &bill).await?;
    }
    Ok(payment)
}

async fn mail_paid(tx: &mut Tx<'_>, bill: &BillRow) -> AppResult<()> {
    let number = bill.number.as_deref().unwrap_or_default();
    let total = bill.money(bill.total_minor)?;
    let amount = format!("{} {}", total.currency().code(), total.amount_text());
    let receipt = format!("We received your payment of {amount} for bill {number}. Thank you.");
    notify(tx, bill.payer_id, MailKind::PaymentReceipt, bill, &receipt, "").await?;
    if let Some(issuer) = bill.issuer_id {
        let notice = format!("Bill {number} of {amount} was paid.");
        notify(tx, issuer, MailKind::BillPaid, bill, &notice, "").await?;
    }
    Ok(())
}

/// The payment `id`, whoever may see it.
async fn find(conn: &mut Conn, id: PaymentId) -> AppResult<Option<PaymentRow>> {
    Ok(with_conn!(conn, |c| {
        payments::table
            .find(id)
            .select(PaymentRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// A PENDING bank transfer arrived (admins): it succeeds, the bill is PAID.
pub async fn confirm(tx: &mut Tx<'_>, id: PaymentId) -> AppResult<PaymentRow> {
    let payment = pending_transfer(tx, id).await?;
    settle(
        tx,
        payment.id,
        Outcome::Succeeded(format!("bank_{}", payment.id.uuid().simple())),
    )
    .await
}

/// A PENDING bank transfer never came (admins): it fails with `reason`.
pub async fn fail(tx: &mut Tx<'_>, id: PaymentId, reason: &str) -> AppResult<PaymentRow> {
    let reason = parse_reason(reason)?;
    let payment = pending_transfer(tx, id).await?;
    let failed = settle(tx, payment.id, Outcome::Failed("BANK_TRANSFER_FAILED")).await?;
    let now = now();
    Ok(with_conn!(&mut **tx, |c| {
        diesel::update(payments::table.find(failed.id))
            .set((
                payments::failure_reason.eq(Some(reason)),
                payments::updated_at.eq(now),
            ))
            .returning(PaymentRow::as_returning())
            .get_result(c)
            .await
    })?)
}

async fn pending_transfer(tx: &mut Tx<'_>, id: PaymentId) -> AppResult<PaymentRow> {
    policy::may_administer(tx.actor().viewer)?;
    let payment = find(tx, id).await?.ok_or(AppError::NotFound("payment"))?;
    if payment.method != PaymentMethod::BankTransfer {
        return Err(AppError::InvalidState(
            "only bank transfers are settled by hand".into(),
        ));
    }
    payment.status.settle(PaymentStatus::Succeeded)?;
    Ok(payment)
}

/// Refund a SUCCEEDED payment (admins): it is REFUNDED, and so is its bill.
pub async fn refund(tx: &mut Tx<'_>, id: PaymentId, reason: &str) -> AppResult<PaymentRow> {
    let reason = parse_reason(reason)?;
    policy::may_administer(tx.actor().viewer)?;
    let payment = find(tx, id).await?.ok_or(AppError::NotFound("payment"))?;
    let to = payment.status.refund()?;
    let now = now();
    let refunded: Option<PaymentRow> = with_conn!(&mut **tx, |c| {
        diesel::update(
            payments::table
                .filter(payments::id.eq(id))
                .filter(payments::status.eq(PaymentStatus::Succeeded)),
        )
        .set((
            payments::status.eq(to),
            payments::refund_reason.eq(Some(reason)),
            payments::refunded_at.eq(Some(now)),
            payments::updated_at.eq(now),
        ))
        .returning(PaymentRow::as_returning())
        .get_result(c)
        .await
        .optional()
    })?;
    let refunded = refunded.ok_or_else(|| AppError::InvalidState("the payment changed meanwhile".into()))?;
    let bill = bills::find_by_ids(tx, &[refunded.bill_id])
        .await?
        .pop()
        .ok_or(AppError::NotFound("bill"))?;
    let change = BillChange {
        status: Some(bill.status.refund()?),
        refunded_at: Some(now),
        updated_at: Some(now),
        ..Default::default()
    };
    bills::change(tx, bill.id, BillStatus::Paid, &change)
        .await?
        .ok_or_else(|| AppError::InvalidState("the bill changed meanwhile".into()))?;
    Ok(refunded)
}

/// The `settle_payment` job: a card payment still PENDING a minute after its intent (its request crashed or timed out) is settled by asking the provider under its key.
pub async fn settle_job(state: &AppState, payload: Value) -> AppResult<()> {
    let id = payload["id"]
        .as_str()
        .and_then(PaymentId::parse_uuid)
        .ok_or_else(|| AppError::internal("settle_payment: no payment id"))?;
    let payment = {
        let mut conn = state.pool.get().await?;
        find(&mut conn, id).await?
    };
    let Some(payment) = payment.filter(|p| p.status == PaymentStatus::Pending) else {
        return Ok(());
    };
    let amount = crate::money::Money::stored(payment.amount_minor, &payment.currency)?;
    let outcome = provider::for_method(payment.method)
        .lookup(Charge {
            key: &payment.idempotency_key,
            amount,
            card_token: payment.card_token.as_deref(),
        })
        .await;
    record_outcome(state, Actor::default(), payment, outcome).await?;
    Ok(())
}

/// What a list of payments is narrowed to.
#[derive(Debug, Default, Clone)]
pub struct PaymentFilter {
    /// Only this status.
    pub status: Option<PaymentStatus>,
    /// Only this bill's.
    pub bill_id: Option<BillId>,
}

/// A page of the payments the viewer may see, newest first.
pub async fn list(
    conn: &mut Conn,
    viewer: Viewer,
    filter: &PaymentFilter,
    args: &PageArgs,
    with_total: bool,
) -> AppResult<(Vec<PaymentRow>, i64)> {
    let after = args.after_time::<PaymentId>()?;
    Ok(with_conn!(conn, |c| {
        let build = || {
            let mut q = payments_visible_to!(payments::table.into_boxed(), viewer);
            if let Some(status) = filter.status {
                q = q.filter(payments::status.eq(status));
            }
            if let Some(bill) = filter.bill_id {
                q = q.filter(payments::bill_id.eq(bill));
            }
            q
        };
        newest_first_page!(
            c,
            build,
            payments::created_at,
            payments::id,
            PaymentRow,
            after,
            args.fetch(),
            with_total
        )
    })?)
}

/// The payments of these bills, newest first (behind `Bill.payments`, for viewers who may see the bill).
pub async fn of_bills(conn: &mut Conn, bills: &[BillId]) -> AppResult<Vec<PaymentRow>> {
    Ok(with_conn!(conn, |c| {
        payments::table
            .filter(payments::bill_id.eq_any(bills))
            .order((payments::created_at.desc(), payments::id.desc()))
            .select(PaymentRow::as_select())
            .load(c)
            .await
    })?)
}

/// The payments among `ids` the viewer may see, in one statement.
pub async fn find_visible_many(
    conn: &mut Conn,
    viewer: Viewer,
    ids: &[PaymentId],
) -> AppResult<Vec<PaymentRow>> {
    Ok(with_conn!(conn, |c| {
        payments_visible_to!(payments::table.into_boxed(), viewer)
            .filter(payments::id.eq_any(ids))
            .select(PaymentRow::as_select())
            .load(c)
            .await
    })?)
}
