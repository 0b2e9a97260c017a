//! Documents named by hash: Apollo's automatic persisted queries (an
//! unknown hash, then registration, then the hash alone, over POST and GET),
//! and trusted documents under `enforce` and `audit`, over HTTP and the
//! WebSocket.

use std::io::Write;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use futures_util::SinkExt;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{Reply, TestApp};
use crate::websocket::{connect, next_message, serve};

const TYPENAME: &str = "query Hello { __typename }";
const SIGN_OUT: &str = "mutation Out { logout(allSessions: true) }";

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn post(app: &TestApp, body: Value) -> Reply {
    app.send(
        Request::builder()
            .method(Method::POST)
            .uri("/graphql")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

async fn get(app: &TestApp, params: &[(&str, String)]) -> Reply {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)))
        .collect();
    app.send(
        Request::builder()
            .method(Method::GET)
            .uri(format!("/graphql?{}", query.join("&")))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

fn apq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// A manifest file holding `documents`, as graphql-codegen writes it.
fn manifest(documents: &[&str]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let map: serde_json::Map<String, Value> = documents
        .iter()
        .map(|d| (sha256(d), Value::String(d.to_string())))
        .collect();
    file.write_all(Value::Object(map).to_string().as_bytes()).unwrap();
    file
}

#[tokio::test]
async fn apollo_automatic_persisted_queries_round_trip() {
    let app = TestApp::new().await;
    let hash = sha256(TYPENAME);

    // The hash alone: unknown, a 200 the client answers by sending the document.
    let reply = post(&app, json!({ "extensions": apq(&hash) })).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.code(), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(reply.message(), "PersistedQueryNotFound");
    assert_eq!(
        reply.headers["cache-control"],
        "private, no-cache, must-revalidate"
    );

    // A document that is not the hash's is refused, and not registered.
    let reply = post(
        &app,
        json!({ "query": "{ __typename }", "extensions": apq(&hash) }),
    )
    .await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::BAD_REQUEST, "BAD_REQUEST")
    );

    // The hash with its document: runs, and registers.
    let reply = post(&app, json!({ "query": TYPENAME, "extensions": apq(&hash) })).await;
    assert_eq!(reply.data()["__typename"], "Query");

    // From then on the hash alone runs it, over POST and over GET.
    let reply = post(
        &app,
        json!({ "extensions": apq(&hash), "operationName": "Hello" }),
    )
    .await;
    assert_eq!(reply.data()["__typename"], "Query");
    let reply = get(&app, &[("extensions", apq(&hash).to_string())]).await;
    assert_eq!(reply.data()["__typename"], "Query");

    // A mutation registered this way still may not run over GET.
    let out = sha256(SIGN_OUT);
    let reply = post(&app, json!({ "query": SIGN_OUT, "extensions": apq(&out) })).await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
    let reply = get(&app, &[("extensions", apq(&out).to_string())]).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);

    // Malformed names are the client's error.
    let bad = json!({ "persistedQuery": { "version": 2, "sha256Hash": hash } });
    let reply = post(&app, json!({ "extensions": bad })).await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::BAD_REQUEST, "BAD_REQUEST")
    );
    let reply = post(&app, json!({ "documentId": "md5:abc" })).await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::BAD_REQUEST, "BAD_REQUEST")
    );
    // Raw documents still run with TRUSTED_DOCUMENTS off.
    assert_eq!(
        app.gql("{ __typename }", json!({}), None).await.data()["__typename"],
        "Query"
    );
}

