//! Billing in the schema: `Bill`, `BillLine`, `Payment`, the lists, the
//! summary, and the mutations.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject, Union};

use super::loader::{BillLinesLoader, BillLoader, BillPaymentsLoader};
use super::model::{BillLineRow, BillRow, BillStatus, LineInput, PaymentMethod, PaymentRow, PaymentStatus};
use super::ops::{self, BillChanges, NewBillCommand};
use super::payments::{self, PayCommand, PaymentFilter};
use super::queries::{self, BillFilter, BillRole, BillSubjectKind};
use crate::accounts::users::graphql::{User, load_user};
use crate::auth::{Role, RoleGuard, require_viewer, viewer};
use crate::contracts::graphql::Contract;
use crate::contracts::loader::VisibleContractLoader;
use crate::db::keyset::PageArgs;
use crate::db::types::Timestamp;
use crate::db::{BillId, PaymentId, UserId};
use crate::error::{AppError, AppResult};
use crate::graphql::context::{actor, global, id_arg, require_id, state, write};
use crate::graphql::loader;
use crate::graphql::pagination::{Page, page, wants_total};
use crate::graphql::scalars::DateTime;
use crate::money::fixed_text;
use crate::money::graphql::{Decimal, Money};
use crate::service_requests::graphql::ServiceRequest;
use crate::service_requests::loader::VisibleRequestLoader;

/// A bill: what a payer owes an issuer (or the platform), in one currency. Seen by its author and admins while a draft; once issued, by its payer and issuer too.
pub struct Bill(pub BillRow);

/// What a bill is for.
#[derive(Union)]
pub enum BillSubject {
    /// A contract.
    Contract(Contract),
    /// A service request.
    ServiceRequest(ServiceRequest),
}

/// One line of a bill.
pub struct BillLine(BillLineRow, String);

/// One line of a bill.
#[Object]
impl BillLine {
    /// What is billed.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// How many, with three decimals ("1.500").
    async fn quantity(&self) -> Decimal {
        Decimal(fixed_text(self.0.quantity_milli, 3))
    }

    /// The price of one.
    async fn unit_price(&self) -> async_graphql::Result<Money> {
        Ok(crate::money::Money::stored(self.0.unit_price_minor, &self.1)?.into())
    }

    /// Quantity × unit price, rounded half away from zero to the minor unit.
    async fn amount(&self) -> async_graphql::Result<Money> {
        Ok(crate::money::Money::stored(self.0.amount_minor, &self.1)?.into())
    }
}

fn money(bill: &BillRow, minor: i64) -> async_graphql::Result<Money> {
    Ok(bill.money(minor)?.into())
}

/// A bill: what a payer owes an issuer (or the platform), in one currency. Seen by its author and admins while a draft; once issued, by its payer and issuer too.
#[Object]
impl Bill {
    /// Stable id.
    pub(crate) async fn id(&self) -> ID {
        global(self.0.id)
    }

    /// `{PREFIX}-{YEAR}-{SEQ}`, given when issued (gap-free per year); `null` for drafts.
    async fn number(&self) -> Option<&str> {
        self.0.number.as_deref()
    }

    /// Where it stands.
    async fn status(&self) -> BillStatus {
        self.0.status
    }

    /// The client who pays.
    async fn payer(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        load_user(ctx, self.0.payer_id).await
    }

