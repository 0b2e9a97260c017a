//! The access log: one JSON line per request with its GraphQL operation,
//! error codes and viewer, and never a token, a password or a variable.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use crate::common::{PASSWORD, TestApp, row_id};

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
    /// The access-log lines so far, parsed.
    fn lines(&self) -> Vec<Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["target"] == "agora::access")
            .collect()
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn one_line_per_request_with_operation_codes_and_viewer() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let me = app
        .gql("query Me { me { id } }", json!({}), Some(&ann.access))
        .await;
    assert_eq!(me.data()["me"]["id"], ann.id.as_str());
    let wrong = app
        .gql(
            "mutation SignIn($p: String!) { login(input: {email: \"ann@example.com\", password: $p}) { accessToken } }",
            json!({ "p": "not the password at all" }),
            None,
        )
        .await;
    assert_eq!(wrong.code(), "UNAUTHENTICATED");
    let get = Request::get("/graphql?query=%7B__typename%7D&variables=%7B%22secret%22%3A1%7D")
        .body(Body::empty())
        .unwrap();
    app.send(get).await;

    let lines = captured.lines();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let me_line = lines.iter().find(|l| l["operation"] == "Me").unwrap();
    assert_eq!(me_line["method"], "POST");
    assert_eq!(me_line["path"], "/graphql");
    assert_eq!(me_line["status"], 200);
    assert_eq!(me_line["operation_type"], "query");
    assert_eq!(me_line["user_id"], row_id(&ann.id));
    assert_eq!(me_line["error_codes"], "");
    assert!(!me_line["request_id"].as_str().unwrap().is_empty());
    assert!(me_line["latency_ms"].as_str().unwrap().parse::<f64>().unwrap() >= 0.0);
    let failed = lines.iter().find(|l| l["operation"] == "SignIn").unwrap();
    assert_eq!(failed["operation_type"], "mutation");
    assert_eq!(failed["error_codes"], "UNAUTHENTICATED");
    assert_eq!(failed["user_id"], "");
    let get_line = lines.iter().find(|l| l["method"] == "GET").unwrap();
    assert_eq!(get_line["path"], "/graphql", "no query string");

    let text = captured.text();
    for secret in [
        ann.access.as_str(),
        ann.refresh.as_str(),
        PASSWORD,
        "not the password at all",
        "secret",
    ] {
        assert!(!text.contains(secret), "the log holds {secret:?}");
    }
}
