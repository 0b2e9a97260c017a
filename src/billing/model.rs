//! Bills and payments: rows, the pure rules of their statuses, and the
//! arithmetic of lines, subtotal, tax and total.

use std::sync::LazyLock;

use diesel::prelude::*;

use crate::db::schema::{bill_lines, bills, payments};
use crate::db::types::Timestamp;
use crate::db::{BillId, ContractId, PaymentId, ServiceRequestId, UserId};
use crate::error::{AppError, AppResult};
use crate::money::{Currency, Money, MoneyError, parse_fixed};
use crate::text::line;

crate::text_enum! {
    /// Where a bill stands.
    pub enum BillStatus {
        /// Being written; no number yet, not shown to the payer.
        Draft = "DRAFT",
        /// Sent to the payer with its number; payable.
        Issued = "ISSUED",
        /// Paid.
        Paid = "PAID",
        /// Cancelled after issuing; its number stays taken.
        Void = "VOID",
        /// Paid, then refunded.
        Refunded = "REFUNDED",
    }
}

impl BillStatus {
    /// Issue: `DRAFT` → `ISSUED`.
    pub fn issue(self) -> AppResult<Self> {
        self.require(&[Self::Draft], "issue").map(|_| Self::Issued)
    }

    /// A payment succeeded: `ISSUED` → `PAID`.
    pub fn pay(self) -> AppResult<Self> {
        self.require(&[Self::Issued], "pay").map(|_| Self::Paid)
    }

    /// Void: `ISSUED` → `VOID`.
    pub fn void(self) -> AppResult<Self> {
        self.require(&[Self::Issued], "void").map(|_| Self::Void)
    }

    /// Its payment was refunded: `PAID` → `REFUNDED`.
    pub fn refund(self) -> AppResult<Self> {
        self.require(&[Self::Paid], "refund").map(|_| Self::Refunded)
    }

    /// Changing or deleting a bill: drafts only.
    pub fn check_draft(self) -> AppResult<()> {
        self.require(&[Self::Draft], "change")
    }

    fn require(self, from: &[Self], action: &str) -> AppResult<()> {
        if from.contains(&self) {
            Ok(())
        } else {
            Err(AppError::InvalidState(format!(
                "cannot {action} a bill that is {}",
                self.as_str()
            )))
        }
    }
}

crate::text_enum! {
    /// Where a payment stands.
    pub enum PaymentStatus {
        /// Asked for; the outcome is not known yet (a bank transfer waiting for an admin, or a card charge under way).
        Pending = "PENDING",
        /// The money arrived.
        Succeeded = "SUCCEEDED",
        /// Declined or failed (`failureReason`); the bill stays payable.
        Failed = "FAILED",
        /// Paid back.
        Refunded = "REFUNDED",
    }
}

impl PaymentStatus {
    /// The outcome arrived: `PENDING` → `SUCCEEDED` or `FAILED`.
    pub fn settle(self, to: PaymentStatus) -> AppResult<Self> {
        if self == Self::Pending && matches!(to, Self::Succeeded | Self::Failed) {
            Ok(to)
        } else {
            Err(AppError::InvalidState(format!(
                "cannot settle a payment that is {}",
                self.as_str()
            )))
        }
    }

    /// Pay back: `SUCCEEDED` → `REFUNDED`.
    pub fn refund(self) -> AppResult<Self> {
        if self == Self::Succeeded {
            Ok(Self::Refunded)
        } else {
            Err(AppError::InvalidState(format!(
                "cannot refund a payment that is {}",
                self.as_str()
            )))
        }
    }
}

crate::text_enum! {
    /// How a bill is paid.
    pub enum PaymentMethod {
        /// A card, through the card provider (`cardToken`).
        Card = "CARD",
        /// A bank transfer: pending until an admin confirms it arrived.
        BankTransfer = "BANK_TRANSFER",
    }
}