    /// The freelancer or professional who is paid; `null` when the platform bills.
    async fn issuer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.0.issuer_id {
            Some(id) => Ok(Some(load_user(ctx, id).await?)),
            None => Ok(None),
        }
    }

    /// The contract or service request billed; `null` for a manual bill.
    async fn subject(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<BillSubject>> {
        if let Some(id) = self.0.contract_id {
            let row = loader::<VisibleContractLoader>(ctx)?.load_one(id).await?;
            return Ok(row.map(|r| BillSubject::Contract(Contract(r))));
        }
        if let Some(id) = self.0.service_request_id {
            let row = loader::<VisibleRequestLoader>(ctx)?.load_one(id).await?;
            return Ok(row.map(|r| BillSubject::ServiceRequest(ServiceRequest(r))));
        }
        Ok(None)
    }

    /// The lines, in order.
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<BillLine>> {
        let lines = loader::<BillLinesLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(lines
            .into_iter()
            .map(|l| BillLine(l, self.0.currency.clone()))
            .collect())
    }

    /// The sum of the line amounts.
    async fn subtotal(&self) -> async_graphql::Result<Money> {
        money(&self.0, self.0.subtotal_minor)
    }

    /// The tax rate, a percent with two decimals ("19.00").
    async fn tax_rate(&self) -> Decimal {
        Decimal(fixed_text(i64::from(self.0.tax_rate_bp), 2))
    }

    /// Subtotal × tax rate, rounded half away from zero to the minor unit.
    async fn tax(&self) -> async_graphql::Result<Money> {
        money(&self.0, self.0.tax_minor)
    }

    /// Subtotal + tax.
    async fn total(&self) -> async_graphql::Result<Money> {
        money(&self.0, self.0.total_minor)
    }

    /// ISO 4217 code of every amount.
    async fn currency(&self) -> &str {
        &self.0.currency
    }

    /// When it was issued.
    async fn issued_at(&self) -> Option<DateTime> {
        self.0.issued_at.map(|t| t.0.into())
    }

    /// When it is due.
    async fn due_at(&self) -> DateTime {
        self.0.due_at.0.into()
    }

    /// When it was paid.
    async fn paid_at(&self) -> Option<DateTime> {
        self.0.paid_at.map(|t| t.0.into())
    }

    /// When it was voided.
    async fn voided_at(&self) -> Option<DateTime> {
        self.0.voided_at.map(|t| t.0.into())
    }

    /// Why it was voided.
    async fn void_reason(&self) -> Option<&str> {
        self.0.void_reason.as_deref()
    }

    /// Its payments, newest first (failed ones included).
    async fn payments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Payment>> {
        let rows = loader::<BillPaymentsLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(Payment).collect())
    }

    /// When it was drafted.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.0.into()
    }
}

/// A payment of a bill. Seen by its payer, the bill's issuer and admins.
pub struct Payment(pub PaymentRow);

/// A payment of a bill. Seen by its payer, the bill's issuer and admins.
#[Object]
impl Payment {
    /// Stable id.
    pub(crate) async fn id(&self) -> ID {
        global(self.0.id)
    }

    /// The bill paid.
    async fn bill(&self, ctx: &Context<'_>) -> async_graphql::Result<Bill> {
        let bill = loader::<BillLoader>(ctx)?.load_one(self.0.bill_id).await?;
        Ok(Bill(bill.ok_or(AppError::NotFound("bill"))?))
    }

    /// Who pays.
    async fn payer(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        load_user(ctx, self.0.payer_id).await
    }

    /// The bill's total when the payment was asked for.
    async fn amount(&self) -> async_graphql::Result<Money> {
        Ok(crate::money::Money::stored(self.0.amount_minor, &self.0.currency)?.into())
    }

    /// How.
    async fn method(&self) -> PaymentMethod {
        self.0.method
    }

    /// Where it stands.
    async fn status(&self) -> PaymentStatus {
        self.0.status
    }

    /// Why it failed: `CARD_DECLINED`, `INSUFFICIENT_FUNDS`, `PROCESSING_ERROR`, or an admin's words for a bank transfer that never came.
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }

    /// The provider's reference of a successful charge.
    async fn provider_reference(&self) -> Option<&str> {
        self.0.provider_reference.as_deref()
    }

    /// When it was asked for.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.0.into()
    }

    /// When it succeeded or failed.
    async fn settled_at(&self) -> Option<DateTime> {
        self.0.settled_at.map(|t| t.0.into())
    }
}

/// Totals per currency (one `Money` per currency with bills).
#[derive(SimpleObject, Default)]
pub struct BillingSummary {
    /// `ISSUED` bills not paid yet.
    pub outstanding: Vec<Money>,
    /// `ISSUED` bills past their due date (part of `outstanding`).
    pub overdue: Vec<Money>,
    /// `PAID` bills.
    pub paid: Vec<Money>,
}

