//! Sign-up, sign-in, `me`, public profiles and private fields.

use agora::accounts::users::ops::{AdminOutcome, ensure_super_admin};
use serde_json::json;

use crate::common::{MALFORMED_IDS, PASSWORD, TestApp, unknown_id};

const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) { accessToken refreshToken expiresIn user { id email name role emailVerified } } }";
const LOGIN: &str =
    "mutation($input: LoginInput!) { login(input: $input) { accessToken user { id email } } }";

fn registration(email: &str, password: &str, role: &str) -> serde_json::Value {
    json!({ "input": { "email": email, "password": password, "name": "Ann Example", "role": role } })
}

#[tokio::test(flavor = "multi_thread")]
async fn register_signs_in_with_a_normalised_email() {
    let app = TestApp::new().await;
    let reply = app
        .gql(
            REGISTER,
            registration("  Ann@Example.COM ", PASSWORD, "CLIENT"),
            None,
        )
        .await;
    let payload = &reply.data()["register"];
    assert_eq!(payload["user"]["email"], "ann@example.com");
    assert_eq!(payload["user"]["role"], "CLIENT");
    assert_eq!(payload["user"]["emailVerified"], false);
    assert_eq!(payload["expiresIn"], 900);
    let token = payload["accessToken"].as_str().unwrap();
    let me = app
        .gql("{ me { id email name role } }", json!({}), Some(token))
        .await;
    assert_eq!(me.data()["me"]["id"], payload["user"]["id"]);
    assert_eq!(me.data()["me"]["name"], "Ann Example");
}

