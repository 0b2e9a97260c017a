//! Bill workflows: drafting (for a contract, a service request, or by an
//! admin for anyone), changing and deleting drafts, issuing with a
//! gap-free number, voiding, and the demo bill. Each runs in the caller's
//! transaction; statuses move with a conditional update.

use chrono::{DateTime, Datelike, Utc};

use super::model::{
    BillLineRow, BillRow, BillStatus, LineInput, Totals, bill_number, parse_reason, parse_tax_rate, price,
};
use super::policy::{self, BillAction};
use super::queries::{self, BillChange};
use crate::accounts::users::queries as users;
use crate::auth::Role;
use crate::catalogue::queries as catalogue;
use crate::contracts::model::ContractStatus;
use crate::contracts::queries as contracts;
use crate::db::types::Timestamp;
use crate::db::{BillId, ContractId, ServiceRequestId, TypedId, UserId, now};
use crate::error::{AppError, AppResult};
use crate::mail::MailKind;
use crate::money::{Currency, Money};
use crate::service_requests::model::ServiceRequestStatus;
use crate::service_requests::queries as requests;
use crate::tx::Tx;

/// A bill to draft.
#[derive(Debug, Clone)]
pub struct NewBillCommand {
    /// The payer (manual bills by admins; otherwise taken from the subject).
    pub payer_id: Option<UserId>,
    /// The contract billed.
    pub contract_id: Option<ContractId>,
    /// The service request billed.
    pub service_request_id: Option<ServiceRequestId>,
    /// The currency (the subject's).
    pub currency: String,
    /// The lines.
    pub lines: Vec<LineInput>,
    /// Tax rate, a percent (`"19"`, `"7.5"`).
    pub tax_rate: String,
    /// When it is due (after today).
    pub due_at: DateTime<Utc>,
}

/// Changes to a draft (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct BillChanges {
    /// New lines, replacing the old.
    pub lines: Option<Vec<LineInput>>,
    /// New tax rate.
    pub tax_rate: Option<String>,
    /// New due date.
    pub due_at: Option<DateTime<Utc>>,
}

/// Who pays and who is paid, from the subject.
struct Parties {
    payer: UserId,
    issuer: Option<UserId>,
    currency: Option<Currency>,
}

fn currency(raw: &str) -> AppResult<Currency> {
    Currency::parse(raw.trim()).map_err(|e| e.at("currency"))
}

/// A due date after today (in `BILLING_TIMEZONE`).
fn due(tx: &Tx<'_>, at: DateTime<Utc>) -> AppResult<Timestamp> {
    let tz = tx.state().config.billing.timezone;
    if at.with_timezone(&tz).date_naive() <= Utc::now().with_timezone(&tz).date_naive() {
        return Err(AppError::bad_input("dueAt", "must be after today"));
    }
    let at = Timestamp(at);
    Ok(Timestamp::from_micros(at.micros()).unwrap_or(at))
}

/// The parties of a bill for the subject the command names.
async fn parties(tx: &mut Tx<'_>, cmd: &NewBillCommand) -> AppResult<Parties> {
    let viewer = policy::may_draft(tx.actor().viewer)?;
    match (cmd.contract_id, cmd.service_request_id) {
        (Some(_), Some(_)) => Err(AppError::bad_input(
            "serviceRequestId",
            "give contractId or serviceRequestId, not both",
        )),
        (Some(id), None) => {
            let contract = contracts::find_visible(tx, viewer, id)
                .await?
                .ok_or(AppError::NotFound("contract"))?;
            if !viewer.role.is_admin() && contract.freelancer_id != viewer.user_id {
                return Err(AppError::forbidden("only the contract's freelancer bills it"));
            }
            if !matches!(
                contract.status,
                ContractStatus::Active | ContractStatus::Completed
            ) {
                return Err(AppError::InvalidState(format!(
                    "cannot bill a contract that is {}",
                    contract.status.as_str()
                )));
            }
            Ok(Parties {
                payer: contract.client_id,
                issuer: Some(contract.freelancer_id),
                currency: Some(contract.amount()?.currency()),
            })
        }
        (None, Some(id)) => {
            let request = requests::find_visible(tx, viewer, id)
                .await?
                .ok_or(AppError::NotFound("service request"))?;
            let professional = request
                .professional_id
                .filter(|p| viewer.role.is_admin() || *p == viewer.user_id)
                .ok_or_else(|| AppError::forbidden("only the request's professional bills it"))?;
            if request.status != ServiceRequestStatus::Completed {
                return Err(AppError::InvalidState(format!(
                    "cannot bill a service request that is {}",
                    request.status.as_str()
                )));
            }
            let service = catalogue::find_by_ids(tx, &[request.service_id])
                .await?
                .pop()
                .ok_or(AppError::NotFound("service"))?;
            Ok(Parties {
                payer: request.client_id,
                issuer: Some(professional),
                currency: Some(service.base_price()?.currency()),
            })
        }
        (None, None) => {
            policy::may_administer(Some(viewer))
                .map_err(|_| AppError::bad_input("contractId", "give contractId or serviceRequestId"))?;
            let payer = cmd
                .payer_id
                .ok_or_else(|| AppError::bad_input("payerId", "give the client who pays"))?;
            let client = users::find_live(tx, payer)
                .await?
                .filter(|u| u.role == Role::Client)
                .ok_or_else(|| AppError::bad_input("payerId", "not a client"))?;
            Ok(Parties {
                payer: client.id,
                issuer: None,
                currency: None,
            })
        }
    }
}