/// A `bills` row.
#[derive(Queryable, Selectable, Identifiable, Insertable, Debug, Clone)]
#[diesel(table_name = bills)]
pub struct BillRow {
    /// Id.
    pub id: BillId,
    /// `{PREFIX}-{YEAR}-{SEQ}`, once issued.
    pub number: Option<String>,
    /// Status.
    pub status: BillStatus,
    /// The client who pays.
    pub payer_id: UserId,
    /// Who is paid (null: the platform).
    pub issuer_id: Option<UserId>,
    /// Who drafted it (null: the platform).
    pub author_id: Option<UserId>,
    /// The contract billed.
    pub contract_id: Option<ContractId>,
    /// The service request billed.
    pub service_request_id: Option<ServiceRequestId>,
    /// Currency of every amount.
    pub currency: String,
    /// Sum of the lines.
    pub subtotal_minor: i64,
    /// Tax rate in hundredths of a percent.
    pub tax_rate_bp: i32,
    /// Tax.
    pub tax_minor: i64,
    /// Subtotal plus tax.
    pub total_minor: i64,
    /// Due.
    pub due_at: Timestamp,
    /// Issued.
    pub issued_at: Option<Timestamp>,
    /// Paid.
    pub paid_at: Option<Timestamp>,
    /// Voided.
    pub voided_at: Option<Timestamp>,
    /// Why it was voided.
    pub void_reason: Option<String>,
    /// Refunded.
    pub refunded_at: Option<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl BillRow {
    /// An amount of this bill.
    pub fn money(&self, minor: i64) -> AppResult<Money> {
        Money::stored(minor, &self.currency)
    }
}

/// A `bill_lines` row.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = bill_lines)]
pub struct BillLineRow {
    /// The bill.
    pub bill_id: BillId,
    /// Order, from 0.
    pub position: i32,
    /// What is billed.
    pub description: String,
    /// Quantity in thousandths.
    pub quantity_milli: i64,
    /// Unit price, minor units.
    pub unit_price_minor: i64,
    /// Quantity × unit price, rounded.
    pub amount_minor: i64,
}

/// A `payments` row.
#[derive(Queryable, Selectable, Identifiable, Insertable, Debug, Clone)]
#[diesel(table_name = payments)]
pub struct PaymentRow {
    /// Id.
    pub id: PaymentId,
    /// The bill paid.
    pub bill_id: BillId,
    /// Who pays.
    pub payer_id: UserId,
    /// The bill's total when asked.
    pub amount_minor: i64,
    /// Its currency.
    pub currency: String,
    /// How.
    pub method: PaymentMethod,
    /// The card token (cards only).
    pub card_token: Option<String>,
    /// Status.
    pub status: PaymentStatus,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// The provider's reference.
    pub provider_reference: Option<String>,
    /// The payer's idempotency key.
    pub idempotency_key: String,
    /// What was asked under the key.
    pub fingerprint: String,
    /// Why it was refunded.
    pub refund_reason: Option<String>,
    /// Asked.
    pub created_at: Timestamp,
    /// Succeeded or failed.
    pub settled_at: Option<Timestamp>,
    /// Refunded.
    pub refunded_at: Option<Timestamp>,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// Most lines on one bill.
pub const MAX_LINES: usize = 100;
/// Largest quantity, in thousandths (one million units).
const MAX_QUANTITY_MILLI: i64 = 1_000_000_000;

/// A line as written by a client: description, quantity and unit price as decimal text.
#[derive(Debug, Clone)]
pub struct LineInput {
    /// What is billed.
    pub description: String,
    /// How many, up to three decimals.
    pub quantity: String,
    /// Price of one, in the bill's currency.
    pub unit_price: String,
}

/// A line with its amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    /// What is billed.
    pub description: String,
    /// Quantity in thousandths.
    pub quantity_milli: i64,
    /// Unit price.
    pub unit_price: Money,
    /// Quantity × unit price, rounded half away from zero.
    pub amount: Money,
}

/// A bill's lines and totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// The lines.
    pub lines: Vec<PricedLine>,
    /// Sum of the line amounts.
    pub subtotal: Money,
    /// Subtotal × rate, rounded half away from zero.
    pub tax: Money,
    /// Subtotal + tax.
    pub total: Money,
}

/// The field names of line `i` (`lines.1.unitPrice`): made once, so errors can name them with a `'static` field.
static LINE_FIELDS: LazyLock<Vec<[&'static str; 3]>> = LazyLock::new(|| {
    (0..MAX_LINES)
        .map(|i| {
            [
                &*Box::leak(format!("lines.{i}.description").into_boxed_str()),
                &*Box::leak(format!("lines.{i}.quantity").into_boxed_str()),
                &*Box::leak(format!("lines.{i}.unitPrice").into_boxed_str()),
            ]
        })
        .collect()
});

fn money_error(field: &'static str) -> impl Fn(MoneyError) -> AppError {
    move |e| e.at(field)
}

/// A tax rate: a percent with up to two decimals, 0 to 100; in hundredths of a percent.
pub fn parse_tax_rate(raw: &str) -> AppResult<i32> {
    parse_fixed(raw, 2)
        .filter(|bp| *bp <= 10_000)
        .and_then(|bp| i32::try_from(bp).ok())
        .ok_or_else(|| AppError::bad_input("taxRate", "a percent from 0 to 100 with at most two decimals"))
}

