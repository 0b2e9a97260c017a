//! The deliverer: a task that sends the outbox.
//!
//! Each round claims up to [`BATCH`] due messages with one conditional
//! `UPDATE` (a lease in `locked_until`, so instances sharing the database do
//! not send the same message at once; a lease left by a crashed instance
//! runs out), sends them without holding a connection, and records each
//! outcome: `sent_at` and the bodies erased (they carry single-use links); for
//! a transient failure (a 4xx reply, SMTP unreachable) `attempts`,
//! `last_error` and the next attempt after an exponential backoff
//! (`MAIL_RETRY_BASE`, doubling, at most [`MAX_BACKOFF`]); for a permanent
//! one (a 5xx reply other than an authentication failure, or a message that
//! cannot be built, like a recipient lettre refuses) `failed_at`, the error
//! and the bodies erased: a failed message is never claimed again. Delivery
//! is at least once: a crash between the send and its record sends again.
//!
//! Sent and failed messages are pruned by `crate::background`.
//!
//! It sleeps until the next retry is due, a change wakes it
//! (`crate::tx::Signal`), or [`POLL`] passes (mail committed by another
//! instance).

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailConfig;
use crate::db::MailId;
use crate::db::now;
use crate::db::schema::mail_outbox;
use crate::db::types::Timestamp;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::with_conn;

/// Messages claimed per round.
const BATCH: i64 = 20;
/// How long a claim keeps other instances off a message.
const LEASE: Duration = Duration::from_secs(120);
/// The longest wait between two attempts at one message.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// The longest sleep between rounds.
const POLL: Duration = Duration::from_secs(30);
/// The longest error text kept.
const MAX_ERROR_CHARS: usize = 1000;

/// A claimed message.
#[derive(Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
struct Claimed {
    id: MailId,
    recipient: String,
    subject: String,
    text_body: Option<String>,
    html_body: Option<String>,
    attempts: i32,
}

/// Why an attempt did not send.
enum Failure {
    /// Worth another attempt later: a 4xx reply, SMTP unreachable, this
    /// server's authentication refused.
    Transient(String),
    /// Never going through: the server refused the message for good (a 5xx
    /// reply), or no message can be built for it.
    Permanent(String),
}

/// SMTP reply codes of an authentication problem (RFC 4954: required, too
/// weak, credentials refused, encryption required). They are permanent, but
/// they are the operator's configuration, not the message's: once it is
/// fixed the message should go, so they are retried like transient ones.
const AUTHENTICATION_CODES: [u16; 4] = [530, 534, 535, 538];

impl Failure {
    /// Classify a failed SMTP send.
    fn of_smtp(error: &lettre::transport::smtp::Error) -> Self {
        let code = error.status().map(u16::from);
        if error.is_permanent() && !code.is_some_and(|code| AUTHENTICATION_CODES.contains(&code)) {
            Failure::Permanent(error.to_string())
        } else {
            Failure::Transient(error.to_string())
        }
    }
}

/// Where mail goes.
enum Transport {
    /// An SMTP server (`SMTP_URL`).
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// The log (development without `SMTP_URL`).
    Log,
}

impl Transport {
    fn new(config: &MailConfig) -> AppResult<Self> {
        match &config.smtp_url {
            Some(url) => Ok(Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(AppError::internal)?
                    .build(),
            )),
            None => Ok(Transport::Log),
        }
    }

    async fn send(&self, from: &Mailbox, mail: &Claimed) -> Result<(), Failure> {
        let (Some(text), Some(html)) = (&mail.text_body, &mail.html_body) else {
            return Err(Failure::Permanent("the message has no body".to_owned()));
        };
        match self {
            Transport::Smtp(smtp) => {
                let to: Mailbox = mail
                    .recipient
                    .parse()
                    .map_err(|e| Failure::Permanent(format!("recipient {:?}: {e}", mail.recipient)))?;
                // The outbox id makes the Message-ID: a repeated send (at
                // least once) carries the same one, so mail clients merge them.
                let message = Message::builder()
                    .message_id(Some(format!("<{}@{}>", mail.id, from.email.domain())))
                    .from(from.clone())
                    .to(to)
                    .subject(mail.subject.as_str())
                    .multipart(MultiPart::alternative_plain_html(text.clone(), html.clone()))
                    .map_err(|e| Failure::Permanent(e.to_string()))?;
                smtp.send(message)
                    .await
                    .map(drop)
                    .map_err(|e| Failure::of_smtp(&e))
            }
            Transport::Log => {
                tracing::info!(
                    to = %mail.recipient,
                    subject = %mail.subject,
                    body = %text,
                    "mail not sent (no SMTP_URL): logged instead"
                );
                Ok(())
            }
        }
    }
}

/// The wait after the `attempts`-th failure.
fn backoff(base: Duration, attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(20);
    base.saturating_mul(1 << doublings).min(MAX_BACKOFF)
}

/// Start delivering; runs as long as the runtime.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let transport = match Transport::new(&state.config.mail) {
            Ok(transport) => transport,
            Err(err) => {
                tracing::error!(error = %err.message(), "mail deliverer cannot start");
                return;
            }
        };
        loop {
            let wait = match round(&state, &transport).await {
                Ok(next_due) => next_due.map_or(POLL, |due| until(due).min(POLL)),
                Err(err) => {
                    tracing::warn!(code = err.code(), "mail round failed; retrying");
                    state.config.mail.retry_base.min(POLL)
                }
            };
            tokio::select! {
                () = state.mail.woken() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    })
}