/// A line of a bill to write.
#[derive(InputObject, Clone)]
pub struct BillLineInput {
    /// What is billed, 1 to 200 characters.
    pub description: String,
    /// How many: more than 0, up to three decimals ("1.5").
    pub quantity: Decimal,
    /// The price of one, in the bill's currency, 0 or more.
    pub unit_price: Decimal,
}

fn lines(input: Vec<BillLineInput>) -> Vec<LineInput> {
    input
        .into_iter()
        .map(|l| LineInput {
            description: l.description,
            quantity: l.quantity.0,
            unit_price: l.unit_price.0,
        })
        .collect()
}

/// A bill to draft: for a contract, a service request, or (admins) neither, with a payer.
#[derive(InputObject)]
pub struct CreateBillInput {
    /// The client who pays (manual bills by admins; otherwise the subject's client).
    pub payer_id: Option<ID>,
    /// Your ACTIVE or COMPLETED contract (freelancers; admins).
    pub contract_id: Option<ID>,
    /// Your COMPLETED service request (professionals; admins).
    pub service_request_id: Option<ID>,
    /// ISO 4217 code: the contract's or the service's currency.
    pub currency: String,
    /// 1 to 100 lines.
    pub lines: Vec<BillLineInput>,
    /// Tax rate, a percent from 0 to 100 with at most two decimals (default 0).
    pub tax_rate: Option<Decimal>,
    /// When it is due: after today.
    pub due_at: DateTime,
}

/// Changes to a draft; omitted fields stay as they are.
#[derive(InputObject, Default)]
pub struct UpdateBillInput {
    /// New lines, replacing the old (1 to 100).
    pub lines: Option<Vec<BillLineInput>>,
    /// New tax rate.
    pub tax_rate: Option<Decimal>,
    /// New due date, after today.
    pub due_at: Option<DateTime>,
}

/// A payment to make.
#[derive(InputObject)]
pub struct PayBillInput {
    /// The bill (ISSUED).
    pub bill_id: ID,
    /// How.
    pub method: PaymentMethod,
    /// For `CARD`: a test card token (`tok_visa`, `tok_mastercard` succeed; `tok_chargeDeclined`, `tok_insufficientFunds`, `tok_processingError` fail).
    pub card_token: Option<String>,
    /// Your key for this payment (a UUID you make): a retry with the same key and the same input answers the same payment, never a second charge.
    pub idempotency_key: String,
}

/// Narrows a list of bills.
#[derive(InputObject, Default)]
pub struct BillFilterInput {
    /// Only this status.
    pub status: Option<BillStatus>,
    /// Only bills you pay, or are paid by.
    pub role: Option<BillRole>,
    /// Paid by this user.
    pub payer_id: Option<ID>,
    /// Paid to this user.
    pub issuer_id: Option<ID>,
    /// For this kind of subject.
    pub subject_kind: Option<BillSubjectKind>,
    /// Issued at or after.
    pub issued_after: Option<DateTime>,
    /// Issued before.
    pub issued_before: Option<DateTime>,
    /// `true`: only ISSUED bills past due; `false`: all others.
    pub overdue: Option<bool>,
}

/// Narrows a list of payments.
#[derive(InputObject, Default)]
pub struct PaymentFilterInput {
    /// Only this status.
    pub status: Option<PaymentStatus>,
    /// Only this bill's.
    pub bill_id: Option<ID>,
}

fn user_id(id: &ID, field: &'static str) -> AppResult<UserId> {
    require_id(id, field, "user")
}

/// Billing queries.
#[derive(Default)]
pub struct BillingQuery;

