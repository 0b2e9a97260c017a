//! Mail that is never lost: a transactional outbox.
//!
//! A change that sends mail renders the message ([`templates`]) and
//! [`enqueue`]s it in its own transaction, so the message exists exactly
//! when the change commits; the commit then wakes the deliverer
//! ([`Effect::WakeMailDeliverer`]). The deliverer ([`deliver`]) sends what is due over
//! SMTP, or writes it to the log when no `SMTP_URL` is set (development),
//! and records every attempt. A send that fails for the moment is retried
//! with backoff until it goes through: SMTP being down delays mail, it never
//! drops it. A message the server refuses for good (a 5xx reply), or one
//! that cannot be built, is marked failed and not tried again.

pub mod deliver;
pub mod templates;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::MailId;
use crate::db::schema::mail_outbox;
use crate::db::types::Timestamp;
use crate::db::{Conn, now};
use crate::error::AppResult;
use crate::tx::{Effect, Tx};
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
    next_attempt_at: Timestamp,
}

/// Put `mail` in the outbox, inside the caller's transaction; it is due at
/// once, and the deliverer is woken when the transaction commits.
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
        next_attempt_at: now,
    };
    with_conn!(&mut **tx, |c| {
        diesel::insert_into(mail_outbox::table)
            .values(&row)
            .execute(c)
            .await
    })?;
    tx.after_commit(Effect::WakeMailDeliverer);
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

/// Drop messages sent, or failed for good, before `before` (the deliverer's
/// retention).
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
