//! OpenTelemetry traces, exported to an in-process OTLP/HTTP receiver: the
//! request span continues the caller's `traceparent`, the operation span
//! (`query Me`) is its child, database statements are their descendants,
//! and no bind value, password or email reaches the collector.
//!
//! Its own test binary: it installs the global subscriber. On SQLite, or on
//! PostgreSQL when `TEST_DATABASE_URL` is set (a database of its own,
//! `agora_otel_<pid>`, dropped at the end).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use agora::config::Config;
use agora::db::{Backend, Pool, run_migrations};
use agora::state::AppState;
use agora::telemetry::{self, Telemetry};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, header};
use axum::routing::post;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use http_body_util::BodyExt;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use serde_json::{Value, json};
use tower::ServiceExt;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID: &str = "00f067aa0ba902b7";
const EMAIL: &str = "ann.otel@example.com";
const PASSWORD: &str = "correct horse battery staple";

/// What the collector was sent: each POST's content type and body.
#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<(String, Bytes)>>>);

impl Receiver {
    /// Listen on a free port; the endpoint to configure.
    async fn start(&self) -> String {
        let received = self.clone();
        let app = Router::new().route(
            "/v1/traces",
            post(move |headers: HeaderMap, body: Bytes| {
                let received = received.clone();
                async move {
                    let content_type = headers
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    received.0.lock().unwrap().push((content_type, body));
                    // An empty ExportTraceServiceResponse.
                    (
                        [(header::CONTENT_TYPE, "application/x-protobuf")],
                        Vec::<u8>::new(),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    fn requests(&self) -> Vec<ExportTraceServiceRequest> {
        let received = self.0.lock().unwrap();
        received
            .iter()
            .map(|(content_type, body)| {
                assert_eq!(content_type, "application/x-protobuf");
                ExportTraceServiceRequest::decode(body.as_ref()).unwrap()
            })
            .collect()
    }

    fn spans(&self) -> Vec<Span> {
        self.requests()
            .into_iter()
            .flat_map(|r| r.resource_spans)
            .flat_map(|r| r.scope_spans)
            .flat_map(|s| s.spans)
            .collect()
    }

    /// Every byte sent, to look for what must never leave.
    fn raw(&self) -> Vec<u8> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(_, body)| body.to_vec())
            .collect()
    }
}

fn attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn text<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    match attribute(&span.attributes, key) {
        Some(AnyValue::StringValue(s)) => Some(s),
        _ => None,
    }
}

fn number(span: &Span, key: &str) -> Option<i64> {
    match attribute(&span.attributes, key) {
        Some(AnyValue::IntValue(n)) => Some(*n),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The test's database: a SQLite file, or a PostgreSQL database of its own.
enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    async fn create() -> Self {
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            return TestDb::Sqlite(tempfile::tempdir().unwrap());
        };
        let name = format!("agora_otel_{}", std::process::id());
        let mut conn = AsyncPgConnection::establish(&admin_url).await.unwrap();
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        TestDb::Postgres { admin_url, name }
    }

    fn url(&self) -> String {
        match self {
            TestDb::Sqlite(dir) => format!("sqlite://{}", dir.path().join("agora.db").display()),
            TestDb::Postgres { admin_url, name } => with_database(admin_url, name),
        }
    }

    fn system(&self) -> &'static str {
        match self {
            TestDb::Sqlite(_) => "sqlite",
            TestDb::Postgres { .. } => "postgresql",
        }
    }

    async fn drop_database(self) {
        if let TestDb::Postgres { admin_url, name } = self {
            let mut conn = AsyncPgConnection::establish(&admin_url).await.unwrap();
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}

/// `url` naming database `name` (its query string kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[host_start..].find('/') {
        Some(slash) => &base[..host_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

async fn gql(router: &Router, query: &str, variables: Value, headers: &[(&str, String)]) -> Value {
    let mut request = Request::post("/graphql").header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let body = json!({ "query": query, "variables": variables }).to_string();
    let response = router
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_operations_and_statements_are_exported() {
    let receiver = Receiver::default();
    let endpoint = receiver.start().await;
    let db = TestDb::create().await;
    let files = tempfile::tempdir().unwrap();
    let vars = HashMap::from([
        ("DATABASE_URL", db.url()),
        ("STORAGE_URL", format!("file://{}", files.path().display())),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
    ]);
    let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let telemetry = Telemetry::start(config.otel.as_ref().unwrap()).unwrap();
    // What `server::init_logging` installs, without the log output.
    let subscriber = tracing_subscriber::registry().with(EnvFilter::new("info"));
    telemetry::install(subscriber, Some(&telemetry)).unwrap();
    assert!(telemetry::enabled());

    let pool = Pool::new(&Backend::from_url(&config.database_url), 2).unwrap();
    run_migrations(&pool).await.unwrap();
    let router = agora::app(AppState::new(pool.clone(), config).unwrap());

    let registered = gql(
        &router,
        "mutation Register($i: RegisterInput!) { register(input: $i) { accessToken } }",
        json!({ "i": { "email": EMAIL, "password": PASSWORD, "name": "Ann", "role": "CLIENT" } }),
        &[],
    )
    .await;
    let token = registered["data"]["register"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{registered}"))
        .to_owned();
    let me = gql(
        &router,
        "query Me { me { id name } }",
        json!({}),
        &[
            ("authorization", format!("Bearer {token}")),
            ("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN_ID}-01")),
        ],
    )
    .await;
    assert_eq!(me["data"]["me"]["name"], "Ann", "{me}");
    telemetry.flush().await.unwrap();

    let requests = receiver.requests();
    assert!(!requests.is_empty(), "nothing exported");
    let resource = requests[0].resource_spans[0].resource.as_ref().unwrap();
    assert!(matches!(
        attribute(&resource.attributes, "service.name"),
        Some(AnyValue::StringValue(name)) if name == "agora"
    ));

    let spans = receiver.spans();
    let by_id: HashMap<Vec<u8>, &Span> = spans.iter().map(|s| (s.span_id.clone(), s)).collect();
    let is_descendant = |span: &Span, ancestor: &Span| {
        let mut parent = span.parent_span_id.clone();
        while let Some(up) = by_id.get(&parent) {
            if up.span_id == ancestor.span_id {
                return true;
            }
            parent = up.parent_span_id.clone();
        }
        false
    };

    // The request span continues the caller's trace.
    let request = spans
        .iter()
        .find(|s| hex(&s.trace_id) == TRACE_ID && s.kind == SpanKind::Server as i32)
        .unwrap_or_else(|| panic!("no request span in the caller's trace: {spans:#?}"));
    assert_eq!(hex(&request.parent_span_id), CALLER_SPAN_ID);
    assert_eq!(request.name, "POST /graphql");
    assert_eq!(text(request, "http.request.method"), Some("POST"));
    assert_eq!(text(request, "url.path"), Some("/graphql"));
    assert_eq!(text(request, "http.route"), Some("/graphql"));
    assert_eq!(number(request, "http.response.status_code"), Some(200));

    // The operation span is its child.
    let operation = spans
        .iter()
        .find(|s| s.name == "query Me")
        .unwrap_or_else(|| panic!("no operation span: {spans:#?}"));
    assert_eq!(operation.parent_span_id, request.span_id);
    assert_eq!(operation.trace_id, request.trace_id);
    assert_eq!(text(operation, "graphql.operation.name"), Some("Me"));
    assert_eq!(text(operation, "graphql.operation.type"), Some("query"));
    assert_eq!(
        text(operation, "graphql.document"),
        Some("query Me { me { id name } }")
    );

    // Statements: under the request (the session check) and under the
    // operation (the resolver's), with their SQL and no binds.
    let statements: Vec<&Span> = spans
        .iter()
        .filter(|s| text(s, "db.system.name").is_some())
        .collect();
    assert!(
        statements
            .iter()
            .all(|s| text(s, "db.system.name") == Some(db.system()))
    );
    assert!(statements.iter().all(|s| s.kind == SpanKind::Client as i32));
    let under_operation: Vec<&&Span> = statements
        .iter()
        .filter(|s| is_descendant(s, operation))
        .collect();
    assert!(
        !under_operation.is_empty(),
        "no statement under the operation: {statements:#?}"
    );
    assert!(under_operation.iter().all(|s| is_descendant(s, request)));
    let select = under_operation
        .iter()
        .find(|s| s.name == "SELECT")
        .unwrap_or_else(|| panic!("no SELECT under the operation: {under_operation:#?}"));
    let sql = text(select, "db.query.text").unwrap();
    assert!(sql.starts_with("SELECT") && sql.contains("users"), "{sql}");
    assert_eq!(text(select, "db.operation.name"), Some("SELECT"));
    for statement in &statements {
        let sql = text(statement, "db.query.text").unwrap();
        assert!(!sql.contains("-- binds"), "{sql}");
    }

    // The sign-up had no traceparent: a trace of its own, with its INSERT.
    let register = spans
        .iter()
        .find(|s| s.name == "mutation Register")
        .unwrap_or_else(|| panic!("no Register span: {spans:#?}"));
    assert_ne!(hex(&register.trace_id), TRACE_ID);
    let root = by_id.get(&register.parent_span_id).unwrap();
    assert!(root.parent_span_id.is_empty(), "a root span");
    assert!(
        statements
            .iter()
            .any(|s| s.name == "INSERT" && is_descendant(s, register)),
        "no INSERT under Register: {statements:#?}"
    );

    // What must never reach the collector: the password, its hash, the
    // email (a bind value), the token.
    let raw = receiver.raw();
    for secret in [PASSWORD, "$argon2", EMAIL, token.as_str()] {
        assert!(!contains(&raw, secret), "{secret:?} was exported");
    }

    pool.close();
    db.drop_database().await;
}