#[tokio::test(flavor = "multi_thread")]
async fn register_accepts_only_client_and_freelancer() {
    let app = TestApp::new().await;
    for role in ["ADMIN", "SUPER_ADMIN"] {
        let reply = app
            .gql(REGISTER, registration("a@example.com", PASSWORD, role), None)
            .await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{role}");
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], "role");
    }
    let reply = app
        .gql(REGISTER, registration("a@example.com", PASSWORD, "ROOT"), None)
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    let freelancer = app
        .gql(
            REGISTER,
            registration("f@example.com", PASSWORD, "FREELANCER"),
            None,
        )
        .await;
    assert_eq!(freelancer.data()["register"]["user"]["role"], "FREELANCER");
    let count = app.gql("{ me { id } }", json!({}), None).await;
    assert!(count.data()["me"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_email_is_a_conflict_on_email() {
    let app = TestApp::new().await;
    app.register("ann@example.com", "CLIENT").await;
    let reply = app
        .gql(
            REGISTER,
            registration(" ANN@example.com", PASSWORD, "FREELANCER"),
            None,
        )
        .await;
    assert_eq!(reply.code(), "CONFLICT");
    assert_eq!(reply.body["errors"][0]["extensions"]["field"], "email");
}

#[tokio::test(flavor = "multi_thread")]
async fn password_length_is_checked_without_truncation() {
    let app = TestApp::new().await;
    for password in ["short12".to_owned(), "x".repeat(129)] {
        let reply = app
            .gql(
                REGISTER,
                registration("ann@example.com", &password, "CLIENT"),
                None,
            )
            .await;
        assert_eq!(reply.code(), "BAD_USER_INPUT");
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], "password");
    }
    let longest = "y".repeat(128);
    app.gql(
        REGISTER,
        registration("ann@example.com", &longest, "CLIENT"),
        None,
    )
    .await
    .data();
    let almost = format!("{}z", &longest[..127]);
    let wrong = app
        .gql(
            LOGIN,
            json!({ "input": { "email": "ann@example.com", "password": almost } }),
            None,
        )
        .await;
    assert_eq!(wrong.code(), "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_email_and_name_name_their_field() {
    let app = TestApp::new().await;
    let reply = app
        .gql(REGISTER, registration("not-an-email", PASSWORD, "CLIENT"), None)
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert_eq!(reply.body["errors"][0]["extensions"]["field"], "email");
    let blank_name = json!({ "input": { "email": "a@example.com", "password": PASSWORD, "name": "  ", "role": "CLIENT" } });
    let reply = app.gql(REGISTER, blank_name, None).await;
    assert_eq!(reply.body["errors"][0]["extensions"]["field"], "name");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_refuses_unknown_email_and_wrong_password_alike() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let ok = app
        .gql(
            LOGIN,
            json!({ "input": { "email": "ANN@example.com", "password": PASSWORD } }),
            None,
        )
        .await;
    assert_eq!(ok.data()["login"]["user"]["id"], ann.id.as_str());

    let wrong = app
        .gql(
            LOGIN,
            json!({ "input": { "email": "ann@example.com", "password": "wrong password" } }),
            None,
        )
        .await;
    let unknown = app
        .gql(
            LOGIN,
            json!({ "input": { "email": "bob@example.com", "password": PASSWORD } }),
            None,
        )
        .await;
    let malformed = app
        .gql(
            LOGIN,
            json!({ "input": { "email": "bob", "password": PASSWORD } }),
            None,
        )
        .await;
    for reply in [&wrong, &unknown, &malformed] {
        assert_eq!(reply.code(), "UNAUTHENTICATED");
        assert_eq!(
            reply.body["errors"][0]["message"],
            wrong.body["errors"][0]["message"]
        );
        assert!(reply.body["data"].is_null());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn blocked_accounts_cannot_sign_in_and_lose_their_sessions() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    app.sql(&format!(
        "UPDATE users SET blocked_at = created_at WHERE email = '{}'",
        ann.email
    ))
    .await;
    let reply = app
        .gql(
            LOGIN,
            json!({ "input": { "email": "ann@example.com", "password": PASSWORD } }),
            None,
        )
        .await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
    let refresh = app
        .gql(
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
            json!({ "t": ann.refresh }),
            None,
        )
        .await;
    assert_eq!(refresh.code(), "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread")]
async fn private_fields_resolve_only_for_self_and_admins() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let bob = app.register("bob@example.com", "FREELANCER").await;
    let query = "query($id: ID!) { user(id: $id) { id name email updatedAt role } }";

    let own = app.gql(query, json!({ "id": ann.id }), Some(&ann.access)).await;
    assert_eq!(own.data()["user"]["email"], "ann@example.com");

    for token in [Some(bob.access.as_str()), None] {
        let other = app.gql(query, json!({ "id": ann.id }), token).await;
        assert_eq!(other.data()["user"]["name"], "Test User");
        assert!(other.data()["user"]["email"].is_null());
        assert!(other.data()["user"]["updatedAt"].is_null());
    }

    let outcome = ensure_super_admin(&app.state, "Root@Example.com", PASSWORD.to_owned())
        .await
        .unwrap();
    assert_eq!(outcome, AdminOutcome::Created);
    let again = ensure_super_admin(&app.state, "root@example.com", PASSWORD.to_owned())
        .await
        .unwrap();
    assert_eq!(again, AdminOutcome::AlreadyExists);
    let admin = app.login("root@example.com").await;
    let seen = app.gql(query, json!({ "id": ann.id }), Some(&admin.access)).await;
    assert_eq!(seen.data()["user"]["email"], "ann@example.com");
    let me = app.gql("{ me { role } }", json!({}), Some(&admin.access)).await;
    assert_eq!(me.data()["me"]["role"], "SUPER_ADMIN");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_user_ids_are_null_and_malformed_ones_bad_input() {
    let app = TestApp::new().await;
    let query = "query($id: ID!) { user(id: $id) { id } }";
    let ann = app.register("ann@example.com", "CLIENT").await;
    // A project's id given where a user's is expected names no user.
    for id in [
        unknown_id::<agora::db::UserId>(),
        unknown_id::<agora::db::ProjectId>(),
    ] {
        let reply = app.gql(query, json!({ "id": id }), None).await;
        assert!(reply.body["errors"].is_null());
        assert!(reply.data()["user"].is_null());
    }
    let known = app.gql(query, json!({ "id": ann.id }), None).await;
    assert_eq!(known.data()["user"]["id"], ann.id.as_str());
    for id in MALFORMED_IDS {
        let reply = app.gql(query, json!({ "id": id }), None).await;
        assert_eq!(
            (reply.code(), reply.field()),
            ("BAD_USER_INPUT", Some("id")),
            "{id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn look_alike_emails_are_refused_and_create_nothing() {
    let app = TestApp::new().await;
    app.register("admin@example.com", "CLIENT").await;
    let long_local = format!("{}@example.com", "a".repeat(65));
    for email in [
        "admin\u{200B}@example.com",
        "\u{202E}nimda@example.com",
        "ＡＤＭＩＮ@example.com",
        "admin@[127.0.0.1]",
        "admin@127.0.0.1",
        long_local.as_str(),
    ] {
        let reply = app
            .gql(REGISTER, registration(email, PASSWORD, "CLIENT"), None)
            .await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{email:?}: {}", reply.body);
        assert_eq!(reply.field(), Some("email"), "{email:?}");
    }
    let users = app.column("SELECT email AS v FROM users").await;
    assert_eq!(users, [Some("admin@example.com".to_owned())]);
    let mail = app.column("SELECT recipient AS v FROM mail_outbox").await;
    assert_eq!(mail, [Some("admin@example.com".to_owned())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fullwidth_domain_is_the_ascii_domain() {
    let app = TestApp::new().await;
    let ann = app.register("ann@ｅｘａｍｐｌｅ.com", "CLIENT").await;
    assert_eq!(ann.email, "ann@example.com");
    let again = app
        .gql(
            REGISTER,
            registration("ann@example.com", PASSWORD, "FREELANCER"),
            None,
        )
        .await;
    assert_eq!(again.code(), "CONFLICT");
    assert_eq!(again.field(), Some("email"));
    assert_eq!(app.login("ANN@EXAMPLE.COM").await.id, ann.id);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_accented_address_signs_in_in_any_normalisation() {
    let app = TestApp::new().await;
    let nfc = "jos\u{e9}@ex\u{e4}mple.de";
    let nfd = "jose\u{301}@exa\u{308}mple.de";
    let jose = app.register(nfc, "CLIENT").await;
    assert_eq!(jose.email, "jos\u{e9}@xn--exmple-cua.de");
    let again = app.login(nfd).await;
    assert_eq!(again.id, jose.id);
    assert_eq!(again.email, jose.email);
}
