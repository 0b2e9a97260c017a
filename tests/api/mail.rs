//! The mail outbox: written with the change, delivered over real SMTP,
//! retried when SMTP fails for the moment, given up when it refuses for
//! good, logged when there is no SMTP, never lost.

use std::time::Duration;

use serde_json::json;

use crate::common::{PASSWORD, TestApp, sql_time};

const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) { user { id } } }";

async fn register(app: &TestApp, email: &str) -> crate::common::Reply {
    app.gql(
        REGISTER,
        json!({ "input": { "email": email, "password": PASSWORD, "name": "Ann <Lee>", "role": "CLIENT" } }),
        None,
    )
    .await
}

/// `attempts`, `last_error`, whether sent, whether the bodies are kept, of
/// the outbox rows to `to`.
async fn outbox(app: &TestApp, to: &str) -> Vec<(String, Option<String>, bool, bool)> {
    // One statement, so the row is read as of one moment.
    let select = format!(
        "SELECT CAST(attempts AS text) || '|' || CASE WHEN sent_at IS NULL THEN '0' ELSE '1' END \
         || '|' || CASE WHEN text_body IS NULL THEN '0' ELSE '1' END || '|' || COALESCE(last_error, '') AS v \
         FROM mail_outbox WHERE recipient = '{to}' ORDER BY created_at"
    );
    app.column(&select)
        .await
        .into_iter()
        .map(|row| {
            let row = row.unwrap_or_default();
            let parts: Vec<&str> = row.splitn(4, '|').collect();
            let error = Some(parts[3].to_owned()).filter(|e| !e.is_empty());
            (parts[0].to_owned(), error, parts[1] == "1", parts[2] == "1")
        })
        .collect()
}

/// Whether each outbox row to `to` is marked failed.
async fn failed(app: &TestApp, to: &str) -> Vec<bool> {
    app.column(&format!(
        "SELECT CASE WHEN failed_at IS NULL THEN '0' ELSE '1' END AS v \
         FROM mail_outbox WHERE recipient = '{to}' ORDER BY created_at"
    ))
    .await
    .into_iter()
    .map(|v| v.as_deref() == Some("1"))
    .collect()
}

