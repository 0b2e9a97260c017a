//! Mail that is never lost: a transactional outbox.
//!
//! A change that sends mail renders the message ([`templates`]) and
//! [`enqueue`]s it in its own transaction, with the job that sends it, so
//! both exist exactly when the change commits. The job ([`deliver`]) sends
//! the message over SMTP, or writes it to the log when no `SMTP_URL` is set
//! (development), and records every attempt. A send that fails for the
//! moment is retried with backoff until it goes through: SMTP being down
//! delays mail, it never drops it. A message the server refuses for good (a
//! 5xx reply), or one that cannot be built, is marked failed and not tried
//! again.

pub mod deliver;
pub mod templates;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::MailId;
use crate::db::schema::mail_outbox;
use crate::db::types::Timestamp;
use crate::db::{Conn, now};
use crate::error::AppResult;
use crate::jobs::{self, NewJob};
use crate::tx::Tx;
use crate::with_conn;

pub use templates::Mail;

crate::text_enum! {
    /// Which message an outbox row holds.
    pub enum MailKind {
        /// The email verification link (sign-up, resend).
        VerifyEmail = "VERIFY_EMAIL",
        /// The password reset link.
        ResetPassword = "RESET_PASSWORD",
        /// The link confirming a new login address.
        ConfirmEmailChange = "CONFIRM_EMAIL_CHANGE",
        /// The notice to the old address after an email change.
        EmailChanged = "EMAIL_CHANGED",
        /// To a professional: an admin rejected their verification.
        ProfessionalRejected = "PROFESSIONAL_REJECTED",
        /// To a professional: a service request is theirs (assigned or claimed).
        RequestAssignedToProfessional = "REQUEST_ASSIGNED_TO_PROFESSIONAL",
        /// To a client: a professional will do their service request.
        RequestAssignedToClient = "REQUEST_ASSIGNED_TO_CLIENT",
        /// To a professional: an admin took a service request back from them.
        RequestUnassigned = "REQUEST_UNASSIGNED",
        /// To the assigned professional: the service request was cancelled.
        RequestCancelled = "REQUEST_CANCELLED",
        /// To the professional: the client marked the service request completed.
        RequestCompleted = "REQUEST_COMPLETED",
        /// To a payer: a bill was issued to them.
        BillIssued = "BILL_ISSUED",
        /// To a payer: a bill was voided.
        BillVoided = "BILL_VOIDED",
        /// To a payer: the receipt of a payment.
        PaymentReceipt = "PAYMENT_RECEIPT",
        /// To an issuer: a bill of theirs was paid.
        BillPaid = "BILL_PAID",
    }
}

/// A new `mail_outbox` row.
#[derive(Insertable)]
#[diesel(table_name = mail_outbox)]
struct NewOutboxMail<'a> {
    id: MailId,
    kind: MailKind,
    recipient: &'a str,
    subject: &'a str,
    text_body: Option<&'a str>,
    html_body: Option<&'a str>,
    created_at: Timestamp,
}

/// Put `mail` in the outbox, inside the caller's transaction, with the job that sends it (due at once; the workers are woken by the commit).
pub async fn enqueue(tx: &mut Tx<'_>, mail: &Mail) -> AppResult<()> {
    let now = now();
    let row = NewOutboxMail {
        id: MailId::new(),
        kind: mail.kind,
        recipient: &mail.to,
        subject: &mail.subject,
        text_body: Some(&mail.text),
        html_body: Some(&mail.html),
        created_at: now,
    };
    with_conn!(&mut **tx, |c| {
        diesel::insert_into(mail_outbox::table)
            .values(&row)
            .execute(c)
            .await
    })?;
    let mut send = NewJob::new(
        deliver::DELIVER_JOB,
        serde_json::json!({ "id": row.id.to_string() }),
    )
    .unique(format!("mail:{}", row.id));
    send.max_attempts = deliver::MAX_ATTEMPTS;
    jobs::enqueue(tx, send).await?;
    Ok(())
}

/// Drop every message to `address`, sent or not (account deletion).
pub async fn forget_recipient(conn: &mut Conn, address: &str) -> AppResult<()> {
    with_conn!(conn, |c| {
        diesel::delete(mail_outbox::table.filter(mail_outbox::recipient.eq(address)))
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Drop messages sent, or failed for good, before `before` (the retention run).
pub async fn prune_finished(conn: &mut Conn, before: Timestamp) -> AppResult<usize> {
    Ok(with_conn!(conn, |c| {
        diesel::delete(
            mail_outbox::table.filter(
                mail_outbox::sent_at
                    .lt(before)
                    .or(mail_outbox::failed_at.lt(before)),
            ),
        )
        .execute(c)
        .await
    })?)
}
