//! The client's address behind a reverse proxy: `X-Forwarded-For` counts
//! only when the peer is in `TRUSTED_PROXIES`; sessions, the audit log and
//! the sign-in throttle all see the same address.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request};
use serde_json::json;

use crate::common::{PASSWORD, Reply, TestApp};

const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }";

/// Sign up as `email` over a connection from `peer`, with `forwarded` as
/// `X-Forwarded-For`.
async fn register_via(app: &TestApp, peer: &str, forwarded: &str, email: &str) -> Reply {
    let input = json!({ "input": { "email": email, "password": PASSWORD, "name": "Ann", "role": "CLIENT" } });
    let body = json!({ "query": REGISTER, "variables": input });
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/graphql")
        .header("content-type", "application/json")
        .header("x-forwarded-for", forwarded)
        .body(Body::from(body.to_string()))
        .unwrap();
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    app.send(request).await
}

/// The address recorded on the session and on the audit row of `email`'s sign-up.
async fn recorded(app: &TestApp, email: &str) -> (Vec<Option<String>>, Vec<Option<String>>) {
    let user = format!("(SELECT id FROM users WHERE email = '{email}')");
    let sessions = app
        .column(&format!("SELECT ip AS v FROM sessions WHERE user_id = {user}"))
        .await;
    let audit = app
        .column(&format!(
            "SELECT ip AS v FROM audit_events WHERE kind = 'SIGNED_UP' AND user_id = {user}"
        ))
        .await;
    (sessions, audit)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forwarded_address_from_an_untrusted_peer_is_ignored() {
    let app = TestApp::new().await;
    register_via(&app, "203.0.113.5", "198.51.100.7", "ann@example.com")
        .await
        .data();
    let peer = vec![Some("203.0.113.5".to_owned())];
    assert_eq!(recorded(&app, "ann@example.com").await, (peer.clone(), peer));

    // Trusting another proxy does not make this peer one.
    let app = TestApp::with_env(&[("TRUSTED_PROXIES", "10.0.0.0/8")]).await;
    register_via(&app, "203.0.113.5", "198.51.100.7", "bob@example.com")
        .await
        .data();
    let peer = vec![Some("203.0.113.5".to_owned())];
    assert_eq!(recorded(&app, "bob@example.com").await, (peer.clone(), peer));
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_trusted_proxy_the_forwarded_client_is_recorded() {
    let app = TestApp::with_env(&[("TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    // The client claimed 1.1.1.1; the proxy saw 198.51.100.7.
    register_via(&app, "127.0.0.1", "1.1.1.1, 198.51.100.7", "ann@example.com")
        .await
        .data();
    let client = vec![Some("198.51.100.7".to_owned())];
    assert_eq!(recorded(&app, "ann@example.com").await, (client.clone(), client));

    // A malformed hop: the proxy itself is all that is known.
    register_via(&app, "127.0.0.1", "198.51.100.7:5555", "bob@example.com")
        .await
        .data();
    let proxy = vec![Some("127.0.0.1".to_owned())];
    assert_eq!(recorded(&app, "bob@example.com").await, (proxy.clone(), proxy));
}