fn line_rows(bill: BillId, totals: &Totals) -> Vec<BillLineRow> {
    totals
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| BillLineRow {
            bill_id: bill,
            position: i32::try_from(i).unwrap_or(i32::MAX),
            description: line.description.clone(),
            quantity_milli: line.quantity_milli,
            unit_price_minor: line.unit_price.minor(),
            amount_minor: line.amount.minor(),
        })
        .collect()
}

/// Draft a bill (`DRAFT`, no number). Errors: `FORBIDDEN`, `NOT_FOUND`, `INVALID_STATE` (the subject's status), `BAD_USER_INPUT` (`currency`, `lines`, `lines.N.*`, `taxRate`, `dueAt`, `payerId`).
pub async fn create(tx: &mut Tx<'_>, cmd: NewBillCommand) -> AppResult<BillRow> {
    let viewer = tx.viewer()?;
    let currency = currency(&cmd.currency)?;
    let tax_rate_bp = parse_tax_rate(&cmd.tax_rate)?;
    let totals = price(currency, &cmd.lines, tax_rate_bp)?;
    let due_at = due(tx, cmd.due_at)?;
    let parties = parties(tx, &cmd).await?;
    if cmd.payer_id.is_some_and(|payer| payer != parties.payer) {
        return Err(AppError::bad_input(
            "payerId",
            "the payer of a contract or service request is its client: leave payerId out",
        ));
    }
    if let Some(expected) = parties.currency
        && expected != currency
    {
        return Err(AppError::bad_input(
            "currency",
            format!("bill in {}, the currency of what is billed", expected.code()),
        ));
    }
    let now = now();
    let row = BillRow {
        id: BillId::new(),
        number: None,
        status: BillStatus::Draft,
        payer_id: parties.payer,
        issuer_id: parties.issuer,
        author_id: Some(viewer.user_id),
        contract_id: cmd.contract_id,
        service_request_id: cmd.service_request_id,
        currency: currency.code().to_owned(),
        subtotal_minor: totals.subtotal.minor(),
        tax_rate_bp,
        tax_minor: totals.tax.minor(),
        total_minor: totals.total.minor(),
        due_at,
        issued_at: None,
        paid_at: None,
        voided_at: None,
        void_reason: None,
        refunded_at: None,
        created_at: now,
        updated_at: now,
    };
    let bill = queries::insert(tx, &row).await?;
    queries::set_lines(tx, bill.id, &line_rows(bill.id, &totals)).await?;
    Ok(bill)
}

/// The bill `id` if the viewer may take `action` on it: `NOT_FOUND` when they may not see it, `FORBIDDEN` when they may only see it.
pub async fn acting_on(tx: &mut Tx<'_>, id: BillId, action: BillAction) -> AppResult<BillRow> {
    let viewer = tx.viewer()?;
    let bill = queries::find_visible(tx, viewer, id)
        .await?
        .ok_or(AppError::NotFound("bill"))?;
    policy::may(Some(viewer), action, &bill)?;
    Ok(bill)
}

