//! Prometheus metrics (`METRICS_ADDR`): requests are counted by route,
//! method and status, GraphQL operations by name, type and outcome, errors
//! by code; the pool and the process are reported; scraped as Prometheus
//! does, through the metrics router and through the real listener.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

use crate::common::TestApp;

/// One sample of a scrape: its name and labels, and its value.
type Sample = (String, BTreeMap<String, String>, f64);

/// The scrape's samples; every line is a comment or a sample.
fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line:?}"));
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line:?}"));
            let Some((name, labels)) = series.split_once('{') else {
                return (series.to_owned(), BTreeMap::new(), value);
            };
            let mut parsed = BTreeMap::new();
            let mut rest = labels.strip_suffix('}').unwrap_or_else(|| panic!("{line:?}"));
            while !rest.is_empty() {
                let (label, tail) = rest.split_once("=\"").unwrap_or_else(|| panic!("{line:?}"));
                let mut text = String::new();
                let mut chars = tail.char_indices();
                let end = loop {
                    match chars.next() {
                        Some((_, '\\')) => match chars.next() {
                            Some((_, 'n')) => text.push('\n'),
                            Some((_, c)) => text.push(c),
                            None => panic!("{line:?}"),
                        },
                        Some((i, '"')) => break i,
                        Some((_, c)) => text.push(c),
                        None => panic!("unterminated label in {line:?}"),
                    }
                };
                parsed.insert(label.to_owned(), text);
                rest = tail[end + 1..].trim_start_matches(',');
            }
            (name.to_owned(), parsed, value)
        })
        .collect()
}

/// The value of the one sample `name{labels}` (exactly these labels).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let found: Vec<f64> = samples
        .iter()
        .filter(|(n, l, _)| n == name && *l == wanted)
        .map(|(_, _, v)| *v)
        .collect();
    assert!(found.len() <= 1, "{name}{labels:?} appears twice");
    found.first().copied()
}