#[Object]
impl BillingQuery {
    /// Bills you may see, newest first.
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "crate::graphql::pagination::cost(first, child_complexity)"
    )]
    async fn bills(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last bill seen.")] after: Option<String>,
        #[graphql(desc = "What to narrow the list to.")] filter: Option<BillFilterInput>,
    ) -> async_graphql::Result<Page<Bill>> {
        let args = PageArgs::new(first, after, queries::ORDER)?;
        let input = filter.unwrap_or_default();
        let filter = BillFilter {
            status: input.status,
            role: input.role,
            payer_id: input
                .payer_id
                .map(|id| user_id(&id, "filter.payerId"))
                .transpose()?,
            issuer_id: input
                .issuer_id
                .map(|id| user_id(&id, "filter.issuerId"))
                .transpose()?,
            subject_kind: input.subject_kind,
            issued_after: input.issued_after.map(|t| Timestamp(t.0)),
            issued_before: input.issued_before.map(|t| Timestamp(t.0)),
            overdue: input.overdue,
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let (rows, total) =
            queries::list(&mut conn, require_viewer(ctx)?, &filter, &args, wants_total(ctx)).await?;
        drop(conn);
        super::prefetch_graphql::bills(ctx, &rows).await?;
        Ok(page(
            &args,
            queries::ORDER,
            rows,
            |r| (r.created_at.micros(), r.id),
            total,
            Bill,
        ))
    }

    /// One bill; `null` when there is none or you may not see it.
    async fn bill(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Bill>> {
        let (Some(viewer), Some(id)) = (viewer(ctx), id_arg::<BillId>(&id, "id")?) else {
            return Ok(None);
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        Ok(queries::find_visible(&mut conn, viewer, id).await?.map(Bill))
    }

    /// Payments you may see (yours, those of bills you issued; admins: all), newest first.
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "crate::graphql::pagination::cost(first, child_complexity)"
    )]
    async fn payments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last payment seen.")] after: Option<String>,
        #[graphql(desc = "What to narrow the list to.")] filter: Option<PaymentFilterInput>,
    ) -> async_graphql::Result<Page<Payment>> {
        let args = PageArgs::new(first, after, payments::ORDER)?;
        let input = filter.unwrap_or_default();
        let filter = PaymentFilter {
            status: input.status,
            bill_id: input
                .bill_id
                .map(|id| require_id::<BillId>(&id, "filter.billId", "bill"))
                .transpose()?,
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let (rows, total) =
            payments::list(&mut conn, require_viewer(ctx)?, &filter, &args, wants_total(ctx)).await?;
        Ok(page(
            &args,
            payments::ORDER,
            rows,
            |r| (r.created_at.micros(), r.id),
            total,
            Payment,
        ))
    }

    /// Outstanding, overdue and paid totals per currency of the bills you pay; admins may ask about any user.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn billing_summary(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whose (admins); yourself when omitted.")] user_id: Option<ID>,
    ) -> async_graphql::Result<BillingSummary> {
        let viewer = require_viewer(ctx)?;
        let whose = match user_id {
            Some(id) => require_id::<UserId>(&id, "userId", "user")?,
            None => viewer.user_id,
        };
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let summary = ops::summary(&mut conn, viewer, whose).await?;
        let wire = |amounts: Vec<crate::money::Money>| amounts.into_iter().map(Money::from).collect();
        Ok(BillingSummary {
            outstanding: wire(summary.outstanding),
            overdue: wire(summary.overdue),
            paid: wire(summary.paid),
        })
    }
}

/// Billing mutations.
#[derive(Default)]
pub struct BillingMutation;

fn bill_id(id: &ID) -> AppResult<BillId> {
    require_id(id, "id", "bill")
}

fn payment_id(id: &ID) -> AppResult<PaymentId> {
    require_id(id, "id", "payment")
}