fn moved(row: Option<BillRow>) -> AppResult<BillRow> {
    row.ok_or_else(|| AppError::InvalidState("the bill changed meanwhile; try again".into()))
}

/// Change a draft (its author or an admin).
pub async fn update(tx: &mut Tx<'_>, id: BillId, cmd: BillChanges) -> AppResult<BillRow> {
    let bill = acting_on(tx, id, BillAction::Manage).await?;
    bill.status.check_draft()?;
    let currency = bill.money(0)?.currency();
    let mut change = BillChange {
        updated_at: Some(now()),
        ..Default::default()
    };
    if let Some(at) = cmd.due_at {
        change.due_at = Some(due(tx, at)?);
    }
    let tax_rate_bp = match &cmd.tax_rate {
        Some(rate) => parse_tax_rate(rate)?,
        None => bill.tax_rate_bp,
    };
    let lines = match cmd.lines {
        Some(lines) => lines,
        None => queries::lines_of(tx, &[id])
            .await?
            .into_iter()
            .map(|l| LineInput {
                description: l.description,
                quantity: crate::money::fixed_text(l.quantity_milli, 3),
                unit_price: Money::new(l.unit_price_minor, currency).amount_text(),
            })
            .collect(),
    };
    let totals = price(currency, &lines, tax_rate_bp)?;
    change.tax_rate_bp = Some(tax_rate_bp);
    change.subtotal_minor = Some(totals.subtotal.minor());
    change.tax_minor = Some(totals.tax.minor());
    change.total_minor = Some(totals.total.minor());
    let row = moved(queries::change(tx, id, BillStatus::Draft, &change).await?)?;
    queries::set_lines(tx, id, &line_rows(id, &totals)).await?;
    Ok(row)
}

/// Delete a draft (its author or an admin).
pub async fn delete(tx: &mut Tx<'_>, id: BillId) -> AppResult<BillId> {
    let bill = acting_on(tx, id, BillAction::Manage).await?;
    bill.status.check_draft()?;
    queries::delete(tx, id).await?;
    Ok(id)
}

/// Issue a draft: it takes the next number of the year (in `BILLING_TIMEZONE`) in this transaction, and the payer is mailed.
pub async fn issue(tx: &mut Tx<'_>, id: BillId) -> AppResult<BillRow> {
    let bill = acting_on(tx, id, BillAction::Manage).await?;
    issue_row(tx, &bill).await
}

async fn issue_row(tx: &mut Tx<'_>, bill: &BillRow) -> AppResult<BillRow> {
    let to = bill.status.issue()?;
    let now = now();
    let config = tx.state().config.billing.clone();
    let year = now.0.with_timezone(&config.timezone).year();
    let seq = queries::next_number(tx, year).await?;
    let change = BillChange {
        status: Some(to),
        number: Some(bill_number(&config.number_prefix, year, seq)),
        issued_at: Some(now),
        updated_at: Some(now),
        ..Default::default()
    };
    let row = moved(queries::change(tx, bill.id, BillStatus::Draft, &change).await?)?;
    let total = row.money(row.total_minor)?;
    let message = format!(
        "Bill {} of {} {} is due on {}.",
        row.number.as_deref().unwrap_or_default(),
        total.currency().code(),
        total.amount_text(),
        row.due_at.0.format("%Y-%m-%d")
    );
    notify(tx, row.payer_id, MailKind::BillIssued, &row, &message, "").await?;
    Ok(row)
}

/// Void an issued bill without a payment under way or made (its author or an admin); the number stays taken, and the payer is mailed.
pub async fn void(tx: &mut Tx<'_>, id: BillId, reason: &str) -> AppResult<BillRow> {
    let reason = parse_reason(reason)?;
    let bill = acting_on(tx, id, BillAction::Manage).await?;
    let to = bill.status.void()?;
    if super::payments::live_of(tx, id).await?.is_some() {
        return Err(AppError::InvalidState(
            "a payment of this bill is pending: settle it first".into(),
        ));
    }
    let now = now();
    let change = BillChange {
        status: Some(to),
        voided_at: Some(now),
        void_reason: Some(reason.clone()),
        updated_at: Some(now),
        ..Default::default()
    };
    let row = moved(queries::change(tx, id, BillStatus::Issued, &change).await?)?;
    let message = format!(
        "Bill {} was voided: you owe nothing on it.",
        row.number.as_deref().unwrap_or_default()
    );
    notify(tx, row.payer_id, MailKind::BillVoided, &row, &message, &reason).await?;
    Ok(row)
}