/// `GET /metrics` on the app's metrics router: the content type and the body.
async fn scrape(app: &TestApp) -> (String, String) {
    let router = agora::metrics::router(&app.state).expect("metrics are on");
    let request = Request::get("/metrics").body(Body::empty()).unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (content_type, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn metrics_app(vars: &[(&str, &str)]) -> TestApp {
    TestApp::with_env(&[&[("METRICS_ADDR", "127.0.0.1:0")], vars].concat()).await
}

async fn get(app: &TestApp, uri: &str) -> axum::http::StatusCode {
    app.send(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .status
}

fn operations(name: &str, kind: &str, outcome: &str) -> [(&'static str, String); 3] {
    [
        ("name", name.to_owned()),
        ("type", kind.to_owned()),
        ("outcome", outcome.to_owned()),
    ]
}

fn count(samples: &[Sample], name: &str, labels: &[(&'static str, String)]) -> Option<f64> {
    let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
    value(samples, name, &labels)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scrape_counts_requests_operations_and_errors() {
    let app = metrics_app(&[]).await;
    for _ in 0..2 {
        app.gql("query Hello { __typename }", json!({}), None)
            .await
            .data();
    }
    app.gql("{ __typename }", json!({}), None).await.data();
    let unauthenticated = app.gql("query Me { mySessions { id } }", json!({}), None).await;
    assert_eq!(unauthenticated.code(), "UNAUTHENTICATED");
    let invalid = app.gql("query Broken { noSuchField }", json!({}), None).await;
    assert_eq!(invalid.code(), "GRAPHQL_VALIDATION_FAILED");
    let bad_token = app
        .gql("query Hello { __typename }", json!({}), Some("not-a-token"))
        .await;
    assert_eq!(
        (bad_token.status.as_u16(), bad_token.code()),
        (401, "UNAUTHENTICATED")
    );
    let malformed = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from("{\"query\": "))
        .unwrap();
    let malformed = app.send(malformed).await;
    assert_eq!(
        (malformed.status.as_u16(), malformed.code()),
        (400, "BAD_REQUEST")
    );
    assert_eq!(get(&app, "/health/live").await, 200);
    assert_eq!(get(&app, "/no/such/path").await, 404);
    assert_eq!(get(&app, "/files/avatars/none.png").await, 404);

    let (content_type, text) = scrape(&app).await;
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    let samples = parse(&text);
    let ops = "agora_graphql_operations_total";
    for (name, kind, outcome, n) in [
        ("Hello", "query", "ok", 2.0),
        ("(anonymous)", "query", "ok", 1.0),
        ("Me", "query", "error", 1.0),
        ("Broken", "query", "refused", 1.0),
        // Refused before the document was read: no name, no type.
        ("(anonymous)", "unknown", "refused", 2.0),
    ] {
        let labels = operations(name, kind, outcome);
        assert_eq!(count(&samples, ops, &labels), Some(n), "{labels:?} in\n{text}");
    }
    let operations_total: f64 = samples.iter().filter(|s| s.0 == ops).map(|s| s.2).sum();
    assert_eq!(operations_total, 7.0, "every GraphQL request once, nothing else");
    for (code, n) in [
        ("UNAUTHENTICATED", 2.0),
        ("GRAPHQL_VALIDATION_FAILED", 1.0),
        ("BAD_REQUEST", 1.0),
    ] {
        assert_eq!(
            value(&samples, "agora_graphql_errors_total", &[("code", code)]),
            Some(n),
            "{code}"
        );
    }

    let requests = "agora_http_requests_total";
    let duration = "agora_http_request_duration_seconds";
    for (route, method, status, n) in [
        ("/graphql", "POST", "200", 5.0),
        ("/graphql", "POST", "401", 1.0),
        ("/graphql", "POST", "400", 1.0),
        ("/health/live", "GET", "200", 1.0),
        ("/files/{*key}", "GET", "404", 1.0),
        ("other", "GET", "404", 1.0),
    ] {
        let labels = [("route", route), ("method", method), ("status", status)];
        assert_eq!(
            value(&samples, requests, &labels),
            Some(n),
            "{labels:?} in\n{text}"
        );
        assert_eq!(value(&samples, &format!("{duration}_count"), &labels), Some(n));
        let sum = value(&samples, &format!("{duration}_sum"), &labels).unwrap();
        assert!(sum > 0.0, "{labels:?}: sum {sum}");
        let mut buckets: Vec<(f64, f64)> = samples
            .iter()
            .filter(|(name, l, _)| {
                *name == format!("{duration}_bucket")
                    && l.len() == 4
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, l, v)| (l["le"].parse().unwrap(), *v))
            .collect();
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(buckets.len() > 10, "{buckets:?}");
        assert!(
            buckets.windows(2).all(|w| w[0].1 <= w[1].1),
            "cumulative: {buckets:?}"
        );
        assert_eq!(buckets.last(), Some(&(f64::INFINITY, n)));
    }
    let requests_total: f64 = samples.iter().filter(|s| s.0 == requests).map(|s| s.2).sum();
    assert_eq!(requests_total, 10.0, "every request once");
    assert!(!text.contains("/no/such/path"), "never the raw path");

    for family in [
        "# TYPE agora_http_requests_total counter",
        "# TYPE agora_http_request_duration_seconds histogram",
        "# TYPE agora_graphql_operations_total counter",
        "# TYPE agora_graphql_errors_total counter",
        "# TYPE agora_db_pool_size gauge",
    ] {
        assert!(text.contains(family), "{family}");
    }
    assert_eq!(value(&samples, "agora_db_pool_max_size", &[]), Some(4.0));
    let open = value(&samples, "agora_db_pool_size", &[]).unwrap();
    assert!((1.0..=4.0).contains(&open), "{open}");
    assert_eq!(value(&samples, "agora_db_pool_in_use", &[]), Some(0.0));
    assert_eq!(value(&samples, "agora_db_pool_waiting", &[]), Some(0.0));
    if cfg!(target_os = "linux") {
        assert!(value(&samples, "process_resident_memory_bytes", &[]).unwrap() > 1e6);
        assert!(value(&samples, "process_cpu_seconds_total", &[]).unwrap() > 0.0);
        assert!(value(&samples, "process_start_time_seconds", &[]).unwrap() > 1.7e9);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn operation_names_past_the_bound_count_as_one_label() {
    let app = metrics_app(&[("METRICS_MAX_OPERATION_NAMES", "2")]).await;
    for name in ["First", "Second", "Third", "First", "Fourth", "Third"] {
        app.gql(&format!("query {name} {{ __typename }}"), json!({}), None)
            .await
            .data();
    }
    app.gql("mutation Fifth { logout }", json!({}), None).await;
    let (_, text) = scrape(&app).await;
    let samples = parse(&text);
    let ops = "agora_graphql_operations_total";
    assert_eq!(
        count(&samples, ops, &operations("First", "query", "ok")),
        Some(2.0)
    );
    assert_eq!(
        count(&samples, ops, &operations("Second", "query", "ok")),
        Some(1.0)
    );
    assert_eq!(
        count(&samples, ops, &operations("(other)", "query", "ok")),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        count(&samples, ops, &operations("(other)", "mutation", "error")),
        Some(1.0),
        "{text}"
    );
    for name in ["Third", "Fourth", "Fifth"] {
        assert!(!text.contains(name), "{name} has no series:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn names_come_from_the_parsed_document() {
    let app = metrics_app(&[]).await;
    // A name label is a GraphQL name the parser read (and a route label the
    // router's pattern): text a client sends is never a label as such.
    let reply = app
        .gql("query Evil\"} 1\nx { __typename }", json!({}), None)
        .await;
    assert_eq!(reply.code(), "GRAPHQL_PARSE_FAILED");
    let (_, text) = scrape(&app).await;
    let samples = parse(&text);
    let labels = operations("(anonymous)", "unknown", "refused");
    assert_eq!(
        count(&samples, "agora_graphql_operations_total", &labels),
        Some(1.0),
        "{text}"
    );
    assert!(!text.contains("Evil"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_listener_serves_prometheus_and_stops() {
    let app = metrics_app(&[]).await;
    let listener = agora::metrics::Listener::start(&app.state)
        .await
        .unwrap()
        .expect("METRICS_ADDR is set");
    let addr = listener.local_addr();
    app.gql("query Hello { __typename }", json!({}), None)
        .await
        .data();

    let raw = |path: &str| {
        let path = path.to_owned();
        async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await?;
            let request = format!("GET {path} HTTP/1.1\r\nHost: metrics\r\nConnection: close\r\n\r\n");
            stream.write_all(request.as_bytes()).await?;
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await?;
            std::io::Result::Ok(answer)
        }
    };
    let answer = raw("/metrics").await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4; charset=utf-8"),
        "{head}"
    );
    let samples = parse(body);
    let labels = operations("Hello", "query", "ok");
    assert_eq!(
        count(&samples, "agora_graphql_operations_total", &labels),
        Some(1.0)
    );
    assert!(raw("/graphql").await.unwrap().starts_with("HTTP/1.1 404"));

    listener.stop().await;
    assert!(raw("/metrics").await.is_err(), "closed after stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_off_without_an_address_and_a_taken_one_stops_the_start() {
    let app = TestApp::new().await;
    assert!(app.state.metrics.is_none());
    assert!(agora::metrics::router(&app.state).is_none());
    assert!(
        agora::metrics::Listener::start(&app.state)
            .await
            .unwrap()
            .is_none()
    );
    app.gql("{ __typename }", json!({}), None).await.data();

    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let app = metrics_app(&[("METRICS_ADDR", addr.as_str())]).await;
    let err = agora::metrics::Listener::start(&app.state).await.unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains(&format!("METRICS_ADDR={addr}")), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_requests_count_by_method() {
    let app = metrics_app(&[]).await;
    let reply = app
        .send(
            Request::builder()
                .method(Method::GET)
                .uri("/graphql?query=query%20Q%20%7B%20__typename%20%7D")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, 200);
    let reply = app
        .send(
            Request::builder()
                .method(Method::GET)
                .uri("/graphql?query=mutation%20M%20%7B%20logout%20%7D")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, 405);
    let (_, text) = scrape(&app).await;
    let samples = parse(&text);
    let get = |status| [("route", "/graphql"), ("method", "GET"), ("status", status)];
    assert_eq!(
        value(&samples, "agora_http_requests_total", &get("200")),
        Some(1.0)
    );
    assert_eq!(
        value(&samples, "agora_http_requests_total", &get("405")),
        Some(1.0)
    );
    let ops = "agora_graphql_operations_total";
    assert_eq!(count(&samples, ops, &operations("Q", "query", "ok")), Some(1.0));
    // Refused over GET before it ran: its note was replaced by the refusal's.
    let refused = operations("(anonymous)", "unknown", "refused");
    assert_eq!(count(&samples, ops, &refused), Some(1.0), "{text}");
    assert_eq!(
        value(
            &samples,
            "agora_graphql_errors_total",
            &[("code", "METHOD_NOT_ALLOWED")]
        ),
        Some(1.0)
    );
}