#[Object]
impl BillingMutation {
    /// Draft a bill (`DRAFT`, no number yet; not shown to the payer). Give `contractId` (its freelancer: ACTIVE or COMPLETED) or `serviceRequestId` (its professional: COMPLETED) or, admins only, neither with `payerId`. Errors: `FORBIDDEN`, `NOT_FOUND`, `INVALID_STATE`, `BAD_USER_INPUT` (`currency`, `lines`, `lines.N.description|quantity|unitPrice`, `taxRate`, `dueAt`, `payerId`).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn create_bill(&self, ctx: &Context<'_>, input: CreateBillInput) -> async_graphql::Result<Bill> {
        let command = NewBillCommand {
            payer_id: input.payer_id.map(|id| user_id(&id, "payerId")).transpose()?,
            contract_id: input
                .contract_id
                .map(|id| require_id(&id, "contractId", "contract"))
                .transpose()?,
            service_request_id: input
                .service_request_id
                .map(|id| require_id(&id, "serviceRequestId", "service request"))
                .transpose()?,
            currency: input.currency,
            lines: lines(input.lines),
            tax_rate: input.tax_rate.map_or_else(|| "0".to_owned(), |d| d.0),
            due_at: input.due_at.into(),
        };
        Ok(Bill(write(ctx, async |tx| ops::create(tx, command).await).await?))
    }

    /// Change a draft (its author or an admin). Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE` (not `DRAFT`), `BAD_USER_INPUT`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn update_bill(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateBillInput,
    ) -> async_graphql::Result<Bill> {
        let id = bill_id(&id)?;
        let changes = BillChanges {
            lines: input.lines.map(lines),
            tax_rate: input.tax_rate.map(|d| d.0),
            due_at: input.due_at.map(Into::into),
        };
        Ok(Bill(
            write(ctx, async |tx| ops::update(tx, id, changes).await).await?,
        ))
    }

    /// Delete a draft (its author or an admin); answers its id. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn delete_bill(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let id = bill_id(&id)?;
        Ok(global(write(ctx, async |tx| ops::delete(tx, id).await).await?))
    }

    /// Issue a draft (its author or an admin): it gets the next number of the year, gap-free, and the payer is mailed. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn issue_bill(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Bill> {
        let id = bill_id(&id)?;
        Ok(Bill(write(ctx, async |tx| ops::issue(tx, id).await).await?))
    }

    /// Void an ISSUED bill with no payment pending or made (its author or an admin); its number stays taken and the payer is mailed. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`, `BAD_USER_INPUT` (`reason`).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn void_bill(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "Why, 1 to 1000 characters.")] reason: String,
    ) -> async_graphql::Result<Bill> {
        let id = bill_id(&id)?;
        Ok(Bill(
            write(ctx, async |tx| ops::void(tx, id, &reason).await).await?,
        ))
    }

    /// Pay an ISSUED bill (its payer). A declined or failed card is answered as the payment with status `FAILED` and its `failureReason` (no error); pay again with a new key. A bank transfer stays `PENDING` until an admin confirms it. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE` (not ISSUED, or a payment pending or succeeded), `CONFLICT` (field `idempotencyKey`: used for another payment), `BAD_USER_INPUT` (`idempotencyKey`, `cardToken`).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn pay_bill(&self, ctx: &Context<'_>, input: PayBillInput) -> async_graphql::Result<Payment> {
        let command = PayCommand {
            bill_id: require_id(&input.bill_id, "billId", "bill")?,
            method: input.method,
            card_token: input.card_token,
            idempotency_key: input.idempotency_key,
        };
        Ok(Payment(payments::pay(state(ctx)?, actor(ctx), command).await?))
    }

    /// A PENDING bank transfer arrived (admins): it succeeds and the bill is PAID. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn confirm_payment(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Payment> {
        let id = payment_id(&id)?;
        Ok(Payment(
            write(ctx, async |tx| payments::confirm(tx, id).await).await?,
        ))
    }

    /// A PENDING bank transfer never came (admins): it fails, the bill stays payable. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`, `BAD_USER_INPUT`.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn fail_payment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "What happened, 1 to 1000 characters.")] reason: String,
    ) -> async_graphql::Result<Payment> {
        let id = payment_id(&id)?;
        Ok(Payment(
            write(ctx, async |tx| payments::fail(tx, id, &reason).await).await?,
        ))
    }

    /// Refund a SUCCEEDED payment (admins): it and its bill become REFUNDED. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_STATE`, `BAD_USER_INPUT`.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn refund_payment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "Why, 1 to 1000 characters.")] reason: String,
    ) -> async_graphql::Result<Payment> {
        let id = payment_id(&id)?;
        Ok(Payment(
            write(ctx, async |tx| payments::refund(tx, id, &reason).await).await?,
        ))
    }

    /// A sample ISSUED bill to you (clients), to try paying with the test cards; only when the server has `DEMO_BILLS` on. Errors: `FORBIDDEN`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn create_demo_bill(&self, ctx: &Context<'_>) -> async_graphql::Result<Bill> {
        Ok(Bill(write(ctx, async |tx| ops::demo(tx).await).await?))
    }
}
