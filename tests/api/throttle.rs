//! Sign-in throttling: per account (known or not) and per client address,
//! counted per `login` field, reset by a success, over when the window ends.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request};
use serde_json::{Value, json};

use crate::common::{PASSWORD, Reply, TestApp};

const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { accessToken } }";

/// POST a GraphQL operation as a client at `ip` with `User-Agent: user_agent`
/// (the in-process router has no peer address; the server reads this one).
pub async fn gql_from(
    app: &TestApp,
    ip: &str,
    user_agent: &str,
    query: &str,
    variables: Value,
    token: Option<&str>,
) -> Reply {
    let body = json!({ "query": query, "variables": variables });
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/graphql")
        .header("content-type", "application/json")
        .header("user-agent", user_agent);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let mut request = request.body(Body::from(body.to_string())).unwrap();
    let peer: SocketAddr = format!("{ip}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    app.send(request).await
}

fn credentials(email: &str, password: &str) -> Value {
    json!({ "input": { "email": email, "password": password } })
}

async fn login(app: &TestApp, email: &str, password: &str) -> Reply {
    app.gql(LOGIN, credentials(email, password), None).await
}

/// Sign in from `ip`.
async fn from(app: &TestApp, ip: &str, email: &str, password: &str) -> Reply {
    gql_from(app, ip, "test", LOGIN, credentials(email, password), None).await
}

/// `errors[0].extensions.retryAfter`, asserting the refusal is `RATE_LIMITED`.
fn retry_after(reply: &Reply) -> u64 {
    assert_eq!(reply.code(), "RATE_LIMITED", "{}", reply.body);
    reply.body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_is_locked_after_five_failures_even_for_the_right_password() {
    let app = TestApp::new().await;
    app.register("ann@example.com", "CLIENT").await;
    for _ in 0..5 {
        let reply = login(&app, "ann@example.com", "wrong password").await;
        assert_eq!(reply.code(), "UNAUTHENTICATED");
    }
    let locked = login(&app, "ann@example.com", "wrong password").await;
    let wait = retry_after(&locked);
    assert!((1..=900).contains(&wait), "retryAfter {wait}");
    assert_eq!(
        locked.body["errors"][0]["message"],
        "too many attempts, try again later"
    );
    assert!(locked.body["data"].is_null());
    // Checked before the password: the right one is refused too.
    retry_after(&login(&app, " ANN@example.com", PASSWORD).await);
    // Other accounts are not affected.
    app.register("bob@example.com", "CLIENT").await;
    login(&app, "bob@example.com", PASSWORD).await.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_emails_are_locked_the_same_way() {
    let app = TestApp::new().await;
    app.register("ann@example.com", "CLIENT").await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..6 {
        known.push(login(&app, "ann@example.com", "wrong password").await);
        unknown.push(login(&app, "nobody@example.com", "wrong password").await);
    }
    for (known, unknown) in known.iter().zip(&unknown) {
        assert_eq!(known.code(), unknown.code());
        assert_eq!(known.status, unknown.status);
        let (k, u) = (&known.body["errors"][0], &unknown.body["errors"][0]);
        assert_eq!(k["message"], u["message"]);
        assert_eq!(k["extensions"]["code"], u["extensions"]["code"]);
        assert_eq!(
            k["extensions"]["retryAfter"].is_u64(),
            u["extensions"]["retryAfter"].is_u64()
        );
    }
    retry_after(&unknown[5]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_success_resets_the_account_counter() {
    let app = TestApp::new().await;
    app.register("ann@example.com", "CLIENT").await;
    for _ in 0..4 {
        login(&app, "ann@example.com", "wrong password").await;
    }
    login(&app, "ann@example.com", PASSWORD).await.data();
    for _ in 0..5 {
        let reply = login(&app, "ann@example.com", "wrong password").await;
        assert_eq!(reply.code(), "UNAUTHENTICATED");
    }
    retry_after(&login(&app, "ann@example.com", "wrong password").await);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lock_ends_with_its_window() {
    let app = TestApp::with_env(&[("LOGIN_MAX_FAILURES", "2"), ("LOGIN_LOCKOUT", "10m")]).await;
    app.register("ann@example.com", "CLIENT").await;
    for _ in 0..2 {
        login(&app, "ann@example.com", "wrong password").await;
    }
    let wait = retry_after(&login(&app, "ann@example.com", PASSWORD).await);
    assert!((590..=600).contains(&wait), "retryAfter {wait}");
    // The window started long ago (the same literal parses on both backends).
    app.sql("UPDATE login_failures SET window_start = '2000-01-01T00:00:00.000000Z'")
        .await;
    login(&app, "ann@example.com", PASSWORD).await.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn aliased_login_fields_in_one_request_each_count() {
    let app = TestApp::new().await;
    app.register("ann@example.com", "CLIENT").await;
    let fields: String = (1..=6)
        .map(|i| format!("a{i}: login(input: $input) {{ accessToken }} "))
        .collect();
    let reply = app
        .gql(
            &format!("mutation($input: LoginInput!) {{ {fields} }}"),
            credentials("ann@example.com", "wrong password"),
            None,
        )
        .await;
    let errors = reply.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 6, "{}", reply.body);
    for error in errors {
        let alias = error["path"][0].as_str().unwrap();
        let expected = if alias == "a6" {
            "RATE_LIMITED"
        } else {
            "UNAUTHENTICATED"
        };
        assert_eq!(error["extensions"]["code"], expected, "{alias}");
    }
    retry_after(&login(&app, "ann@example.com", PASSWORD).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_attempts_cannot_pass_the_limit() {
    let app = TestApp::new().await;
    app.register("ann@example.com", "CLIENT").await;
    let attempts = (0..8).map(|_| login(&app, "ann@example.com", "wrong password"));
    let replies = futures_util::future::join_all(attempts).await;
    let refused = replies.iter().filter(|r| r.code() == "RATE_LIMITED").count();
    let failed = replies.iter().filter(|r| r.code() == "UNAUTHENTICATED").count();
    assert_eq!((failed, refused), (5, 3));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_address_is_limited_across_accounts() {
    let app = TestApp::with_env(&[("LOGIN_MAX_FAILURES_PER_IP", "3")]).await;
    app.register("ann@example.com", "CLIENT").await;
    // Successes are not failures: they do not use up the address's allowance.
    for _ in 0..3 {
        from(&app, "203.0.113.7", "ann@example.com", PASSWORD)
            .await
            .data();
    }
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        let reply = from(&app, "203.0.113.7", email, "wrong password").await;
        assert_eq!(reply.code(), "UNAUTHENTICATED");
    }
    retry_after(&from(&app, "203.0.113.7", "d@example.com", "wrong password").await);
    retry_after(&from(&app, "203.0.113.7", "ann@example.com", PASSWORD).await);
    // Another address, and the account itself, are not locked.
    from(&app, "198.51.100.1", "ann@example.com", PASSWORD)
        .await
        .data();
    login(&app, "ann@example.com", PASSWORD).await.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_spelling_of_an_address_shares_its_counter() {
    let app = TestApp::new().await;
    app.register("josé@exämple.de", "CLIENT").await;
    for email in [
        "josé@exämple.de",
        "jose\u{301}@exa\u{308}mple.de",
        "JOSÉ@EXÄMPLE.DE",
        "josé@xn--exmple-cua.de",
        "josé@ｅｘäｍｐｌｅ.de",
    ] {
        let reply = login(&app, email, "wrong password").await;
        assert_eq!(reply.code(), "UNAUTHENTICATED", "{email:?}");
    }
    let locked = login(&app, "JOSE\u{301}@exa\u{308}mple.DE", PASSWORD).await;
    retry_after(&locked);
}
