//! Email verification, its resend limits, the `REQUIRE_VERIFIED_EMAIL` gate,
//! and changing the login address.

use serde_json::json;

use crate::common::{PASSWORD, TestApp, row_id, sql_time};
use crate::lifecycle::{audited, login_with};
use crate::marketplace::{CREATE, SUBMIT, bid, post_project, project_input};

const VERIFY: &str = "mutation($t: String!) { verifyEmail(token: $t) }";
const RESEND: &str = "mutation { resendVerificationEmail }";
const CHANGE: &str = "mutation($p: String!, $e: String!) { changeEmail(currentPassword: $p, newEmail: $e) }";
const ME: &str = "{ me { email emailVerified } }";

/// Pretend the mailed tokens were issued `secs` ago (for the rate limits).
async fn age_tokens(app: &TestApp, secs: i64) {
    let at = sql_time(chrono::Utc::now() - chrono::Duration::seconds(secs));
    app.sql(&format!("UPDATE account_tokens SET created_at = {at}"))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sign_up_link_verifies_the_email_once() {
    let app = TestApp::with_mail(&[]).await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let me = app.gql(ME, json!({}), Some(&ann.access)).await;
    assert_eq!(me.data()["me"]["emailVerified"], false);

    let token = app
        .mailbox()
        .nth("ann@example.com", 1)
        .await
        .token("verify-email");
    let junk = app.gql(VERIFY, json!({ "t": "not-a-token" }), None).await;
    assert_eq!((junk.code(), junk.field()), ("BAD_USER_INPUT", Some("token")));

    // No sign-in needed: the link may be opened on another device.
    assert_eq!(
        app.gql(VERIFY, json!({ "t": token }), None).await.data()["verifyEmail"],
        true
    );
    let me = app.gql(ME, json!({}), Some(&ann.access)).await;
    assert_eq!(me.data()["me"]["emailVerified"], true);

    let again = app.gql(VERIFY, json!({ "t": token }), None).await;
    assert_eq!((again.code(), again.field()), ("BAD_USER_INPUT", Some("token")));
    assert!(again.message().contains("used"));

    let resend = app.gql(RESEND, json!({}), Some(&ann.access)).await;
    assert_eq!(resend.code(), "INVALID_STATE", "verified already");
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_links_are_refused() {
    let app = TestApp::with_mail(&[]).await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let token = app
        .mailbox()
        .nth("ann@example.com", 1)
        .await
        .token("verify-email");
    app.sql("UPDATE account_tokens SET expires_at = created_at").await;
    let reply = app.gql(VERIFY, json!({ "t": token }), None).await;
    assert_eq!((reply.code(), reply.field()), ("BAD_USER_INPUT", Some("token")));
    assert!(reply.message().contains("expired"));
    let me = app.gql(ME, json!({}), Some(&ann.access)).await;
    assert_eq!(me.data()["me"]["emailVerified"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn resending_is_rate_limited_and_any_live_link_works() {
    let app = TestApp::with_mail(&[]).await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let first = app
        .mailbox()
        .nth("ann@example.com", 1)
        .await
        .token("verify-email");

    let anonymous = app.gql(RESEND, json!({}), None).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    let too_soon = app.gql(RESEND, json!({}), Some(&ann.access)).await;
    assert_eq!(too_soon.code(), "RATE_LIMITED", "{}", too_soon.body);
    let retry_after = too_soon.body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");

    age_tokens(&app, 120).await;
    assert_eq!(
        app.gql(RESEND, json!({}), Some(&ann.access)).await.data()["resendVerificationEmail"],
        true
    );
    let second = app
        .mailbox()
        .nth("ann@example.com", 2)
        .await
        .token("verify-email");
    assert_ne!(first, second);

    // Five in the last hour is the most.
    for _ in 0..3 {
        age_tokens(&app, 120).await;
        app.gql(RESEND, json!({}), Some(&ann.access)).await.data();
    }
    age_tokens(&app, 120).await;
    let hourly = app.gql(RESEND, json!({}), Some(&ann.access)).await;
    assert_eq!(hourly.code(), "RATE_LIMITED");
    let retry_after = hourly.body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap();
    assert!(retry_after > 60 && retry_after <= 3600, "{retry_after}");

    // The first link still works; using it retires the others.
    app.gql(VERIFY, json!({ "t": first }), None).await.data();
    let other = app.gql(VERIFY, json!({ "t": second }), None).await;
    assert_eq!(other.code(), "BAD_USER_INPUT");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verified_email_can_be_required_to_post_and_bid() {
    let app = TestApp::with_mail(&[("REQUIRE_VERIFIED_EMAIL", "true")]).await;
    let client = app.register("client@example.com", "CLIENT").await;
    let freelancer = app.register("free@example.com", "FREELANCER").await;

    let refused = app.gql(CREATE, project_input("Shop"), Some(&client.access)).await;
    assert_eq!(refused.code(), "FORBIDDEN");
    assert_eq!(
        refused.body["errors"][0]["extensions"]["reason"],
        "EMAIL_NOT_VERIFIED"
    );
    assert_eq!(
        app.column("SELECT CAST(id AS text) AS v FROM projects")
            .await
            .len(),
        0
    );

    let token = app
        .mailbox()
        .nth("client@example.com", 1)
        .await
        .token("verify-email");
    app.gql(VERIFY, json!({ "t": token }), None).await.data();
    let project = post_project(&app, &client, "Shop").await;

    let refused = app
        .gql(SUBMIT, bid(&project, "900"), Some(&freelancer.access))
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    assert_eq!(
        refused.body["errors"][0]["extensions"]["reason"],
        "EMAIL_NOT_VERIFIED"
    );
    let token = app
        .mailbox()
        .nth("free@example.com", 1)
        .await
        .token("verify-email");
    app.gql(VERIFY, json!({ "t": token }), None).await.data();
    app.gql(SUBMIT, bid(&project, "900"), Some(&freelancer.access))
        .await
        .data();
}

#[tokio::test(flavor = "multi_thread")]
async fn unverified_users_may_post_unless_required() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    post_project(&app, &client, "Shop").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_email_becomes_the_login_once_confirmed() {
    let app = TestApp::with_mail(&[]).await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    app.register("bob@example.com", "CLIENT").await;
    let old_link = app
        .mailbox()
        .nth("ann@example.com", 1)
        .await
        .token("verify-email");

    for (password, email, code, on) in [
        (
            "wrong password",
            "new@example.com",
            "BAD_USER_INPUT",
            "currentPassword",
        ),
        (PASSWORD, "not an email", "BAD_USER_INPUT", "newEmail"),
        (PASSWORD, "ANN@example.com", "BAD_USER_INPUT", "newEmail"),
        (PASSWORD, "ann@ｅｘａｍｐｌｅ.com", "BAD_USER_INPUT", "newEmail"),
        (PASSWORD, "bob\u{200B}@example.com", "BAD_USER_INPUT", "newEmail"),
        (PASSWORD, "bob@example.com", "CONFLICT", "newEmail"),
        (PASSWORD, "BOB@ｅｘａｍｐｌｅ.com", "CONFLICT", "newEmail"),
    ] {
        let reply = app
            .gql(CHANGE, json!({ "p": password, "e": email }), Some(&ann.access))
            .await;
        assert_eq!((reply.code(), reply.field()), (code, Some(on)), "{email}");
    }
    let anonymous = app
        .gql(CHANGE, json!({ "p": PASSWORD, "e": "x@example.com" }), None)
        .await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");

    let asked = app
        .gql(
            CHANGE,
            json!({ "p": PASSWORD, "e": "Ann.New@Example.com" }),
            Some(&ann.access),
        )
        .await;
    assert_eq!(asked.data()["changeEmail"], true);
    let again = app
        .gql(
            CHANGE,
            json!({ "p": PASSWORD, "e": "other@example.com" }),
            Some(&ann.access),
        )
        .await;
    assert_eq!(again.code(), "RATE_LIMITED");

    // Nothing changes until the new address confirms.
    let confirm = app.mailbox().nth("ann.new@example.com", 1).await;
    assert_eq!(
        confirm.header("Subject").as_deref(),
        Some("Confirm your new email address")
    );
    assert_eq!(
        login_with(&app, "ann.new@example.com", PASSWORD).await.code(),
        "UNAUTHENTICATED"
    );
    login_with(&app, "ann@example.com", PASSWORD).await.data();

    let token = confirm.token("verify-email");
    assert_eq!(
        app.gql(VERIFY, json!({ "t": token }), None).await.data()["verifyEmail"],
        true
    );
    let me = app.gql(ME, json!({}), Some(&ann.access)).await;
    assert_eq!(
        me.data()["me"],
        json!({ "email": "ann.new@example.com", "emailVerified": true })
    );
    assert_eq!(
        login_with(&app, "ann@example.com", PASSWORD).await.code(),
        "UNAUTHENTICATED"
    );
    login_with(&app, "ann.new@example.com", PASSWORD).await.data();

    let notice = app.mailbox().nth("ann@example.com", 2).await;
    assert_eq!(
        notice.header("Subject").as_deref(),
        Some("Your Agora email address was changed")
    );
    assert!(notice.text.contains("ann.new@example.com"));
    assert_eq!(audited(&app, "EMAIL_CHANGED").await, vec![row_id(&ann.id)]);

    // Links mailed to the old address are dead, and the used one too.
    for dead in [old_link, token] {
        let reply = app.gql(VERIFY, json!({ "t": dead }), None).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT");
    }
    // The old address is free for a new account.
    app.register("ann@example.com", "FREELANCER").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_taken_before_confirmation_is_a_conflict() {
    let app = TestApp::with_mail(&[]).await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    app.gql(
        CHANGE,
        json!({ "p": PASSWORD, "e": "new@example.com" }),
        Some(&ann.access),
    )
    .await
    .data();
    let token = app
        .mailbox()
        .nth("new@example.com", 1)
        .await
        .token("verify-email");
    app.register("new@example.com", "CLIENT").await;

    let reply = app.gql(VERIFY, json!({ "t": token }), None).await;
    assert_eq!((reply.code(), reply.field()), ("CONFLICT", Some("token")));
    let me = app.gql(ME, json!({}), Some(&ann.access)).await;
    assert_eq!(me.data()["me"]["email"], "ann@example.com");
}
