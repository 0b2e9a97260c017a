//! The access log: one JSON line per request with its GraphQL operation,
//! error codes and viewer, and never a token, a password or a variable; and
//! the audit of documents outside the trusted manifest.
//!
//! Its own test binary: it installs a log subscriber, which the API suite's
//! other tests, running in the same process, would otherwise disturb.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use agora::config::{Config, LogFormat};
use agora::db::{Backend, Pool, run_migrations};
use agora::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use tracing_subscriber::layer::SubscriberExt;

/// Log lines written to memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The access-log lines so far, parsed.
    fn lines(&self) -> Vec<Value> {
        self.of("agora::access")
    }

    /// The lines of one target so far, parsed.
    fn of(&self, target: &str) -> Vec<Value> {
        self.text()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["target"] == target)
            .collect()
    }
}

async fn send(router: &Router, request: Request<Body>) -> Value {
    let response = router.clone().oneshot(request).await.unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

async fn gql(router: &Router, query: &str, variables: Value, token: Option<&str>) -> Value {
    let mut request = Request::post("/graphql").header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = json!({ "query": query, "variables": variables }).to_string();
    send(router, request.body(Body::from(body)).unwrap()).await
}

#[tokio::test(flavor = "current_thread")]
async fn one_line_per_request_with_operation_codes_and_viewer() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = agora::server::log_subscriber(LogFormat::Json, false, move || writer.clone())
        .with(tracing_subscriber::EnvFilter::new("info"));
    let _guard = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().unwrap();
    let vars = [
        (
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("a.db").display()),
        ),
        (
            "STORAGE_URL",
            format!("file://{}", dir.path().join("files").display()),
        ),
    ];
    // Audited trusted documents: every document but `Me` is logged as untrusted.
    let manifest = dir.path().join("manifest.json");
    let me_query = "query Me { me { id } }";
    let me_hash = agora::persisted::sha256_hex(me_query);
    std::fs::write(&manifest, json!({ me_hash.clone(): me_query }).to_string()).unwrap();
    let vars = [
        vars,
        [
            ("TRUSTED_DOCUMENTS", "audit".to_string()),
            ("TRUSTED_DOCUMENTS_FILE", manifest.display().to_string()),
        ],
    ]
    .concat();
    let config = Config::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())).unwrap();
    let pool = Pool::new(&Backend::from_url(&config.database_url), 2).unwrap();
    run_migrations(&pool).await.unwrap();
    let router = agora::app(AppState::new(pool, config).unwrap());

    let password = "correct horse battery";
    let registered = gql(
        &router,
        "mutation Register($i: RegisterInput!) { register(input: $i) { accessToken refreshToken user { id } } }",
        json!({ "i": { "email": "ann@example.com", "password": password, "name": "Ann", "role": "CLIENT" } }),
        None,
    )
    .await;
    let access = registered["data"]["register"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let refresh = registered["data"]["register"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = registered["data"]["register"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = gql(&router, me_query, json!({}), Some(&access)).await;
    assert_eq!(me["data"]["me"]["id"], user.as_str());
    let wrong = gql(
        &router,
        "mutation SignIn($p: String!) { login(input: {email: \"ann@example.com\", password: $p}) { accessToken } }",
        json!({ "p": "not the password at all" }),
        None,
    )
    .await;
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let get = Request::get("/graphql?query=%7B__typename%7D&variables=%7B%22secret%22%3A1%7D")
        .body(Body::empty())
        .unwrap();
    send(&router, get).await;

    let lines = captured.lines();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let uuid = agora::db::GlobalId::parse(&user)
        .unwrap()
        .uuid
        .hyphenated()
        .to_string();
    let me_line = lines.iter().find(|l| l["operation"] == "Me").unwrap();
    assert_eq!(me_line["method"], "POST");
    assert_eq!(me_line["path"], "/graphql");
    assert_eq!(me_line["status"], 200);
    assert_eq!(me_line["operation_type"], "query");
    assert_eq!(me_line["user_id"], uuid);
    assert_eq!(me_line["error_codes"], "");
    assert!(!me_line["request_id"].as_str().unwrap().is_empty());
    assert!(me_line["latency_ms"].as_str().unwrap().parse::<f64>().unwrap() >= 0.0);
    let failed = lines.iter().find(|l| l["operation"] == "SignIn").unwrap();
    assert_eq!(failed["operation_type"], "mutation");
    assert_eq!(failed["error_codes"], "UNAUTHENTICATED");
    assert_eq!(failed["user_id"], "");
    let get_line = lines.iter().find(|l| l["method"] == "GET").unwrap();
    assert_eq!(get_line["path"], "/graphql", "no query string");

    let audited = captured.of("agora::trusted_documents");
    // By hash, with the request's id (its span) to find its access line.
    assert_eq!(audited.len(), 3, "{audited:#?}");
    assert!(audited.iter().all(|l| l["sha256"].as_str().unwrap().len() == 64));
    assert!(audited.iter().all(|l| l["sha256"] != me_hash.as_str()));
    assert_eq!(audited[2]["sha256"], agora::persisted::sha256_hex("{__typename}"));
    assert!(
        !audited[2]["span"]["request_id"].as_str().unwrap_or("").is_empty() || audited[2]["span"].is_null()
    );

    let text = captured.text();
    for secret in [
        access.as_str(),
        refresh.as_str(),
        password,
        "not the password at all",
        "secret",
    ] {
        assert!(!text.contains(secret), "the log holds {secret:?}");
    }
}