/// Check and price the lines, then the totals, all in `currency`.
pub fn price(currency: Currency, lines: &[LineInput], tax_rate_bp: i32) -> AppResult<Totals> {
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(AppError::bad_input(
            "lines",
            format!("give 1 to {MAX_LINES} lines"),
        ));
    }
    let mut priced = Vec::with_capacity(lines.len());
    let mut subtotal = Money::zero(currency);
    for (input, [description, quantity, unit_price]) in lines.iter().zip(LINE_FIELDS.iter()) {
        let description = line(&input.description, description, 200, false)?;
        let quantity_milli = parse_fixed(&input.quantity, 3)
            .filter(|q| (1..=MAX_QUANTITY_MILLI).contains(q))
            .ok_or_else(|| {
                AppError::bad_input(
                    quantity,
                    "more than 0, at most 1000000, with at most three decimals",
                )
            })?;
        let unit = Money::parse(&input.unit_price, currency.code()).map_err(money_error(unit_price))?;
        let amount = unit
            .times_milli(quantity_milli)
            .map_err(money_error(unit_price))?;
        subtotal = subtotal.checked_add(amount).map_err(money_error("lines"))?;
        priced.push(PricedLine {
            description,
            quantity_milli,
            unit_price: unit,
            amount,
        });
    }
    let tax = subtotal
        .percent(i64::from(tax_rate_bp))
        .map_err(money_error("taxRate"))?;
    let total = subtotal.checked_add(tax).map_err(money_error("lines"))?;
    Ok(Totals {
        lines: priced,
        subtotal,
        tax,
        total,
    })
}

/// A bill number: `{prefix}-{year}-{seq}`, the sequence zero-padded to six.
pub fn bill_number(prefix: &str, year: i32, seq: i64) -> String {
    format!("{prefix}-{year}-{seq:06}")
}

/// A reason (voiding, failing, refunding): trimmed, 1 to 1000 characters.
pub fn parse_reason(raw: &str) -> AppResult<String> {
    crate::text::bounded(raw, "reason", 1000, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_of(quantity: &str, unit_price: &str) -> LineInput {
        LineInput {
            description: "Work".into(),
            quantity: quantity.into(),
            unit_price: unit_price.into(),
        }
    }

    #[test]
    fn lines_subtotal_tax_and_total() {
        let totals = price(
            Currency::EUR,
            &[
                line_of("1.5", "0.33"),
                line_of("2", "10.00"),
                line_of("0.333", "3"),
            ],
            1900,
        )
        .map_err(|e| e.to_string());
        let Ok(totals) = totals else {
            panic!("{totals:?}");
        };
        // 0.495 → 0.50; 20.00; 0.999 → 1.00; subtotal 21.50; 19 % = 4.085 → 4.09
        let amounts: Vec<i64> = totals.lines.iter().map(|l| l.amount.minor()).collect();
        assert_eq!(amounts, [50, 2000, 100]);
        assert_eq!(totals.subtotal.minor(), 2150);
        assert_eq!(totals.tax.minor(), 409);
        assert_eq!(totals.total.minor(), 2559);
    }

    #[test]
    fn bad_lines_name_their_field() {
        let field = |lines: &[LineInput], rate| match price(Currency::EUR, lines, rate) {
            Err(AppError::BadInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(&[], 0), "lines");
        assert_eq!(
            field(&[line_of("1", "1"), line_of("0", "1")], 0),
            "lines.1.quantity"
        );
        assert_eq!(field(&[line_of("1.0001", "1")], 0), "lines.0.quantity");
        assert_eq!(field(&[line_of("1", "-1")], 0), "lines.0.unitPrice");
        assert_eq!(field(&[line_of("1", "1.001")], 0), "lines.0.unitPrice");
        let blank = LineInput {
            description: " ".into(),
            ..line_of("1", "1")
        };
        assert_eq!(
            field(&[line_of("1", "1"), line_of("1", "1"), blank], 0),
            "lines.2.description"
        );
        assert!(parse_tax_rate("100.01").is_err() && parse_tax_rate("7.125").is_err());
        assert_eq!(parse_tax_rate("19.5").ok(), Some(1950));
    }

    #[test]
    fn statuses_and_numbers() {
        use BillStatus::{Draft, Issued, Paid, Void};
        assert_eq!(Draft.issue().ok(), Some(Issued));
        assert_eq!(Issued.pay().ok(), Some(Paid));
        assert_eq!(Issued.void().ok(), Some(Void));
        assert_eq!(Paid.refund().ok(), Some(BillStatus::Refunded));
        for s in [Issued, Paid, Void, BillStatus::Refunded] {
            assert!(s.issue().is_err() && s.check_draft().is_err());
        }
        assert!(Paid.void().is_err() && Void.pay().is_err() && Draft.pay().is_err());
        assert_eq!(bill_number("AG", 2026, 42), "AG-2026-000042");
        use PaymentStatus::{Failed, Pending, Succeeded};
        assert_eq!(Pending.settle(Succeeded).ok(), Some(Succeeded));
        assert!(Failed.settle(Succeeded).is_err() && Pending.settle(PaymentStatus::Refunded).is_err());
        assert_eq!(Succeeded.refund().ok(), Some(PaymentStatus::Refunded));
        assert!(Pending.refund().is_err());
    }
}
