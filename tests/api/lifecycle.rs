//! The account lifecycle: changing the password, deactivating (undone by
//! signing in) and deleting (erasure that keeps contracts intact).

use agora::accounts::users::ops::ensure_super_admin;
use serde_json::json;

use crate::common::{Account, PASSWORD, Reply, TestApp, row_id};
use crate::marketplace::{ACCEPT, post_project, submit};

const CHANGE: &str =
    "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
const DEACTIVATE: &str = "mutation($p: String!) { deactivateAccount(password: $p) }";
const DELETE: &str = "mutation($p: String!) { deleteAccount(password: $p) }";
const LOGIN: &str =
    "mutation($input: LoginInput!) { login(input: $input) { accessToken user { id email } } }";
const REFRESH: &str = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }";
const NEW_PASSWORD: &str = "a brand new passphrase";

pub async fn login_with(app: &TestApp, email: &str, password: &str) -> Reply {
    app.gql(
        LOGIN,
        json!({ "input": { "email": email, "password": password } }),
        None,
    )
    .await
}

/// Is this access token still accepted?
pub async fn works(app: &TestApp, account: &Account) -> bool {
    let reply = app.gql("{ me { id } }", json!({}), Some(&account.access)).await;
    match reply.code() {
        "" => reply.data()["me"]["id"] == account.id.as_str(),
        "UNAUTHENTICATED" => false,
        other => panic!("unexpected {other}: {}", reply.body),
    }
}

/// The users of every audit row of `kind`.
pub async fn audited(app: &TestApp, kind: &str) -> Vec<String> {
    let sql = format!("SELECT CAST(user_id AS text) AS v FROM audit_events WHERE kind = '{kind}'");
    app.column(&sql).await.into_iter().flatten().collect()
}

