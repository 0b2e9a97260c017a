//! Refresh rotation and reuse, concurrent refresh, logout, listing and revoking sessions.

use serde_json::json;

use crate::common::{TestApp, unknown_id};

const REFRESH: &str = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken expiresIn user { id } } }";
const ME: &str = "{ me { id } }";

#[tokio::test(flavor = "multi_thread")]
async fn refresh_rotates_and_spends_the_old_token() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let reply = app.gql(REFRESH, json!({ "t": ann.refresh }), None).await;
    let payload = &reply.data()["refreshToken"];
    assert_eq!(payload["user"]["id"], ann.id.as_str());
    let new_refresh = payload["refreshToken"].as_str().unwrap();
    assert_ne!(new_refresh, ann.refresh);
    let new_access = payload["accessToken"].as_str().unwrap();
    assert_eq!(
        app.gql(ME, json!({}), Some(new_access)).await.data()["me"]["id"],
        ann.id.as_str()
    );
    // The same session goes on: the old access token still works until it expires.
    assert_eq!(
        app.gql(ME, json!({}), Some(&ann.access)).await.data()["me"]["id"],
        ann.id.as_str()
    );
    let next = app.gql(REFRESH, json!({ "t": new_refresh }), None).await;
    assert!(next.data()["refreshToken"]["refreshToken"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_refresh_token_ends_the_whole_session() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let rotated = app.gql(REFRESH, json!({ "t": ann.refresh }), None).await;
    let current_refresh = rotated.data()["refreshToken"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let current_access = rotated.data()["refreshToken"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    // Let the race grace pass, as if the replay came a minute later.
    app.sql(&backdate_used_at(app.backend())).await;

    let replay = app.gql(REFRESH, json!({ "t": ann.refresh }), None).await;
    assert_eq!(replay.code(), "UNAUTHENTICATED");
    let after = app.gql(REFRESH, json!({ "t": current_refresh }), None).await;
    assert_eq!(
        after.code(),
        "UNAUTHENTICATED",
        "the session's live token died too"
    );
    let me = app.gql(ME, json!({}), Some(&current_access)).await;
    assert_eq!(me.code(), "UNAUTHENTICATED");
    assert_eq!(me.status, 401);
}

fn backdate_used_at(backend: &str) -> String {
    match backend {
        "postgres" => {
            "UPDATE refresh_tokens SET used_at = used_at - interval '1 minute' WHERE used_at IS NOT NULL"
                .into()
        }
        _ => "UPDATE refresh_tokens SET used_at = '2000-01-01T00:00:00.000000Z' WHERE used_at IS NOT NULL"
            .into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_refresh_tokens_are_refused() {
    let app = TestApp::new().await;
    let reply = app.gql(REFRESH, json!({ "t": "made-up" }), None).await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread")]
async fn of_two_concurrent_refreshes_exactly_one_wins() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let vars = json!({ "t": ann.refresh });
    let (a, b) = tokio::join!(
        app.gql(REFRESH, vars.clone(), None),
        app.gql(REFRESH, vars.clone(), None)
    );
    let winners: Vec<_> = [&a, &b]
        .into_iter()
        .filter(|r| r.body.get("errors").is_none())
        .collect();
    let losers: Vec<_> = [&a, &b]
        .into_iter()
        .filter(|r| r.code() == "UNAUTHENTICATED")
        .collect();
    assert_eq!((winners.len(), losers.len()), (1, 1), "{} / {}", a.body, b.body);
    // A client racing itself is not punished: the winner's session goes on.
    let next = winners[0].body["data"]["refreshToken"]["refreshToken"]
        .as_str()
        .unwrap();
    app.gql(REFRESH, json!({ "t": next }), None).await.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_kills_access_and_refresh_tokens_of_that_session_only() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let phone = app.login("ann@example.com").await;
    let reply = app.gql("mutation { logout }", json!({}), Some(&ann.access)).await;
    assert_eq!(reply.data()["logout"], true);

    assert_eq!(
        app.gql(ME, json!({}), Some(&ann.access)).await.code(),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.gql(REFRESH, json!({ "t": ann.refresh }), None).await.code(),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.gql(ME, json!({}), Some(&phone.access)).await.data()["me"]["id"],
        ann.id.as_str()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_of_all_sessions_ends_every_device() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let phone = app.login("ann@example.com").await;
    let bob = app.register("bob@example.com", "CLIENT").await;
    app.gql(
        "mutation { logout(allSessions: true) }",
        json!({}),
        Some(&ann.access),
    )
    .await
    .data();
    for account in [&ann, &phone] {
        assert_eq!(
            app.gql(ME, json!({}), Some(&account.access)).await.code(),
            "UNAUTHENTICATED"
        );
        assert_eq!(
            app.gql(REFRESH, json!({ "t": account.refresh }), None)
                .await
                .code(),
            "UNAUTHENTICATED"
        );
    }
    assert_eq!(
        app.gql(ME, json!({}), Some(&bob.access)).await.data()["me"]["id"],
        bob.id.as_str()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_needs_a_session() {
    let app = TestApp::new().await;
    let reply = app.gql("mutation { logout }", json!({}), None).await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
    let reply = app.gql("{ mySessions { id } }", json!({}), None).await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
}

const SESSIONS: &str = "{ mySessions { id current createdAt lastUsedAt expiresAt userAgent ip } }";

#[tokio::test(flavor = "multi_thread")]
async fn sessions_are_listed_and_revoked_by_their_owner_only() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let phone = app.login("ann@example.com").await;
    let bob = app.register("bob@example.com", "FREELANCER").await;

    let listed = app.gql(SESSIONS, json!({}), Some(&ann.access)).await;
    let sessions = listed.data()["mySessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let other = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let revoke = "mutation($id: ID!) { revokeSession(id: $id) { id current } }";
    let not_a_session = unknown_id::<agora::db::ProjectId>();
    for id in [other.as_str(), not_a_session.as_str()] {
        let stolen = app.gql(revoke, json!({ "id": id }), Some(&bob.access)).await;
        assert_eq!(stolen.code(), "NOT_FOUND");
    }
    let malformed = app
        .gql(revoke, json!({ "id": "not-an-id" }), Some(&bob.access))
        .await;
    assert_eq!(
        (malformed.code(), malformed.field()),
        ("BAD_USER_INPUT", Some("id"))
    );
    assert_eq!(
        app.gql(ME, json!({}), Some(&phone.access)).await.data()["me"]["id"],
        ann.id.as_str()
    );

    let revoked = app.gql(revoke, json!({ "id": other }), Some(&ann.access)).await;
    assert_eq!(revoked.data()["revokeSession"]["id"], other.as_str());
    assert_eq!(
        app.gql(ME, json!({}), Some(&phone.access)).await.code(),
        "UNAUTHENTICATED"
    );
    let again = app.gql(revoke, json!({ "id": other }), Some(&ann.access)).await;
    assert_eq!(again.code(), "NOT_FOUND");
    let left = app.gql(SESSIONS, json!({}), Some(&ann.access)).await;
    let left = left.data()["mySessions"].as_array().unwrap().clone();
    assert_eq!(left.len(), 1);

    // Revoking the current session is a logout.
    let current = left[0]["id"].as_str().unwrap();
    let revoked = app.gql(revoke, json!({ "id": current }), Some(&ann.access)).await;
    assert_eq!(revoked.data()["revokeSession"]["current"], true);
    assert_eq!(
        app.gql(ME, json!({}), Some(&ann.access)).await.code(),
        "UNAUTHENTICATED"
    );
    let refresh = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }";
    let reply = app.gql(refresh, json!({ "t": ann.refresh }), None).await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
    let details = app
        .column("SELECT detail AS v FROM audit_events WHERE kind = 'LOGGED_OUT' ORDER BY created_at")
        .await;
    assert_eq!(
        details,
        [Some("OTHER_SESSION".to_owned()), Some("THIS_SESSION".to_owned())]
    );
}
