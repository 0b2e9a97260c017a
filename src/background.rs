//! What runs in the background: the job kinds this application handles
//! ([`handlers`]), the recurring ones ([`schedules`]), and starting the
//! workers (which send the mail too) and the scheduler. It lives above the areas,
//! so that the queue (`jobs`) and the base modules need not know them.

use std::time::Duration;

use crate::accounts::captcha;
use crate::accounts::email_links::{recovery, tokens as email_tokens};
use crate::audit;
use crate::auth::throttle;
use crate::billing::payments;
use crate::db::now;
use crate::db::types::Timestamp;
use crate::error::{AppError, AppResult};
use crate::jobs::admin as jobs_admin;
use crate::jobs::schedule::{self, Schedule};
use crate::jobs::worker::{self, Handler, Handlers, Workers};
use crate::mail;
use crate::sessions::queries as sessions;
use crate::state::AppState;

/// How long sent and failed messages (without their bodies), expired tokens and ended sessions are kept.
pub const RETENTION: Duration = Duration::from_secs(30 * 86_400);
/// How long succeeded and cancelled jobs are kept: longer than the scheduler's catch-up window, so a fire time that ran is not run again.
pub const JOB_RETENTION: Duration = Duration::from_secs(60 * 86_400);
/// The job kind of the retention run (schedule `retention`).
pub const RETENTION_JOB: &str = "retention";

/// Every job kind and its handler.
pub fn handlers() -> Handlers {
    let reset_mail: Handler = |run, payload| Box::pin(recovery::mail_reset_link(run.state, payload));
    let retention: Handler = |run, _| Box::pin(prune(run.state));
    let mail: Handler = |run, payload| Box::pin(mail::deliver::deliver(run.state, payload));
    let settle: Handler = |run, payload| Box::pin(payments::settle_job(run.state, payload));
    Handlers::new(&[
        (recovery::RESET_MAIL_JOB, reset_mail),
        (RETENTION_JOB, retention),
        (mail::deliver::DELIVER_JOB, mail),
        (payments::SETTLE_JOB, settle),
    ])
}

/// The recurring jobs, as configured (`SCHEDULE_<NAME>`; `off` ones left out).
pub fn schedules(state: &AppState) -> Vec<Schedule> {
    state
        .config
        .schedules
        .entries
        .iter()
        .filter_map(|(name, cron)| {
            let kind = match *name {
                "retention" => RETENTION_JOB,
                _ => return None,
            };
            cron.clone().map(|cron| Schedule { name, kind, cron })
        })
        .collect()
}

/// Start this instance's background work: the scheduler and the job workers (stop the workers with [`Workers::shutdown`]).
pub fn start(state: &AppState) -> Workers {
    schedule::spawn(state.clone(), schedules(state));
    worker::spawn(state, handlers())
}

fn ago(age: Duration) -> AppResult<Timestamp> {
    let age = chrono::Duration::from_std(age).map_err(AppError::internal)?;
    Ok(Timestamp(now().0 - age))
}

/// The retention run: forget sent and failed mail, expired tokens, ended sessions ([`RETENTION`]), expired captchas and sign-in counters, audit events past `AUDIT_RETENTION`, and finished jobs ([`JOB_RETENTION`]).
pub async fn prune(state: &AppState) -> AppResult<()> {
    let before = ago(RETENTION)?;
    let mut conn = state.pool.get().await?;
    let conn = &mut conn;
    let mail = mail::prune_finished(conn, before).await?;
    let tokens = email_tokens::prune_expired(conn, before).await?;
    let sessions = sessions::prune_ended(conn, before).await?;
    let captchas = captcha::prune_expired(conn).await?;
    let counters = throttle::prune_expired(conn, state.config.login_throttle.lockout).await?;
    let audit = audit::prune(conn, ago(state.config.audit_retention)?).await?;
    let jobs = jobs_admin::prune_finished(conn, ago(JOB_RETENTION)?).await?;
    tracing::info!(
        mail,
        tokens,
        sessions,
        captchas,
        counters,
        audit,
        jobs,
        "retention run"
    );
    Ok(())
}