pub async fn refreshes(app: &TestApp, account: &Account) -> bool {
    let reply = app.gql(REFRESH, json!({ "t": account.refresh }), None).await;
    reply.code().is_empty()
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_password_ends_the_other_sessions_only() {
    let app = TestApp::new().await;
    let here = app.register("ann@example.com", "CLIENT").await;
    let elsewhere = app.login("ann@example.com").await;
    let bob = app.register("bob@example.com", "CLIENT").await;

    let reply = app
        .gql(
            CHANGE,
            json!({ "c": PASSWORD, "n": NEW_PASSWORD }),
            Some(&here.access),
        )
        .await;
    assert_eq!(reply.data()["changePassword"], true);
    assert_eq!(audited(&app, "PASSWORD_CHANGED").await, [row_id(&here.id)]);

    assert!(works(&app, &here).await);
    assert!(!works(&app, &elsewhere).await);
    assert!(!refreshes(&app, &elsewhere).await);
    assert!(refreshes(&app, &here).await);
    assert!(works(&app, &bob).await, "other users keep their sessions");

    let old = login_with(&app, "ann@example.com", PASSWORD).await;
    assert_eq!(old.code(), "UNAUTHENTICATED");
    let new = login_with(&app, "ann@example.com", NEW_PASSWORD).await;
    assert_eq!(new.data()["login"]["user"]["id"], here.id.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn password_change_errors_name_their_field_and_end_nothing() {
    let app = TestApp::new().await;
    let here = app.register("ann@example.com", "CLIENT").await;
    let elsewhere = app.login("ann@example.com").await;
    let cases = [
        (
            json!({ "c": "not my password", "n": NEW_PASSWORD }),
            "currentPassword",
        ),
        (json!({ "c": PASSWORD, "n": "short" }), "newPassword"),
        (json!({ "c": PASSWORD, "n": "x".repeat(129) }), "newPassword"),
        (json!({ "c": PASSWORD, "n": PASSWORD }), "newPassword"),
    ];
    for (variables, expected) in cases {
        let reply = app.gql(CHANGE, variables.clone(), Some(&here.access)).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{variables}");
        assert_eq!(reply.field(), Some(expected), "{variables}");
    }
    assert!(works(&app, &elsewhere).await);
    assert!(audited(&app, "PASSWORD_CHANGED").await.is_empty());
    login_with(&app, "ann@example.com", PASSWORD).await.data();

    let anonymous = app
        .gql(CHANGE, json!({ "c": PASSWORD, "n": NEW_PASSWORD }), None)
        .await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread")]
async fn deactivation_ends_every_session_and_signing_in_reactivates() {
    let app = TestApp::new().await;
    let here = app.register("ann@example.com", "FREELANCER").await;
    let elsewhere = app.login("ann@example.com").await;
    let bob = app.register("bob@example.com", "CLIENT").await;

    let wrong = app
        .gql(DEACTIVATE, json!({ "p": "not my password" }), Some(&here.access))
        .await;
    assert_eq!(wrong.code(), "BAD_USER_INPUT");
    assert_eq!(wrong.field(), Some("password"));
    assert!(works(&app, &here).await);

    let reply = app
        .gql(DEACTIVATE, json!({ "p": PASSWORD }), Some(&here.access))
        .await;
    assert_eq!(reply.data()["deactivateAccount"], true);
    assert_eq!(audited(&app, "ACCOUNT_DEACTIVATED").await, [row_id(&here.id)]);
    for session in [&here, &elsewhere] {
        assert!(!works(&app, session).await);
        assert!(!refreshes(&app, session).await);
    }
    // Documented: a deactivated account's public profile is still shown.
    let public = app
        .gql(
            "query($id: ID!) { user(id: $id) { name deleted } }",
            json!({ "id": here.id }),
            Some(&bob.access),
        )
        .await;
    assert_eq!(
        public.data()["user"],
        json!({ "name": "Test User", "deleted": false })
    );

    let back = app.login("ann@example.com").await;
    assert_eq!(audited(&app, "ACCOUNT_REACTIVATED").await, [row_id(&here.id)]);
    assert!(works(&app, &back).await);
    assert!(refreshes(&app, &back).await);
    assert!(!works(&app, &here).await, "old sessions stay ended");
    app.login("ann@example.com").await;
    assert_eq!(
        audited(&app, "ACCOUNT_REACTIVATED").await.len(),
        1,
        "an active account is not reactivated"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deletion_erases_the_person_but_keeps_contracts() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    let other_session = app.login("ann@example.com").await;
    app.gql(
        "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }",
        json!({ "input": { "firstName": "Ann", "lastName": "Smith", "phone": "+14155550123", "bio": "Hi",
                           "address": { "line1": "1 Main St", "city": "Austin", "country": "US" } } }),
        Some(&ann.access),
    )
    .await
    .data();
    app.gql(
        "mutation($input: CreatePortfolioItemInput!) { createPortfolioItem(input: $input) { id } }",
        json!({ "input": { "title": "Storefront" } }),
        Some(&ann.access),
    )
    .await
    .data();
    let project = post_project(&app, &client, "Storefront").await;
    let proposal = submit(&app, &ann, &project, "1200").await;
    let contract = app
        .gql(ACCEPT, json!({ "id": proposal }), Some(&client.access))
        .await;
    let contract_id = contract.data()["acceptProposal"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let wrong = app
        .gql(DELETE, json!({ "p": "not my password" }), Some(&ann.access))
        .await;
    assert_eq!(wrong.code(), "BAD_USER_INPUT");
    assert_eq!(wrong.field(), Some("password"));

    let reply = app.gql(DELETE, json!({ "p": PASSWORD }), Some(&ann.access)).await;
    assert_eq!(reply.data()["deleteAccount"], true);
    assert_eq!(audited(&app, "ACCOUNT_DELETED").await, [row_id(&ann.id)]);

    for session in [&ann, &other_session] {
        assert!(!works(&app, session).await);
        assert!(!refreshes(&app, session).await);
    }
    let traces = "SELECT recipient AS v FROM mail_outbox WHERE recipient = 'ann@example.com' \
                  UNION ALL SELECT email AS v FROM account_tokens WHERE email = 'ann@example.com'";
    assert_eq!(
        app.column(traces).await,
        Vec::<Option<String>>::new(),
        "mail and links erased"
    );
    let login = login_with(&app, "ann@example.com", PASSWORD).await;
    assert_eq!(login.code(), "UNAUTHENTICATED");

    ensure_super_admin(&app.state, "root@example.com", PASSWORD.to_owned())
        .await
        .unwrap();
    let admin = app.login("root@example.com").await;
    let profile = "query($id: ID!) { user(id: $id) { id name deleted role email firstName lastName phone bio address { city } portfolio { totalCount } } }";
    for token in [None, Some(client.access.as_str()), Some(admin.access.as_str())] {
        let reply = app.gql(profile, json!({ "id": ann.id }), token).await;
        assert_eq!(
            reply.data()["user"],
            json!({ "id": ann.id, "name": "Deleted user", "deleted": true, "role": "FREELANCER",
                    "email": null, "firstName": null, "lastName": null, "phone": null, "bio": null,
                    "address": null, "portfolio": { "totalCount": 0 } })
        );
    }

    let kept = app
        .gql(
            "query($id: ID!) { contract(id: $id) { id status freelancer { id name } proposal { id status freelancer { name } } } }",
            json!({ "id": contract_id }),
            Some(&client.access),
        )
        .await;
    let kept = &kept.data()["contract"];
    assert_eq!(kept["status"], "ACTIVE");
    assert_eq!(
        kept["freelancer"],
        json!({ "id": ann.id, "name": "Deleted user" })
    );
    assert_eq!(kept["proposal"]["id"], proposal.as_str());
    assert_eq!(kept["proposal"]["freelancer"]["name"], "Deleted user");

    let again = app.register("ann@example.com", "CLIENT").await;
    assert_ne!(again.id, ann.id);
    assert_eq!(again.email, "ann@example.com");
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_mutations_need_a_session() {
    let app = TestApp::new().await;
    for query in [DEACTIVATE, DELETE] {
        let reply = app.gql(query, json!({ "p": PASSWORD }), None).await;
        assert_eq!(reply.code(), "UNAUTHENTICATED");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_confirmations_count_as_failed_sign_ins() {
    let app = TestApp::with_env(&[("LOGIN_MAX_FAILURES", "2")]).await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let wrong = json!({ "c": "guess one", "n": NEW_PASSWORD });
    for _ in 0..2 {
        let reply = app.gql(CHANGE, wrong.clone(), Some(&ann.access)).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT");
    }
    // A right password now waits too: the account's window is full.
    let right = app
        .gql(
            CHANGE,
            json!({ "c": PASSWORD, "n": NEW_PASSWORD }),
            Some(&ann.access),
        )
        .await;
    assert_eq!(right.code(), "RATE_LIMITED");
    assert!(
        right.body["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(
        login_with(&app, "ann@example.com", PASSWORD).await.code(),
        "RATE_LIMITED"
    );
    let detail = "SELECT detail AS v FROM audit_events WHERE kind = 'LOGIN_FAILED' ORDER BY created_at";
    assert_eq!(
        app.column(detail).await,
        ["WRONG_CONFIRMATION", "WRONG_CONFIRMATION", "RATE_LIMITED"].map(|d| Some(d.to_owned()))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_right_confirmation_clears_the_failures() {
    let app = TestApp::with_env(&[("LOGIN_MAX_FAILURES", "2")]).await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let wrong = app
        .gql(DEACTIVATE, json!({ "p": "guess" }), Some(&ann.access))
        .await;
    assert_eq!(wrong.code(), "BAD_USER_INPUT");
    app.gql(
        CHANGE,
        json!({ "c": PASSWORD, "n": NEW_PASSWORD }),
        Some(&ann.access),
    )
    .await
    .data();
    for _ in 0..2 {
        let reply = app
            .gql(DEACTIVATE, json!({ "p": "guess" }), Some(&ann.access))
            .await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{}", reply.body);
    }
}
