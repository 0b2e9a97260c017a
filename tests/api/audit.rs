//! The audit log: sign-up, sign-in (ok and failed), logout, with the user,
//! the client's address and user agent, and the time.

use diesel::QueryableByName;
use diesel::sql_types::{Nullable, Text};
use diesel_async::RunQueryDsl;
use serde_json::json;

use crate::common::{PASSWORD, TestApp, row_id};
use crate::throttle::gql_from;

const REGISTER: &str =
    "mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }";
const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { accessToken } }";
const IP: &str = "203.0.113.9";
const AGENT: &str = "audit-test/1.0";

/// An `audit_events` row (but its kind) as text.
#[derive(QueryableByName, Debug)]
struct Event {
    #[diesel(sql_type = Nullable<Text>)]
    user_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    email_digest: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    ip: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    user_agent: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    detail: Option<String>,
    #[diesel(sql_type = Text)]
    created_at: String,
}

/// Every audit row of `kind`.
async fn events(app: &TestApp, kind: &str) -> Vec<Event> {
    let sql = format!(
        "SELECT CAST(user_id AS text) AS user_id, email_digest, ip, user_agent, detail, \
         CAST(created_at AS text) AS created_at FROM audit_events WHERE kind = '{kind}'"
    );
    let mut conn = app.state.pool.get().await.unwrap();
    agora::with_conn!(&mut conn, |c| diesel::sql_query(sql).load(c).await).unwrap()
}

/// The one audit row of `kind` (with `detail`, when given).
async fn the_event(app: &TestApp, kind: &str, detail: Option<&str>) -> Event {
    let mut found: Vec<Event> = events(app, kind)
        .await
        .into_iter()
        .filter(|e| detail.is_none() || e.detail.as_deref() == detail)
        .collect();
    assert_eq!(found.len(), 1, "{kind} {detail:?}: {found:?}");
    found.remove(0)
}

fn assert_from_client(event: &Event) {
    assert_eq!(event.ip.as_deref(), Some(IP), "{event:?}");
    assert_eq!(event.user_agent.as_deref(), Some(AGENT), "{event:?}");
    assert!(!event.created_at.is_empty());
}

fn credentials(email: &str, password: &str) -> serde_json::Value {
    json!({ "input": { "email": email, "password": password } })
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_sign_in_and_logout_are_recorded_with_the_client() {
    let app = TestApp::new().await;
    let input = json!({ "input": { "email": "ann@example.com", "password": PASSWORD, "name": "Ann", "role": "CLIENT" } });
    let registered = gql_from(&app, IP, AGENT, REGISTER, input, None).await;
    let ann = registered.data()["register"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let signed_up = the_event(&app, "SIGNED_UP", None).await;
    assert_from_client(&signed_up);
    assert_eq!(signed_up.user_id, Some(row_id(&ann)));

    let ok = gql_from(
        &app,
        IP,
        AGENT,
        LOGIN,
        credentials("ann@example.com", PASSWORD),
        None,
    )
    .await;
    let token = ok.data()["login"]["accessToken"].as_str().unwrap().to_owned();
    let succeeded = the_event(&app, "LOGIN_SUCCEEDED", None).await;
    assert_from_client(&succeeded);
    assert_eq!(succeeded.user_id.as_deref(), Some(row_id(&ann).as_str()));

    gql_from(&app, IP, AGENT, "mutation { logout }", json!({}), Some(&token))
        .await
        .data();
    let logged_out = the_event(&app, "LOGGED_OUT", None).await;
    assert_from_client(&logged_out);
    assert_eq!(logged_out.user_id.as_deref(), Some(row_id(&ann).as_str()));
    assert_eq!(logged_out.detail.as_deref(), Some("THIS_SESSION"));
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_sign_ins_are_recorded_without_the_email() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let wrong = credentials("ann@example.com", "wrong password");
    let reply = gql_from(&app, IP, AGENT, LOGIN, wrong, None).await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
    let unknown = credentials(" Nobody@Example.com", PASSWORD);
    let reply = gql_from(&app, IP, AGENT, LOGIN, unknown, None).await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");

    let failures = events(&app, "LOGIN_FAILED").await;
    assert_eq!(failures.len(), 2, "{failures:?}");
    for failure in &failures {
        assert_from_client(failure);
        assert_eq!(failure.detail.as_deref(), Some("WRONG_CREDENTIALS"));
        let digest = failure.email_digest.as_deref().unwrap();
        assert!(digest.len() == 64 && !digest.contains('@'), "{digest}");
    }
    let on_ann = failures.iter().find(|f| f.user_id.is_some()).unwrap();
    assert_eq!(on_ann.user_id.as_deref(), Some(row_id(&ann.id).as_str()));
    let on_nobody = failures.iter().find(|f| f.user_id.is_none()).unwrap();
    assert_eq!(
        on_nobody.email_digest.as_deref(),
        Some(agora::audit::email_digest("nobody@example.com").as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lockout_is_recorded_once_per_window() {
    let app = TestApp::with_env(&[("LOGIN_MAX_FAILURES", "2")]).await;
    for _ in 0..5 {
        let wrong = credentials("ann@example.com", "wrong password");
        gql_from(&app, IP, AGENT, LOGIN, wrong, None).await;
    }
    let limited = the_event(&app, "LOGIN_FAILED", Some("RATE_LIMITED")).await;
    assert_from_client(&limited);
    assert_eq!(events(&app, "LOGIN_FAILED").await.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn blocked_accounts_and_logout_everywhere_say_so() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    gql_from(
        &app,
        IP,
        AGENT,
        "mutation { logout(allSessions: true) }",
        json!({}),
        Some(&ann.access),
    )
    .await
    .data();
    the_event(&app, "LOGGED_OUT", Some("ALL_SESSIONS")).await;
    app.sql("UPDATE users SET blocked_at = created_at").await;
    let reply = gql_from(
        &app,
        IP,
        AGENT,
        LOGIN,
        credentials("ann@example.com", PASSWORD),
        None,
    )
    .await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
    let blocked = the_event(&app, "LOGIN_FAILED", Some("BLOCKED")).await;
    assert_eq!(blocked.user_id.as_deref(), Some(row_id(&ann.id).as_str()));
}
