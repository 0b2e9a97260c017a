//! Recurring jobs: each fire time of a schedule is enqueued exactly once,
//! however many instances run the scheduler, with no leader.
//!
//! Every instance runs [`spawn`]'s loop. At each [`tick`] it enqueues, for
//! every schedule, the latest fire time at or before now (if within
//! [`CATCH_UP`]) as a job whose unique key is the schedule's name and that
//! fire time: the first instance to insert it wins, the others insert
//! nothing. So after downtime the most recent missed fire time runs once on
//! start (a monthly report missed during a restart is not lost), and ten
//! missed minutes of an every-minute schedule do not run ten times. The
//! loop then sleeps until the next fire time of any schedule (at most a
//! minute). Fire times are computed in `SCHEDULE_TIMEZONE` ([`super::cron`]
//! says how daylight-saving changes are handled).

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;

use super::cron::Cron;
use super::{NewJob, enqueue};
use crate::db::types::Timestamp;
use crate::error::AppResult;
use crate::state::AppState;
use crate::tx::Actor;

/// How far back a missed fire time is still run on start (a month and a bit, so a monthly schedule survives a restart; finished jobs are kept longer, so a fire time that did run is not run again).
pub const CATCH_UP: chrono::Duration = chrono::Duration::days(35);
/// The longest the scheduler sleeps between two ticks.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// A recurring job: a job of `kind` at every fire time of `cron`.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Its name (`SCHEDULE_<NAME>` configures it).
    pub name: &'static str,
    /// The job kind it enqueues.
    pub kind: &'static str,
    /// When it fires.
    pub cron: Cron,
}

/// Enqueue the latest due fire time of each schedule, as of `now`; returns how many jobs this call created (fire times already enqueued, by this instance or another, create none).
pub async fn tick(state: &AppState, schedules: &[Schedule], tz: Tz, now: DateTime<Utc>) -> AppResult<usize> {
    let mut created = 0;
    for schedule in schedules {
        let Some(fire) = schedule.cron.latest_at_or_before(tz, now, CATCH_UP) else {
            continue;
        };
        let mut job = NewJob::new(schedule.kind, json!({ "schedule": schedule.name, "fire": fire }))
            .unique(format!("schedule:{}:{}", schedule.name, fire.to_rfc3339()));
        job.run_at = Some(Timestamp(fire));
        let inserted = state
            .write(Actor::default(), async |tx| enqueue(tx, job).await)
            .await?;
        if inserted.is_some() {
            tracing::info!(schedule = schedule.name, %fire, "scheduled job enqueued");
            created += 1;
        }
    }
    Ok(created)
}

/// Run the scheduler for `schedules` as long as the runtime.
pub fn spawn(state: AppState, schedules: Vec<Schedule>) -> tokio::task::JoinHandle<()> {
    let tz = state.config.schedules.timezone;
    tokio::spawn(async move {
        if schedules.is_empty() {
            return;
        }
        // The latest fire times already enqueued: a wake that finds no new
        // one writes nothing.
        let mut enqueued = Vec::new();
        loop {
            let now = Utc::now();
            let latest: Vec<_> = schedules
                .iter()
                .map(|s| s.cron.latest_at_or_before(tz, now, CATCH_UP))
                .collect();
            if latest != enqueued {
                match tick(&state, &schedules, tz, now).await {
                    Ok(_) => enqueued = latest,
                    Err(err) => {
                        tracing::warn!(code = err.code(), error = %err, "scheduling failed; retrying")
                    }
                }
            }
            let next = schedules.iter().filter_map(|s| s.cron.next_after(tz, now)).min();
            let wait = next
                .and_then(|at| (at - Utc::now()).to_std().ok())
                .map_or(MAX_SLEEP, |wait| wait.min(MAX_SLEEP));
            tokio::time::sleep(wait).await;
        }
    })
}
