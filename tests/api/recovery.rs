//! Password recovery: a reset link for any address (no enumeration), a
//! single-use, expiring token, and a reset that ends every session.

use serde_json::json;

use crate::common::{PASSWORD, TestApp, row_id};
use crate::lifecycle::{audited, login_with, refreshes, works};

const REQUEST: &str = "mutation($e: String!) { requestPasswordReset(email: $e) }";
const RESET: &str = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }";
const NEW_PASSWORD: &str = "a fresh passphrase";

/// Ask for a reset of `email` and return the token of the link, the
/// `nth` message to that address.
async fn reset_token(app: &TestApp, email: &str, nth: usize) -> String {
    let asked = app.gql(REQUEST, json!({ "e": email }), None).await;
    assert_eq!(asked.data()["requestPasswordReset"], true);
    app.mailbox().nth(email, nth).await.token("reset-password")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_link_sets_a_new_password_and_ends_every_session() {
    let app = TestApp::with_mail(&[]).await;
    let here = app.register("ann@example.com", "CLIENT").await;
    let there = app.login("ann@example.com").await;

    let asked = app.gql(REQUEST, json!({ "e": " Ann@Example.com " }), None).await;
    assert_eq!(asked.data()["requestPasswordReset"], true);
    let mail = app.mailbox().nth("ann@example.com", 2).await;
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Reset your Agora password")
    );
    let token = mail.token("reset-password");

    let short = app.gql(RESET, json!({ "t": token, "p": "short" }), None).await;
    assert_eq!(
        (short.code(), short.field()),
        ("BAD_USER_INPUT", Some("newPassword"))
    );
    let junk = app
        .gql(RESET, json!({ "t": "forged", "p": NEW_PASSWORD }), None)
        .await;
    assert_eq!((junk.code(), junk.field()), ("BAD_USER_INPUT", Some("token")));

    let reset = app
        .gql(RESET, json!({ "t": token, "p": NEW_PASSWORD }), None)
        .await;
    assert_eq!(reset.data()["resetPassword"], true);
    for session in [&here, &there] {
        assert!(!works(&app, session).await && !refreshes(&app, session).await);
    }
    assert_eq!(
        login_with(&app, "ann@example.com", PASSWORD).await.code(),
        "UNAUTHENTICATED"
    );
    let signed_in = login_with(&app, "ann@example.com", NEW_PASSWORD).await;
    assert_eq!(signed_in.data()["login"]["user"]["id"], here.id.as_str());
    assert_eq!(audited(&app, "PASSWORD_RESET").await, vec![row_id(&here.id)]);

    let reused = app
        .gql(RESET, json!({ "t": token, "p": "yet another passphrase" }), None)
        .await;
    assert_eq!((reused.code(), reused.field()), ("BAD_USER_INPUT", Some("token")));
    login_with(&app, "ann@example.com", NEW_PASSWORD).await.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_addresses_get_the_same_answer_and_no_mail() {
    let app = TestApp::with_mail(&[]).await;
    app.register("ann@example.com", "CLIENT").await;
    let unknown = app.gql(REQUEST, json!({ "e": "nobody@example.com" }), None).await;
    let known = app.gql(REQUEST, json!({ "e": "ann@example.com" }), None).await;
    assert_eq!(unknown.status, known.status);
    assert_eq!(unknown.body, json!({ "data": { "requestPasswordReset": true } }));
    assert_eq!(unknown.body, known.body);

    app.mailbox().nth("ann@example.com", 2).await;
    let queued = app
        .column("SELECT recipient AS v FROM mail_outbox WHERE recipient = 'nobody@example.com'")
        .await;
    assert!(queued.is_empty());
    assert!(
        app.mailbox()
            .received()
            .await
            .iter()
            .all(|m| m.to != ["nobody@example.com"])
    );

    let malformed = app.gql(REQUEST, json!({ "e": "not an email" }), None).await;
    assert_eq!(
        (malformed.code(), malformed.field()),
        ("BAD_USER_INPUT", Some("email"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_link_changes_nothing() {
    let app = TestApp::with_mail(&[]).await;
    app.register("ann@example.com", "CLIENT").await;
    let token = reset_token(&app, "ann@example.com", 2).await;
    app.sql("UPDATE account_tokens SET expires_at = created_at WHERE purpose = 'RESET_PASSWORD'")
        .await;

    let reply = app
        .gql(RESET, json!({ "t": token, "p": NEW_PASSWORD }), None)
        .await;
    assert_eq!((reply.code(), reply.field()), ("BAD_USER_INPUT", Some("token")));
    assert!(reply.message().contains("expired"));
    login_with(&app, "ann@example.com", PASSWORD).await.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_lifts_the_sign_in_lockout() {
    let app = TestApp::with_mail(&[("LOGIN_MAX_FAILURES", "2")]).await;
    app.register("ann@example.com", "CLIENT").await;
    for _ in 0..3 {
        login_with(&app, "ann@example.com", "guess").await;
    }
    assert_eq!(
        login_with(&app, "ann@example.com", PASSWORD).await.code(),
        "RATE_LIMITED"
    );

    let token = reset_token(&app, "ann@example.com", 2).await;
    app.gql(RESET, json!({ "t": token, "p": NEW_PASSWORD }), None)
        .await
        .data();
    login_with(&app, "ann@example.com", NEW_PASSWORD).await.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_requests_are_rate_limited_silently() {
    let app = TestApp::with_mail(&[]).await;
    app.register("ann@example.com", "CLIENT").await;
    for _ in 0..3 {
        let reply = app.gql(REQUEST, json!({ "e": "ann@example.com" }), None).await;
        assert_eq!(reply.data()["requestPasswordReset"], true);
    }
    app.mailbox().nth("ann@example.com", 2).await;
    // The later two came within a minute of the first: no more mail.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let resets = app
        .column("SELECT purpose AS v FROM account_tokens WHERE purpose = 'RESET_PASSWORD'")
        .await;
    assert_eq!(resets.len(), 1);
}
