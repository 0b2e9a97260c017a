//! Recurring jobs: every fire time is enqueued once across instances, a
//! missed one is caught up once, and the retention run is one of them.

use std::time::Duration;

use agora::background;
use agora::db::{Backend, Pool};
use agora::jobs::cron::Cron;
use agora::jobs::schedule::{Schedule, tick};
use agora::state::AppState;
use chrono::{DateTime, TimeDelta, Utc};

use crate::common::TestApp;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

async fn fire_times(app: &TestApp) -> Vec<String> {
    app.column("SELECT unique_key AS v FROM jobs WHERE kind = 'tick' ORDER BY unique_key")
        .await
        .into_iter()
        .flatten()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn three_schedulers_enqueue_each_fire_time_once_and_catch_up_once() {
    let app = TestApp::new().await;
    let every_minute = vec![Schedule {
        name: "tick",
        kind: "tick",
        cron: "* * * * *".parse::<Cron>().unwrap(),
    }];
    let mut instances = Vec::new();
    for _ in 0..3 {
        let pool = Pool::new(&Backend::from_url(&app.state.config.database_url), 2).unwrap();
        instances.push(AppState::new(pool, (*app.state.config).clone()).unwrap());
    }
    let tz = chrono_tz::Tz::UTC;
    let start = at("2026-11-30T10:00:30Z");
    // Five minutes, each instance ticking four times a minute, all at once.
    for second in (0..300).step_by(15) {
        let now = start + TimeDelta::seconds(second);
        let ticks = instances.iter().map(|state| tick(state, &every_minute, tz, now));
        for created in futures_util::future::join_all(ticks).await {
            created.unwrap();
        }
    }
    let keys = fire_times(&app).await;
    // 10:00:30 to 10:05:15: the fire times 10:00 to 10:05, once each.
    assert_eq!(keys.len(), 6, "{keys:?}");
    assert_eq!(keys[0], "schedule:tick:2026-11-30T10:00:00+00:00");
    assert_eq!(keys[5], "schedule:tick:2026-11-30T10:05:00+00:00");

    // Ten minutes of downtime: on restart, the latest missed minute runs once.
    let restart = start + TimeDelta::minutes(15);
    for state in &instances {
        tick(state, &every_minute, tz, restart).await.unwrap();
    }
    let keys = fire_times(&app).await;
    assert_eq!(keys.len(), 7, "{keys:?}");
    assert_eq!(keys[6], "schedule:tick:2026-11-30T10:15:00+00:00");
    let run_at = app
        .column("SELECT CAST(run_at AS text) AS v FROM jobs WHERE unique_key LIKE '%10:15:00%'")
        .await;
    assert!(run_at[0].as_deref().unwrap().contains("10:15:00"), "{run_at:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_monthly_schedule_missed_during_a_restart_runs_once_and_not_again() {
    let app = TestApp::new().await;
    let monthly = vec![Schedule {
        name: "tick",
        kind: "tick",
        cron: "0 0 1 * *".parse::<Cron>().unwrap(),
    }];
    let tz = chrono_tz::Tz::UTC;
    // Down over midnight on the first; back at 00:07.
    tick(&app.state, &monthly, tz, at("2026-12-01T00:07:00Z"))
        .await
        .unwrap();
    // Restarted again on the 15th: the same fire time, not run again.
    tick(&app.state, &monthly, tz, at("2026-12-15T09:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        fire_times(&app).await,
        ["schedule:tick:2026-12-01T00:00:00+00:00"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_retention_run_is_a_schedule_run_by_the_workers() {
    let app = TestApp::with_mail(&[("SCHEDULE_RETENTION", "* * * * *")]).await;
    for _ in 0..200 {
        let done = app
            .column("SELECT status AS v FROM jobs WHERE kind = 'retention'")
            .await;
        if done.iter().any(|s| s.as_deref() == Some("SUCCEEDED")) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no retention run succeeded");
}

#[tokio::test(flavor = "multi_thread")]
async fn schedules_are_configured_by_variables() {
    let off = TestApp::with_env(&[("SCHEDULE_RETENTION", "off")]).await;
    assert!(background::schedules(&off.state).is_empty());
    let on = TestApp::with_env(&[
        ("SCHEDULE_RETENTION", "0 4 * * mon"),
        ("SCHEDULE_TIMEZONE", "Europe/Berlin"),
    ])
    .await;
    let schedules = background::schedules(&on.state);
    assert_eq!(schedules.len(), 1);
    assert_eq!(schedules[0].cron, "0 4 * * 1".parse::<Cron>().unwrap());
    assert_eq!(on.state.config.schedules.timezone, chrono_tz::Europe::Berlin);
    let default = TestApp::new().await;
    assert_eq!(
        background::schedules(&default.state)[0].cron,
        "30 3 * * *".parse::<Cron>().unwrap()
    );
    for (name, value) in [
        ("SCHEDULE_RETENTION", "61 * * * *"),
        ("SCHEDULE_RETENTION", "daily"),
        ("SCHEDULE_TIMEZONE", "Mars/Olympus"),
    ] {
        let env = std::collections::HashMap::from([(name, value)]);
        let refused = agora::config::Config::from_lookup(|k| env.get(k).map(|v| v.to_string()));
        assert_eq!(refused.err().map(|e| e.name), Some(name), "{name}={value}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_retention_run_forgets_what_is_past_its_time() {
    let app = TestApp::with_env(&[("AUDIT_RETENTION", "400d")]).await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    app.login("ann@example.com").await;
    let logout = "mutation { logout }";
    app.gql(logout, serde_json::json!({}), Some(&ann.access))
        .await
        .data();
    let long_ago = crate::common::sql_time(Utc::now() - TimeDelta::days(401));
    let month_ago = crate::common::sql_time(Utc::now() - TimeDelta::days(31));
    let count = |table: &'static str| {
        let app = &app;
        async move {
            app.column(&format!("SELECT CAST(COUNT(*) AS text) AS v FROM {table}"))
                .await[0]
                .clone()
        }
    };
    let audit_before = count("audit_events").await;
    app.sql(&format!(
        "UPDATE audit_events SET created_at = {long_ago} WHERE kind = 'SIGNED_UP'"
    ))
    .await;
    app.sql(&format!(
        "UPDATE sessions SET revoked_at = {month_ago} WHERE revoked_at IS NOT NULL"
    ))
    .await;
    background::prune(&app.state).await.unwrap();
    let audit_after = count("audit_events").await;
    assert_eq!(
        audit_after.and_then(|n| n.parse::<i64>().ok()),
        audit_before.and_then(|n| n.parse::<i64>().ok()).map(|n| n - 1),
        "only the 401-day-old event is gone"
    );
    assert_eq!(
        count("sessions").await.as_deref(),
        Some("1"),
        "the live session stays"
    );
}
