//! Access tokens that must be refused: tampered, expired, misaddressed, or not access tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::common::TestApp;

const ME: &str = "{ me { id } }";

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn assert_refused(app: &TestApp, token: &str, why: &str) {
    let reply = app.gql(ME, json!({}), Some(token)).await;
    assert_eq!(reply.status, 401, "{why}: {}", reply.body);
    assert_eq!(reply.code(), "UNAUTHENTICATED", "{why}");
    assert!(
        reply.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_and_foreign_tokens_are_refused() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let secret = app.state.config.jwt_secret.expose().to_owned();
    let good = claims(&ann.access);

    // The server's own signature over the same claims is accepted (the harness is sound).
    assert_eq!(
        app.gql(ME, json!({}), Some(&sign(&good, &secret))).await.data()["me"]["id"],
        ann.id.as_str()
    );

    let header_none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(good.to_string());
    assert_refused(&app, &format!("{header_none}.{body}."), "alg none").await;
    assert_refused(
        &app,
        &sign(&good, "another-secret-another-secret-12345"),
        "wrong key",
    )
    .await;

    let mut expired = good.clone();
    expired["exp"] = json!(jsonwebtoken::get_current_timestamp() - 3600);
    assert_refused(&app, &sign(&expired, &secret), "expired").await;

    // Expiry and not-before hold to within the documented 5 s leeway.
    let now = jsonwebtoken::get_current_timestamp();
    let mut just_expired = good.clone();
    just_expired["exp"] = json!(now - 30);
    assert_refused(&app, &sign(&just_expired, &secret), "expired 30 s ago").await;
    let mut not_yet = good.clone();
    not_yet["nbf"] = json!(now + 60);
    assert_refused(&app, &sign(&not_yet, &secret), "not valid for another minute").await;
    let mut skewed = good.clone();
    skewed["nbf"] = json!(now + 2);
    assert_eq!(
        app.gql(ME, json!({}), Some(&sign(&skewed, &secret))).await.data()["me"]["id"],
        ann.id.as_str(),
        "a clock 2 s ahead is within the leeway"
    );
    assert!(good["nbf"].is_u64(), "issued tokens carry nbf: {good}");

    let mut audience = good.clone();
    audience["aud"] = json!("someone-else");
    assert_refused(&app, &sign(&audience, &secret), "wrong audience").await;

    let mut issuer = good.clone();
    issuer["iss"] = json!("evil");
    assert_refused(&app, &sign(&issuer, &secret), "wrong issuer").await;

    let mut other_user = good.clone();
    other_user["sub"] = json!(app.register("bob@example.com", "CLIENT").await.id);
    assert_refused(
        &app,
        &sign(&other_user, &secret),
        "sub of another user in ann's session",
    )
    .await;

    let mut flipped = ann.access.clone().into_bytes();
    let last = flipped.len() - 2;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    assert_refused(&app, &String::from_utf8(flipped).unwrap(), "flipped signature").await;

    assert_refused(&app, &ann.refresh, "a refresh token used as an access token").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_authorization_headers_are_refused() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    for value in [
        format!("Token {}", ann.access),
        "Bearer ".to_owned(),
        "Basic YTpi".to_owned(),
    ] {
        let request = axum::http::Request::post("/graphql")
            .header("content-type", "application/json")
            .header("authorization", value.clone())
            .body(axum::body::Body::from(json!({ "query": ME }).to_string()))
            .unwrap();
        let reply = app.send(request).await;
        assert_eq!(reply.status, 401, "{value}");
        assert_eq!(reply.code(), "UNAUTHENTICATED");
    }
}