fn until(t: Timestamp) -> Duration {
    (t.0 - now().0).to_std().unwrap_or(Duration::ZERO)
}

/// Claim, send and record one batch; then the time the next pending message
/// (neither sent nor failed) is due, if any.
async fn round(state: &AppState, transport: &Transport) -> AppResult<Option<Timestamp>> {
    loop {
        let claimed = claim(state).await?;
        let full = claimed.len() == usize::try_from(BATCH).unwrap_or(usize::MAX);
        for mail in claimed {
            let outcome = transport.send(&state.config.mail.from, &mail).await;
            record(state, &mail, outcome).await?;
        }
        if !full {
            break;
        }
    }
    let mut conn = state.pool.get().await?;
    Ok(with_conn!(&mut conn, |c| {
        mail_outbox::table
            .filter(mail_outbox::sent_at.is_null())
            .filter(mail_outbox::failed_at.is_null())
            .order(mail_outbox::next_attempt_at)
            .select(mail_outbox::next_attempt_at)
            .first::<Timestamp>(c)
            .await
            .optional()
    })?)
}

/// Lease up to [`BATCH`] due, unclaimed messages to this instance: pick
/// them, then claim each one still claimable (another instance may have
/// taken some in between; the condition is checked again by the `UPDATE`).
async fn claim(state: &AppState) -> AppResult<Vec<Claimed>> {
    let now = now();
    let mut conn = state.pool.get().await?;
    let due: Vec<MailId> = with_conn!(&mut conn, |c| {
        mail_outbox::table
            .filter(claimable(now))
            .order(mail_outbox::next_attempt_at)
            .select(mail_outbox::id)
            .limit(BATCH)
            .load(c)
            .await
    })?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    Ok(with_conn!(&mut conn, |c| {
        diesel::update(
            mail_outbox::table
                .filter(mail_outbox::id.eq_any(&due))
                .filter(claimable(now)),
        )
        .set(mail_outbox::locked_until.eq(Some(now.plus(LEASE))))
        .returning(Claimed::as_returning())
        .get_results(c)
        .await
    })?)
}

/// Neither sent nor failed, due at `now`, and not leased to anyone.
#[diesel::dsl::auto_type]
fn claimable(now: Timestamp) -> _ {
    mail_outbox::sent_at
        .is_null()
        .and(mail_outbox::failed_at.is_null())
        .and(mail_outbox::next_attempt_at.le(now))
        .and(
            mail_outbox::locked_until
                .is_null()
                .or(mail_outbox::locked_until.lt(now)),
        )
}

/// Store how an attempt ended.
async fn record(state: &AppState, mail: &Claimed, outcome: Result<(), Failure>) -> AppResult<()> {
    let now = now();
    let attempts = mail.attempts.saturating_add(1);
    let mut conn = state.pool.get().await?;
    let target = mail_outbox::table.find(mail.id);
    match outcome {
        Ok(()) => {
            tracing::debug!(id = %mail.id, attempts, "mail sent");
            with_conn!(&mut conn, |c| {
                diesel::update(target)
                    .set((
                        mail_outbox::attempts.eq(attempts),
                        mail_outbox::sent_at.eq(Some(now)),
                        mail_outbox::locked_until.eq(None::<Timestamp>),
                        mail_outbox::text_body.eq(None::<String>),
                        mail_outbox::html_body.eq(None::<String>),
                    ))
                    .execute(c)
                    .await
            })?;
        }
        Err(Failure::Permanent(error)) => {
            tracing::warn!(id = %mail.id, attempts, %error, "mail refused for good; not retried");
            let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
            with_conn!(&mut conn, |c| {
                diesel::update(target)
                    .set((
                        mail_outbox::attempts.eq(attempts),
                        mail_outbox::last_error.eq(Some(&error)),
                        mail_outbox::failed_at.eq(Some(now)),
                        mail_outbox::locked_until.eq(None::<Timestamp>),
                        mail_outbox::text_body.eq(None::<String>),
                        mail_outbox::html_body.eq(None::<String>),
                    ))
                    .execute(c)
                    .await
            })?;
        }
        Err(Failure::Transient(error)) => {
            let retry_in = backoff(state.config.mail.retry_base, attempts);
            tracing::warn!(id = %mail.id, attempts, retry_in_s = retry_in.as_secs(), %error, "mail not sent; will retry");
            let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
            with_conn!(&mut conn, |c| {
                diesel::update(target)
                    .set((
                        mail_outbox::attempts.eq(attempts),
                        mail_outbox::last_error.eq(Some(&error)),
                        mail_outbox::next_attempt_at.eq(now.plus(retry_in)),
                        mail_outbox::locked_until.eq(None::<Timestamp>),
                    ))
                    .execute(c)
                    .await
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 4), Duration::from_secs(240));
        assert_eq!(backoff(base, 8), MAX_BACKOFF);
        assert_eq!(backoff(base, i32::MAX), MAX_BACKOFF);
    }
}
