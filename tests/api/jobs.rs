//! The job queue on the test's database (SQLite or PostgreSQL): jobs exist
//! only when their transaction commits, leases fence stalled workers, failed
//! runs back off and die, unknown kinds die at once, and many workers on
//! separate pools run every job exactly once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use agora::db::{Backend, Pool};
use agora::error::{AppError, AppResult};
use agora::jobs::queue;
use agora::jobs::worker::{self, Handler, Handlers, Run};
use agora::jobs::{self, NewJob};
use agora::state::AppState;
use agora::tx::Actor;
use futures_util::future::BoxFuture;
use serde_json::json;

use crate::common::TestApp;

async fn enqueue(app: &TestApp, job: NewJob) {
    app.state
        .write(Actor::default(), async |tx| jobs::enqueue(tx, job).await)
        .await
        .unwrap();
}

async fn statuses(app: &TestApp) -> Vec<String> {
    app.column("SELECT status AS v FROM jobs ORDER BY created_at")
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Poll until `done` holds of the jobs' statuses (at most 20 s).
async fn until(app: &TestApp, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    for _ in 0..400 {
        let now = statuses(app).await;
        if done(&now) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("jobs never got there: {:?}", statuses(app).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_exists_only_if_its_transaction_commits() {
    let app = TestApp::new().await;
    let rolled_back: AppResult<()> = app
        .state
        .write(Actor::default(), async |tx| {
            jobs::enqueue(tx, NewJob::new("noop", json!({}))).await?;
            Err(AppError::bad_input("x", "changed my mind"))
        })
        .await;
    assert!(rolled_back.is_err());
    assert!(statuses(&app).await.is_empty());
    enqueue(&app, NewJob::new("noop", json!({})).unique("once")).await;
    enqueue(&app, NewJob::new("noop", json!({})).unique("once")).await;
    assert_eq!(statuses(&app).await, ["QUEUED"], "one job per unique key");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_run_is_taken_over_and_its_late_outcome_refused() {
    let app = TestApp::new().await;
    enqueue(&app, NewJob::new("slow", json!({}))).await;
    let pool = &app.state.pool;
    let stalled = queue::claim(pool, Duration::from_millis(100))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stalled.attempt, 1);
    assert!(
        queue::claim(pool, Duration::from_secs(60))
            .await
            .unwrap()
            .is_none(),
        "leased"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let taken = queue::claim(pool, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((taken.id, taken.attempt), (stalled.id, 2));
    assert!(
        !queue::heartbeat(pool, &stalled, Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert!(!queue::succeed(pool, &stalled).await.unwrap(), "fenced");
    assert!(
        !queue::fail(pool, &stalled, "late", Duration::from_secs(1))
            .await
            .unwrap()
    );
    assert_eq!(statuses(&app).await, ["RUNNING"]);
    assert!(queue::succeed(pool, &taken).await.unwrap());
    assert_eq!(statuses(&app).await, ["SUCCEEDED"]);
    assert!(
        queue::claim(pool, Duration::from_secs(60))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_runs_back_off_more_each_time_then_die() {
    let app = TestApp::new().await;
    let mut job = NewJob::new("flaky", json!({}));
    job.max_attempts = 3;
    enqueue(&app, job).await;
    let pool = &app.state.pool;
    let base = Duration::from_secs(10);
    let mut waits = Vec::new();
    for attempt in 1..=3 {
        let run = queue::claim(pool, Duration::from_secs(60))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(run.attempt, attempt);
        let before = chrono::Utc::now();
        assert!(
            queue::fail(pool, &run, &format!("boom {attempt}"), base)
                .await
                .unwrap()
        );
        if attempt < 3 {
            assert_eq!(statuses(&app).await, ["QUEUED"]);
            let run_at = app.column("SELECT CAST(run_at AS text) AS v FROM jobs").await;
            let run_at = parse_time(run_at[0].as_deref().unwrap());
            waits.push((run_at - before).num_milliseconds());
            assert!(
                queue::claim(pool, Duration::from_secs(60))
                    .await
                    .unwrap()
                    .is_none(),
                "not yet"
            );
            app.sql("UPDATE jobs SET run_at = created_at").await;
        }
    }
    // 10 s then 20 s, each with up to a quarter of jitter off.
    assert!((7_400..=10_100).contains(&waits[0]), "{waits:?}");
    assert!((14_900..=20_100).contains(&waits[1]), "{waits:?}");
    assert_eq!(statuses(&app).await, ["DEAD"]);
    let error = app.column("SELECT last_error AS v FROM jobs").await;
    assert_eq!(error[0].as_deref(), Some("boom 3"));
    assert!(
        queue::claim(pool, Duration::from_secs(60))
            .await
            .unwrap()
            .is_none(),
        "dead stays dead"
    );
}

fn parse_time(text: &str) -> chrono::DateTime<chrono::Utc> {
    let text = text.replace(' ', "T");
    let text = if text.ends_with("+00") {
        format!("{text}:00")
    } else {
        text
    };
    chrono::DateTime::parse_from_rfc3339(&text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .into()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_nobody_handles_dies_at_once_with_a_clear_error() {
    let app = TestApp::new().await;
    let workers = worker::spawn(&app.state, Handlers::default());
    enqueue(&app, NewJob::new("no_such_kind", json!({}))).await;
    until(&app, |s| s == ["DEAD"]).await;
    let error = app.column("SELECT last_error AS v FROM jobs").await;
    assert_eq!(
        error[0].as_deref(),
        Some("no handler for jobs of kind \"no_such_kind\"")
    );
    workers.shutdown(Duration::from_secs(1)).await;
}

/// Which job payloads (`n`) ran, and how often: the handler below records them.
static RUNS: Mutex<Option<HashMap<String, HashMap<i64, usize>>>> = Mutex::new(None);

fn count_run(_: Run<'_>, payload: serde_json::Value) -> BoxFuture<'_, AppResult<()>> {
    Box::pin(async move {
        let (Some(test), Some(n)) = (payload["test"].as_str(), payload["n"].as_i64()) else {
            return Err(AppError::internal("bad payload"));
        };
        tokio::time::sleep(Duration::from_millis(n.unsigned_abs() % 3)).await;
        let mut runs = RUNS.lock().unwrap();
        *runs
            .get_or_insert_with(HashMap::new)
            .entry(test.to_owned())
            .or_default()
            .entry(n)
            .or_default() += 1;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn four_workers_on_separate_pools_run_every_job_exactly_once() {
    let app = TestApp::with_env(&[("WORKER_CONCURRENCY", "2")]).await;
    let test = format!("exactly-once-{}", agora::db::JobId::new());
    for n in 0..200 {
        enqueue(&app, NewJob::new("count", json!({ "test": test, "n": n }))).await;
    }
    let handler: Handler = count_run;
    let handlers = Handlers::new(&[("count", handler)]);
    let mut fleet = Vec::new();
    for _ in 0..4 {
        let pool = Pool::new(&Backend::from_url(&app.state.config.database_url), 2).unwrap();
        let state = AppState::new(pool, (*app.state.config).clone()).unwrap();
        fleet.push(worker::spawn(&state, handlers.clone()));
    }
    until(&app, |s| s.len() == 200 && s.iter().all(|s| s == "SUCCEEDED")).await;
    for workers in fleet {
        workers.shutdown(Duration::from_secs(1)).await;
    }
    let runs = RUNS
        .lock()
        .unwrap()
        .as_ref()
        .and_then(|r| r.get(&test).cloned())
        .unwrap();
    assert_eq!(runs.len(), 200);
    assert!(runs.values().all(|&times| times == 1), "{runs:?}");
    let attempts = app.column("SELECT CAST(attempts AS text) AS v FROM jobs").await;
    assert!(attempts.iter().all(|a| a.as_deref() == Some("1")));
}

fn sleep_for(run: Run<'_>, payload: serde_json::Value) -> BoxFuture<'_, AppResult<()>> {
    Box::pin(async move {
        let ms = payload["ms"].as_u64().unwrap_or(0);
        run.progress(1, 2).await?;
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_longer_than_its_lease_keeps_it_by_heartbeats() {
    let app = TestApp::with_env(&[("JOB_LEASE", "1s"), ("WORKER_CONCURRENCY", "1")]).await;
    let handler: Handler = sleep_for;
    let workers = worker::spawn(&app.state, Handlers::new(&[("sleep", handler)]));
    enqueue(&app, NewJob::new("sleep", json!({ "ms": 2500 }))).await;
    until(&app, |s| s == ["RUNNING"]).await;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let other = queue::claim(&app.state.pool, Duration::from_secs(1))
            .await
            .unwrap();
        assert!(other.is_none(), "the lease was renewed");
    }
    until(&app, |s| s == ["SUCCEEDED"]).await;
    let attempts = app.column("SELECT CAST(attempts AS text) AS v FROM jobs").await;
    assert_eq!(attempts, [Some("1".to_owned())]);
    workers.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_gives_back_the_jobs_it_could_not_finish() {
    let app = TestApp::with_env(&[("WORKER_CONCURRENCY", "1")]).await;
    let handler: Handler = sleep_for;
    let workers = worker::spawn(&app.state, Handlers::new(&[("sleep", handler)]));
    enqueue(&app, NewJob::new("sleep", json!({ "ms": 60_000 }))).await;
    until(&app, |s| s == ["RUNNING"]).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let progress = app
        .column("SELECT CAST(progress_done AS text) || '/' || CAST(progress_total AS text) AS v FROM jobs")
        .await;
    assert_eq!(
        progress,
        [Some("1/2".to_owned())],
        "the handler reported its progress"
    );
    workers.shutdown(Duration::from_millis(200)).await;
    assert_eq!(statuses(&app).await, ["QUEUED"]);
    let attempts = app.column("SELECT CAST(attempts AS text) AS v FROM jobs").await;
    assert_eq!(
        attempts,
        [Some("0".to_owned())],
        "the interrupted run does not count"
    );
    let again = queue::claim(&app.state.pool, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(again.is_some(), "claimable at once");
}

const JOBS: &str = "query($f: JobFilterInput) { jobs(filter: $f) { totalCount edges { node { id kind status attempts lastError } } } }";
const RETRY: &str = "mutation($id: ID!) { retryJob(id: $id) { id status attempts } }";
const CANCEL: &str = "mutation($id: ID!) { cancelJob(id: $id) { id status finishedAt } }";

#[tokio::test(flavor = "multi_thread")]
async fn operators_see_the_queue_retry_dead_jobs_and_cancel_queued_ones() {
    let app = TestApp::new().await;
    agora::accounts::users::ops::ensure_super_admin(
        &app.state,
        "root@example.com",
        crate::common::PASSWORD.to_owned(),
    )
    .await
    .unwrap();
    let admin = app.login("root@example.com").await;
    let client = app.register("ann@example.com", "CLIENT").await;
    // Only the jobs below in the queue (signing up queued its mail).
    app.sql("DELETE FROM jobs").await;
    let mut doomed = NewJob::new("doomed", json!({}));
    doomed.max_attempts = 1;
    enqueue(&app, doomed).await;
    let run = queue::claim(&app.state.pool, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    queue::fail(&app.state.pool, &run, "no luck", Duration::from_secs(1))
        .await
        .unwrap();
    enqueue(&app, NewJob::new("later", json!({ "secret": "not shown" }))).await;

    for token in [None, Some(client.access.as_str())] {
        let refused = app.gql(JOBS, json!({}), token).await;
        assert!(
            ["UNAUTHENTICATED", "FORBIDDEN"].contains(&refused.code()),
            "{}",
            refused.body
        );
    }
    let dead = app
        .gql(JOBS, json!({ "f": { "status": "DEAD" } }), Some(&admin.access))
        .await;
    let dead = &dead.data()["jobs"];
    assert_eq!(dead["totalCount"], 1);
    let node = &dead["edges"][0]["node"];
    assert_eq!(
        (node["kind"].as_str(), node["lastError"].as_str()),
        (Some("doomed"), Some("no luck"))
    );
    let dead_id = node["id"].as_str().unwrap().to_owned();
    assert!(dead_id.starts_with("JB_"));
    let queued = app
        .gql(JOBS, json!({ "f": { "kind": "later" } }), Some(&admin.access))
        .await;
    let queued_id = queued.data()["jobs"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let health = app.send(crate::http::get("/health/ready", None)).await;
    assert_eq!(health.body["jobs"], json!({ "queued": 1, "dead": 1 }));

    let by_client = app
        .gql(RETRY, json!({ "id": dead_id }), Some(&client.access))
        .await;
    assert_eq!(by_client.code(), "FORBIDDEN");
    let not_dead = app
        .gql(RETRY, json!({ "id": queued_id }), Some(&admin.access))
        .await;
    assert_eq!(not_dead.code(), "INVALID_STATE");
    let retried = app
        .gql(RETRY, json!({ "id": dead_id }), Some(&admin.access))
        .await;
    assert_eq!(retried.data()["retryJob"]["status"], "QUEUED");
    assert_eq!(retried.data()["retryJob"]["attempts"], 0);

    let cancelled = app
        .gql(CANCEL, json!({ "id": queued_id }), Some(&admin.access))
        .await;
    assert_eq!(cancelled.data()["cancelJob"]["status"], "CANCELLED");
    let twice = app
        .gql(CANCEL, json!({ "id": queued_id }), Some(&admin.access))
        .await;
    assert_eq!(twice.code(), "INVALID_STATE");
    let again = queue::claim(&app.state.pool, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.kind.as_str(), again.attempt),
        ("doomed", 1),
        "retried from its first attempt"
    );
    let unknown = app
        .gql(
            CANCEL,
            json!({ "id": crate::common::unknown_id::<agora::db::JobId>() }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(unknown.code(), "NOT_FOUND");

    let node = "query($id: ID!) { node(id: $id) { __typename id } }";
    let seen = app
        .gql(node, json!({ "id": queued_id }), Some(&admin.access))
        .await;
    assert_eq!(seen.data()["node"]["__typename"], "Job");
    let hidden = app
        .gql(node, json!({ "id": queued_id }), Some(&client.access))
        .await;
    assert!(hidden.data()["node"].is_null());
}