#[tokio::test]
async fn enforce_runs_only_the_manifest_over_http() {
    let file = manifest(&[TYPENAME, SIGN_OUT]);
    let path = file.path().display().to_string();
    let app = TestApp::with_env(&[
        ("TRUSTED_DOCUMENTS", "enforce"),
        ("TRUSTED_DOCUMENTS_FILE", &path),
    ])
    .await;
    let id = format!("sha256:{}", sha256(TYPENAME));

    let reply = post(&app, json!({ "documentId": id })).await;
    assert_eq!(reply.data()["__typename"], "Query");
    let reply = get(&app, &[("documentId", id.clone())]).await;
    assert_eq!(reply.data()["__typename"], "Query");
    // Apollo's persisted-query link names manifest documents the same way.
    let reply = post(&app, json!({ "extensions": apq(&sha256(TYPENAME)) })).await;
    assert_eq!(reply.data()["__typename"], "Query");
    // In a batch-free request, any other document is refused before it runs.
    let reply = app.gql(TYPENAME, json!({}), None).await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::BAD_REQUEST, "PERSISTED_QUERY_REQUIRED")
    );
    let other = format!("sha256:{}", sha256("{ me { id } }"));
    let reply = post(&app, json!({ "documentId": other })).await;
    assert_eq!(reply.code(), "PERSISTED_QUERY_NOT_FOUND");
    // Registration is off: a hash with its document is still not found.
    let reply = post(
        &app,
        json!({ "query": "{ me { id } }", "extensions": apq(&sha256("{ me { id } }")) }),
    )
    .await;
    assert_eq!(reply.code(), "PERSISTED_QUERY_NOT_FOUND");
    // A trusted mutation runs over POST, never over GET.
    let out = format!("sha256:{}", sha256(SIGN_OUT));
    assert_eq!(
        post(&app, json!({ "documentId": out })).await.code(),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        get(&app, &[("documentId", out)]).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    // Under application/graphql-response+json an unknown id is a 4xx.
    let reply = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/graphql")
                .header("content-type", "application/json")
                .header("accept", "application/graphql-response+json")
                .body(Body::from(json!({ "documentId": other }).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::BAD_REQUEST, "PERSISTED_QUERY_NOT_FOUND")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_websocket_resolves_document_ids_too() {
    let file = manifest(&[TYPENAME]);
    let path = file.path().display().to_string();
    let app = TestApp::with_env(&[
        ("TRUSTED_DOCUMENTS", "enforce"),
        ("TRUSTED_DOCUMENTS_FILE", &path),
    ])
    .await;
    let addr = serve(&app).await;
    let (mut socket, ack) = connect(addr, json!({})).await;
    assert_eq!(ack["type"], "connection_ack");

    let id = format!("sha256:{}", sha256(TYPENAME));
    let message = json!({ "id": "1", "type": "subscribe", "payload": { "documentId": id } });
    socket.send(Message::text(message.to_string())).await.unwrap();
    let reply = next_message(&mut socket).await;
    assert_eq!(
        (reply["type"].as_str(), reply["id"].as_str()),
        (Some("next"), Some("1")),
        "{reply}"
    );
    assert_eq!(reply["payload"]["data"]["__typename"], "Query");
    assert_eq!(next_message(&mut socket).await["type"], "complete");

    let message = json!({ "id": "2", "type": "subscribe", "payload": { "query": TYPENAME } });
    socket.send(Message::text(message.to_string())).await.unwrap();
    let reply = next_message(&mut socket).await;
    let errors = if reply["type"] == "error" {
        reply["payload"].clone()
    } else {
        reply["payload"]["errors"].clone()
    };
    assert_eq!(
        errors[0]["extensions"]["code"], "PERSISTED_QUERY_REQUIRED",
        "{reply}"
    );
}

#[tokio::test]
async fn audit_runs_every_document() {
    let file = manifest(&[TYPENAME]);
    let path = file.path().display().to_string();
    let app = TestApp::with_env(&[("TRUSTED_DOCUMENTS", "audit"), ("TRUSTED_DOCUMENTS_FILE", &path)]).await;
    let id = format!("sha256:{}", sha256(TYPENAME));
    assert_eq!(
        post(&app, json!({ "documentId": id })).await.data()["__typename"],
        "Query"
    );
    assert_eq!(
        app.gql("{ __typename }", json!({}), None).await.data()["__typename"],
        "Query"
    );
    let hash = sha256("{ me { id } }");
    let reply = post(
        &app,
        json!({ "query": "{ me { id } }", "extensions": apq(&hash) }),
    )
    .await;
    assert_eq!(reply.data()["me"], Value::Null);
}

#[test]
fn a_manifest_is_required_and_must_parse() {
    let refused = |vars: &[(&str, &str)]| {
        let vars: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain([("JWT_SECRET".to_string(), crate::common::JWT_SECRET.to_string())])
            .collect();
        agora::config::Config::from_lookup(|k| vars.get(k).cloned())
            .and_then(|config| {
                agora::persisted::Documents::load(
                    config.trusted_documents.mode,
                    config.trusted_documents.file.as_deref(),
                )
            })
            .err()
            .map(|e| (e.name, e.reason))
    };
    let (name, reason) = refused(&[("TRUSTED_DOCUMENTS", "enforce")]).unwrap();
    assert_eq!(name, "TRUSTED_DOCUMENTS_FILE");
    assert!(reason.contains("required"), "{reason}");
    assert_eq!(
        refused(&[("TRUSTED_DOCUMENTS", "sometimes")]).unwrap().0,
        "TRUSTED_DOCUMENTS"
    );

    let broken = manifest(&["query { oops"]);
    let path = broken.path().display().to_string();
    let (name, reason) = refused(&[
        ("TRUSTED_DOCUMENTS", "enforce"),
        ("TRUSTED_DOCUMENTS_FILE", &path),
    ])
    .unwrap();
    assert_eq!(name, "TRUSTED_DOCUMENTS_FILE");
    assert!(reason.contains("does not parse"), "{reason}");
    let (_, reason) = refused(&[
        ("TRUSTED_DOCUMENTS", "audit"),
        ("TRUSTED_DOCUMENTS_FILE", "/nonexistent.json"),
    ])
    .unwrap();
    assert!(reason.contains("cannot read"), "{reason}");
}