/// Wait (at most 15 s) until `done` holds for the outbox rows to `to`.
async fn outbox_until(
    app: &TestApp,
    to: &str,
    done: impl Fn(&[(String, Option<String>, bool, bool)]) -> bool,
) -> Vec<(String, Option<String>, bool, bool)> {
    for _ in 0..150 {
        let rows = outbox(app, to).await;
        if done(&rows) {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("outbox to {to} never got there: {:?}", outbox(app, to).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_mail_goes_out_over_smtp_with_links_from_public_url() {
    let app = TestApp::with_mail(&[("PUBLIC_URL", "https://app.example.com/")]).await;
    register(&app, "ann@example.com").await.data();
    let mail = app.mailbox().nth("ann@example.com", 1).await;

    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Confirm your email address")
    );
    assert_eq!(mail.header("From").as_deref(), Some("Agora <no-reply@localhost>"));
    assert!(mail.text.contains("multipart/alternative"), "{}", mail.text);
    assert!(mail.text.contains("text/plain") && mail.text.contains("text/html"));
    assert!(mail.text.contains("https://app.example.com/verify-email?token="));
    assert!(mail.text.contains("Hello Ann <Lee>,"), "plain text as is");
    assert!(mail.text.contains("Hello Ann &lt;Lee&gt;,"), "HTML escaped");
    assert_eq!(mail.token("verify-email").len(), 43, "256 bits, base64url");
    let message_id = mail.header("Message-ID").unwrap();
    assert!(message_id.ends_with("@localhost>"), "{message_id}");

    let rows = outbox_until(&app, "ann@example.com", |rows| rows.iter().all(|r| r.2)).await;
    assert_eq!(rows.len(), 1);
    let (attempts, last_error, sent, body_kept) = &rows[0];
    assert_eq!(
        (attempts.as_str(), last_error, sent, body_kept),
        ("1", &None, &true, &false)
    );
    let stored = app.column("SELECT token_hash AS v FROM account_tokens").await;
    assert_eq!(stored.len(), 1);
    assert_ne!(
        stored[0].as_deref(),
        Some(mail.token("verify-email").as_str()),
        "hashed at rest"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_send_is_retried_until_it_goes_through() {
    let app = TestApp::with_mail(&[]).await;
    app.mailbox().refuse_next(2);
    register(&app, "bob@example.com").await.data();

    let mail = app.mailbox().nth("bob@example.com", 1).await;
    assert!(mail.token("verify-email").len() == 43);
    assert_eq!(app.mailbox().refused(), 2);
    let rows = outbox_until(&app, "bob@example.com", |rows| rows.iter().all(|r| r.2)).await;
    let (attempts, last_error, _, _) = &rows[0];
    assert_eq!(attempts, "3", "two refusals, then the send: {rows:?}");
    assert!(
        last_error.as_deref().is_some_and(|e| e.contains("451")),
        "{last_error:?}"
    );
    assert_eq!(
        app.mailbox().wait_for("bob@example.com", 1).await.len(),
        1,
        "sent once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permanent_refusal_fails_the_mail_without_retrying() {
    let app = TestApp::with_mail(&[]).await;
    app.mailbox().reject("gone@example.com");
    register(&app, "gone@example.com").await.data();

    let rows = outbox_until(&app, "gone@example.com", |rows| {
        rows.iter().all(|r| r.1.is_some())
    })
    .await;
    let (attempts, last_error, sent, body_kept) = &rows[0];
    assert_eq!((attempts.as_str(), sent, body_kept), ("1", &false, &false));
    assert!(
        last_error.as_deref().is_some_and(|e| e.contains("550")),
        "{last_error:?}"
    );
    assert_eq!(failed(&app, "gone@example.com").await, [true]);

    // Past the 1 s retry base, and with the deliverer woken by more mail:
    // the failed message is not tried again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    register(&app, "here@example.com").await.data();
    app.mailbox().nth("here@example.com", 1).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rows = outbox(&app, "gone@example.com").await;
    assert_eq!(rows[0].0, "1", "{rows:?}");
    assert_eq!(app.mailbox().rejected(), 1);
    assert_eq!(failed(&app, "here@example.com").await, [false]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_the_mailer_cannot_use_fails_at_once() {
    let app = TestApp::with_mail(&[]).await;
    register(&app, "ann..lee@example.com").await.data();
    let rows = outbox_until(&app, "ann..lee@example.com", |rows| {
        rows.iter().all(|r| r.1.is_some())
    })
    .await;
    let (attempts, last_error, sent, body_kept) = &rows[0];
    assert_eq!((attempts.as_str(), sent, body_kept), ("1", &false, &false));
    assert!(
        last_error.as_deref().is_some_and(|e| e.contains("recipient")),
        "{last_error:?}"
    );
    assert_eq!(failed(&app, "ann..lee@example.com").await, [true]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_authentication_refusal_is_retried() {
    let app = TestApp::with_mail(&[]).await;
    app.mailbox()
        .refuse_next_with(1, "530 5.7.0 authentication required");
    register(&app, "fay@example.com").await.data();

    app.mailbox().nth("fay@example.com", 1).await;
    let rows = outbox_until(&app, "fay@example.com", |rows| rows.iter().all(|r| r.2)).await;
    let (attempts, last_error, _, _) = &rows[0];
    assert_eq!(attempts, "2", "refused once, then sent: {rows:?}");
    assert!(
        last_error.as_deref().is_some_and(|e| e.contains("530")),
        "{last_error:?}"
    );
    assert_eq!(failed(&app, "fay@example.com").await, [false]);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_smtp_down_mail_waits_in_the_outbox() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = TestApp::with_env(&[("SMTP_URL", &url), ("JOB_RETRY_BASE", "1s")]).await;
    let _workers = agora::background::start(&app.state);
    register(&app, "cy@example.com").await.data();

    let rows = outbox_until(&app, "cy@example.com", |rows| {
        rows.first().is_some_and(|r| r.0.parse::<u32>().unwrap_or(0) >= 2)
    })
    .await;
    let (_, last_error, sent, body_kept) = &rows[0];
    assert!(!sent && *body_kept, "kept for the next attempt: {rows:?}");
    assert!(last_error.as_deref().is_some_and(|e| !e.is_empty()));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_smtp_mail_is_logged_and_marked_sent() {
    let app = TestApp::new().await;
    let _workers = agora::background::start(&app.state);
    register(&app, "dee@example.com").await.data();
    let rows = outbox_until(&app, "dee@example.com", |rows| rows.iter().all(|r| r.2)).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "1");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_change_queues_no_mail() {
    let app = TestApp::new().await;
    register(&app, "eve@example.com").await.data();
    assert_eq!(register(&app, "eve@example.com").await.code(), "CONFLICT");
    assert_eq!(
        outbox(&app, "eve@example.com").await.len(),
        1,
        "only the first sign-up's"
    );
    assert_eq!(
        app.column("SELECT token_hash AS v FROM account_tokens")
            .await
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sent_and_failed_mail_and_expired_links_are_kept_thirty_days() {
    let app = TestApp::new().await;
    register(&app, "old@example.com").await.data();
    let long_ago = sql_time(chrono::Utc::now() - chrono::Duration::days(31));
    app.sql(&format!(
        "UPDATE mail_outbox SET sent_at = {long_ago}, text_body = NULL, html_body = NULL"
    ))
    .await;
    app.sql(&format!("UPDATE account_tokens SET expires_at = {long_ago}"))
        .await;
    register(&app, "dead@example.com").await.data();
    register(&app, "recent@example.com").await.data();
    let recently = sql_time(chrono::Utc::now() - chrono::Duration::days(29));
    for (to, at) in [("dead@example.com", &long_ago), ("recent@example.com", &recently)] {
        app.sql(&format!(
            "UPDATE mail_outbox SET failed_at = {at}, text_body = NULL, html_body = NULL \
             WHERE recipient = '{to}'"
        ))
        .await;
    }
    register(&app, "new@example.com").await.data();

    let _workers = agora::background::start(&app.state);
    let rows = outbox_until(&app, "new@example.com", |rows| rows.iter().all(|r| r.2)).await;
    agora::background::prune(&app.state).await.unwrap();
    assert_eq!(rows.len(), 1, "recent mail stays");
    assert!(outbox(&app, "old@example.com").await.is_empty());
    assert!(
        outbox(&app, "dead@example.com").await.is_empty(),
        "failed long ago"
    );
    assert_eq!(
        failed(&app, "recent@example.com").await,
        [true],
        "failed recently"
    );
    let tokens = app
        .column("SELECT email AS v FROM account_tokens ORDER BY email")
        .await;
    assert_eq!(
        tokens,
        [
            Some("dead@example.com".to_owned()),
            Some("new@example.com".to_owned()),
            Some("recent@example.com".to_owned()),
        ]
    );
}
