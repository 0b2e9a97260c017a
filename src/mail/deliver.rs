//! Sending the outbox, one job per message (`deliver_mail`, queued with
//! the message in the change's transaction by [`super::enqueue`]).
//!
//! The job sends its message without holding a connection and records the
//! outcome on the outbox row: `sent_at` and the bodies erased (they carry
//! single-use links); for a transient failure (a 4xx reply, SMTP
//! unreachable) `attempts` and `last_error`, and the job fails, so the queue
//! retries it with its backoff (`JOB_RETRY_BASE`, doubling, at most an hour)
//! for [`MAX_ATTEMPTS`] attempts: weeks, so an operator's SMTP outage or
//! misconfiguration delays mail without losing it; for a permanent one (a 5xx
//! reply other than an authentication failure, or a message that cannot be
//! built, like a recipient lettre refuses) `failed_at`, the error and the
//! bodies erased, and the job is done: a failed message is never sent.
//! Delivery is at least once: a crash between the send and its record sends
//! again (the queue's lease lapses and another worker runs the job).
//!
//! Sent and failed messages are pruned by the retention run.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailConfig;
use crate::db::schema::mail_outbox;
use crate::db::{MailId, TypedId, now};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::with_conn;

/// The job kind that sends one message.
pub const DELIVER_JOB: &str = "deliver_mail";
/// Attempts a message gets: with the queue's backoff capped at an hour, about six weeks of retrying.
pub const MAX_ATTEMPTS: i32 = 1000;
/// The longest error text kept.
const MAX_ERROR_CHARS: usize = 1000;

/// A message to send.
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

/// The job of [`DELIVER_JOB`]: send the message named in `payload`, unless it was sent or failed already; a transient failure fails the job (it is retried).
pub async fn deliver(state: &AppState, payload: serde_json::Value) -> AppResult<()> {
    let id = payload["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .map(MailId::from_uuid)
        .ok_or_else(|| AppError::internal("a mail job without a message id"))?;
    let pending: Option<Claimed> = with_conn!(&mut state.pool.get().await?, |c| {
        mail_outbox::table
            .find(id)
            .filter(mail_outbox::sent_at.is_null())
            .filter(mail_outbox::failed_at.is_null())
            .select(Claimed::as_select())
            .first(c)
            .await
            .optional()
    })?;
    let Some(mail) = pending else {
        return Ok(());
    };
    let outcome = state.mailer.send(&state.config.mail.from, &mail).await;
    record(state, &mail, outcome).await
}

/// Why an attempt did not send.
enum Failure {
    /// Worth another attempt later: a 4xx reply, SMTP unreachable, this server's authentication refused.
    Transient(String),
    /// Never going through: the server refused the message for good (a 5xx reply), or no message can be built for it.
    Permanent(String),
}

/// SMTP reply codes of an authentication problem (RFC 4954: required, too weak, credentials refused, encryption required). They are permanent, but they are the operator's configuration, not the message's: once it is fixed the message should go, so they are retried like transient ones.
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

/// Where mail goes; built once per application (`AppState::mailer`).
pub enum Transport {
    /// An SMTP server (`SMTP_URL`).
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// The log (development without `SMTP_URL`).
    Log,
}

impl Transport {
    /// The transport `config` names (`SMTP_URL`, or the log).
    pub fn new(config: &MailConfig) -> AppResult<Self> {
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
                        mail_outbox::text_body.eq(None::<String>),
                        mail_outbox::html_body.eq(None::<String>),
                    ))
                    .execute(c)
                    .await
            })?;
        }
        Err(Failure::Transient(error)) => {
            tracing::warn!(id = %mail.id, attempts, %error, "mail not sent; will retry");
            let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
            with_conn!(&mut conn, |c| {
                diesel::update(target)
                    .set((
                        mail_outbox::attempts.eq(attempts),
                        mail_outbox::last_error.eq(Some(&error)),
                    ))
                    .execute(c)
                    .await
            })?;
            return Err(AppError::Unavailable(format!("SMTP: {error}")));
        }
    }
    Ok(())
}