/// A sample `ISSUED` bill to the signed-in client, from the platform (when `DEMO_BILLS` is on; `FORBIDDEN` otherwise).
pub async fn demo(tx: &mut Tx<'_>) -> AppResult<BillRow> {
    if !tx.state().config.billing.demo_bills {
        return Err(AppError::forbidden("demo bills are off on this server"));
    }
    let viewer = tx.viewer()?;
    if viewer.role != Role::Client {
        return Err(AppError::forbidden("demo bills are for clients"));
    }
    let lines = vec![
        LineInput {
            description: "Consulting session".into(),
            quantity: "1.5".into(),
            unit_price: "80.00".into(),
        },
        LineInput {
            description: "Travel".into(),
            quantity: "1".into(),
            unit_price: "15.00".into(),
        },
    ];
    let totals = price(Currency::EUR, &lines, 1900)?;
    let now = now();
    let row = BillRow {
        id: BillId::new(),
        number: None,
        status: BillStatus::Draft,
        payer_id: viewer.user_id,
        issuer_id: None,
        author_id: None,
        contract_id: None,
        service_request_id: None,
        currency: "EUR".into(),
        subtotal_minor: totals.subtotal.minor(),
        tax_rate_bp: 1900,
        tax_minor: totals.tax.minor(),
        total_minor: totals.total.minor(),
        due_at: Timestamp(now.0 + chrono::TimeDelta::days(14)),
        issued_at: None,
        paid_at: None,
        voided_at: None,
        void_reason: None,
        refunded_at: None,
        created_at: now,
        updated_at: now,
    };
    let bill = queries::insert(tx, &row).await?;
    queries::set_lines(tx, bill.id, &line_rows(bill.id, &totals)).await?;
    issue_row(tx, &bill).await
}

/// A payer's totals per currency, each list in currency order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// `ISSUED` bills not paid yet.
    pub outstanding: Vec<Money>,
    /// `ISSUED` bills past their due date (part of `outstanding`).
    pub overdue: Vec<Money>,
    /// `PAID` bills.
    pub paid: Vec<Money>,
}

/// The billing summary of `whose` (the viewer's own, or anyone's for admins: `FORBIDDEN` otherwise).
pub async fn summary(
    conn: &mut crate::db::Conn,
    viewer: crate::auth::Viewer,
    whose: UserId,
) -> AppResult<Summary> {
    if whose != viewer.user_id && !viewer.role.is_admin() {
        return Err(AppError::forbidden("only admins see others' billing"));
    }
    let now = now();
    let mut sums: [std::collections::BTreeMap<String, Money>; 3] = Default::default();
    let add = |bucket: &mut std::collections::BTreeMap<String, Money>, amount: Money| -> AppResult<()> {
        let code = amount.currency().code().to_owned();
        let sum = match bucket.get(&code) {
            Some(sum) => sum
                .checked_add(amount)
                .map_err(|e| AppError::internal(e.message()))?,
            None => amount,
        };
        bucket.insert(code, sum);
        Ok(())
    };
    for (currency, status, due, total) in queries::totals_of(conn, whose).await? {
        let amount = Money::stored(total, &currency)?;
        if status == BillStatus::Paid {
            add(&mut sums[2], amount)?;
        } else {
            add(&mut sums[0], amount)?;
            if due < now {
                add(&mut sums[1], amount)?;
            }
        }
    }
    let [outstanding, overdue, paid] = sums.map(|bucket| bucket.into_values().collect());
    Ok(Summary {
        outstanding,
        overdue,
        paid,
    })
}

/// Mail `user` (unless their account is deleted) about `bill`.
pub(super) async fn notify(
    tx: &mut Tx<'_>,
    user: UserId,
    kind: MailKind,
    bill: &BillRow,
    message: &str,
    detail: &str,
) -> AppResult<()> {
    let page = format!("bills/{}", bill.id.to_global());
    crate::accounts::users::ops::notify(tx, user, kind, message, detail, &page).await
}
