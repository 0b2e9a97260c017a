//! GraphQL over HTTP: methods, media types, status codes, limits, headers, health.

use axum::body::Body;
use axum::http::{Method, Request};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use crate::common::TestApp;

pub fn get(uri: &str, accept: Option<&str>) -> Request<Body> {
    let mut request = Request::get(uri);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    request.body(Body::empty()).unwrap()
}

fn post(body: &str, accept: &str) -> Request<Body> {
    Request::post("/graphql")
        .header("content-type", "application/json")
        .header("accept", accept)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn get_runs_queries_and_refuses_mutations() {
    let app = TestApp::new().await;
    let reply = app.send(get("/graphql?query=%7B__typename%7D", None)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.data()["__typename"], "Query");

    let mutation = "/graphql?query=mutation%7Blogout%7D";
    let reply = app
        .send(get(mutation, Some("application/graphql-response+json")))
        .await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.headers["allow"], "POST");

    let named = "/graphql?query=query%20A%7B__typename%7D%20mutation%20B%7Blogout%7D&operationName=B";
    assert_eq!(app.send(get(named, None)).await.status, 405);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_codes_follow_the_accepted_media_type() {
    let app = TestApp::new().await;
    let modern = "application/graphql-response+json";
    let reply = app.send(post(r#"{"query":"{ me { id "}"#, modern)).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.headers["content-type"], modern);
    assert!(
        reply.body.get("data").is_none(),
        "a request error has no data: {}",
        reply.body
    );
    assert_eq!(reply.code(), "GRAPHQL_PARSE_FAILED");

    let reply = app.send(post(r#"{"query":"{ nope }"}"#, modern)).await;
    assert_eq!(reply.status, 400);

    let reply = app
        .send(post(r#"{"query":"{ nope }"}"#, "application/json"))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], "application/json");
    assert_eq!(reply.code(), "GRAPHQL_VALIDATION_FAILED");

    let reply = app.send(post(r#"{"query":"{ __typename }"}"#, modern)).await;
    assert_eq!(reply.status, 200);

    let reply = app.send(post("not json", "application/json")).await;
    assert_eq!(reply.status, 400);

    assert_eq!(
        app.send(post(r#"{"query":"{ __typename }"}"#, "text/html"))
            .await
            .status,
        406
    );
    let form = Request::post("/graphql")
        .header("content-type", "text/plain")
        .body(Body::from(r#"{"query":"{ __typename }"}"#))
        .unwrap();
    assert_eq!(app.send(form).await.status, 415);
}

#[tokio::test(flavor = "multi_thread")]
async fn batching_is_off_unless_configured() {
    let app = TestApp::new().await;
    let batch = r#"[{"query":"{ __typename }"},{"query":"{ __typename }"}]"#;
    let reply = app.send(post(batch, "application/json")).await;
    assert_eq!(reply.status, 400);

    let app = TestApp::with_env(&[("GRAPHQL_BATCH_MAX", "2")]).await;
    let reply = app.send(post(batch, "application/json")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body[1]["data"]["__typename"], "Query");
    let three = r#"[{"query":"{ __typename }"},{"query":"{ __typename }"},{"query":"{ __typename }"}]"#;
    assert_eq!(app.send(post(three, "application/json")).await.status, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn depth_alias_and_root_field_limits_hold() {
    let app = TestApp::with_env(&[("GRAPHQL_MAX_DEPTH", "2")]).await;
    app.gql("{ me { id } }", json!({}), None).await.data();
    let deep = r#"mutation { login(input: {email: "a@example.com", password: "x"}) { user { id } } }"#;
    let reply = app.gql(deep, json!({}), None).await;
    let message = reply.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("nested too deep"), "{}", reply.body);
    assert_eq!(reply.code(), "GRAPHQL_VALIDATION_FAILED");

    let app = TestApp::new().await;
    let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
    let reply = app.gql(&format!("{{ {aliases} }}"), json!({}), None).await;
    assert!(
        reply.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("aliases"),
        "{}",
        reply.body
    );
    let roots: String = (0..21).map(|_| "__typename ".to_owned()).collect();
    let reply = app.gql(&format!("{{ {roots} }}"), json!({}), None).await;
    assert!(
        reply.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("root fields"),
        "{}",
        reply.body
    );
    let fine: String = (0..20).map(|i| format!("a{i}: __typename ")).collect();
    app.gql(&format!("{{ {fine} }}"), json!({}), None).await.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn default_limits_admit_the_standard_introspection_query() {
    let app = TestApp::new().await;
    // As deep as graphql-js's getIntrospectionQuery (GraphiQL, client codegen) goes.
    let type_ref = (0..9).fold("name".to_owned(), |inner, _| format!("ofType {{ {inner} }}"));
    let query = format!("{{ __schema {{ types {{ fields {{ args {{ type {{ {type_ref} }} }} }} }} }} }}");
    app.gql(&query, json!({}), None).await.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn production_hides_the_schema_and_graphiql() {
    let secret = "production-secret-production-secret-!";
    let app = TestApp::with_env(&[
        ("APP_ENV", "production"),
        ("JWT_SECRET", secret),
        ("SMTP_URL", "smtp://127.0.0.1:25"),
        ("MAIL_FROM", "Agora <no-reply@example.com>"),
    ])
    .await;
    let reply = app.gql("{ __schema { types { name } } }", json!({}), None).await;
    assert!(
        reply.body["data"]["__schema"].is_null(),
        "introspection is off: {}",
        reply.body
    );
    assert_eq!(app.send(get("/graphiql", None)).await.status, 404);
    let reply = app.send(get("/health/live", None)).await;
    assert!(
        reply.headers["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn development_serves_graphiql_with_its_own_policy() {
    let app = TestApp::new().await;
    let reply = app.send(get("/graphiql", None)).await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.as_str().unwrap().contains("/graphiql/app.js"));
    let csp = reply.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self' https://unpkg.com")
            && !csp.contains("script-src 'self' https://unpkg.com 'unsafe-inline'")
    );
    assert_eq!(app.send(get("/graphiql/app.js", None)).await.status, 200);
}

fn graphiql_from(host: &str) -> Request<Body> {
    Request::get("/graphiql")
        .header("host", host)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn graphiql_runs_subscriptions_over_the_pages_own_socket() {
    let app = TestApp::new().await;
    let reply = app.send(graphiql_from("127.0.0.1:8080")).await;
    let csp = reply.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("connect-src 'self' ws://127.0.0.1:8080 wss://127.0.0.1:8080;"),
        "{csp}"
    );
    let reply = app.send(graphiql_from("evil; script-src *")).await;
    let csp = reply.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("connect-src 'self';") && !csp.contains("evil"),
        "{csp}"
    );

    let app_js = app.send(get("/graphiql/app.js", None)).await;
    let app_js = app_js.body.as_str().unwrap();
    assert!(
        app_js.contains("subscriptionUrl: socket + '/graphql/ws'"),
        "{app_js}"
    );
    assert!(app_js.contains("window.location.protocol === 'https:' ? 'wss://' : 'ws://'"));
}

#[tokio::test(flavor = "multi_thread")]
async fn graphiql_assets_can_be_served_locally() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("graphiql.min.js"), "/* graphiql */").unwrap();
    let app = TestApp::with_env(&[("GRAPHIQL_ASSETS_DIR", dir.path().to_str().unwrap())]).await;
    let page = app.send(get("/graphiql", None)).await;
    assert!(
        page.body
            .as_str()
            .unwrap()
            .contains("/graphiql/assets/graphiql.min.js")
    );
    assert!(!page.body.as_str().unwrap().contains("unpkg"));
    let asset = app.send(get("/graphiql/assets/graphiql.min.js", None)).await;
    assert_eq!(asset.status, 200);
    assert_eq!(asset.body, "/* graphiql */");
}

#[tokio::test(flavor = "multi_thread")]
async fn health_probes_answer() {
    let app = TestApp::new().await;
    let live = app.send(get("/health/live", None)).await;
    assert_eq!(live.body["status"], "ok");
    let ready = app.send(get("/health/ready", None)).await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["database"], app.backend());
    app.state.pool.close();
    let down = app.send(get("/health/ready", None)).await;
    assert_eq!(down.status, 503);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = TestApp::new().await;
    let reply = app
        .send(post(r#"{"query":"{ __typename }"}"#, "application/json"))
        .await;
    assert_eq!(reply.headers["x-content-type-options"], "nosniff");
    assert_eq!(reply.headers["x-frame-options"], "DENY");
    assert!(
        reply.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert_eq!(reply.headers["x-request-id"].to_str().unwrap().len(), 36);
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_admits_only_the_allow_list() {
    let app = TestApp::with_env(&[("CORS_ALLOWED_ORIGINS", "https://app.example.com")]).await;
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/graphql")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization,content-type")
            .body(Body::empty())
            .unwrap()
    };
    let allowed = app.send(preflight("https://app.example.com")).await;
    assert_eq!(
        allowed.headers["access-control-allow-origin"],
        "https://app.example.com"
    );
    let refused = app.send(preflight("https://evil.example.com")).await;
    assert!(refused.headers.get("access-control-allow-origin").is_none());

    // No list: no origin is admitted.
    let closed = TestApp::new().await;
    let refused = closed.send(preflight("https://app.example.com")).await;
    assert!(refused.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_bodies_are_refused() {
    let app = TestApp::with_env(&[("MAX_BODY_BYTES", "1024")]).await;
    let big = json!({ "query": format!("{{ __typename }} #{}", "x".repeat(2048)) }).to_string();
    let reply = app.send(post(&big, "application/json")).await;
    assert_eq!(reply.status, 413);
}

#[tokio::test(flavor = "multi_thread")]
async fn arguments_that_cannot_be_read_are_bad_input() {
    let app = TestApp::new().await;
    let account = app.register("ann@example.com", "CLIENT").await;
    for (query, variables) in [
        (
            "mutation($f: Upload!) { uploadAvatar(file: $f) { id } }",
            json!({ "f": "not a file" }),
        ),
        (
            "query($n: Int) { projects(first: $n) { totalCount } }",
            json!({ "n": "ten" }),
        ),
    ] {
        let reply = app.gql(query, variables, Some(&account.access)).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{}", reply.body);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_is_not_a_sign_out() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    app.state.pool.close();
    // The session cannot be checked: 503, not 401 (clients take 401 for
    // "sign in again").
    let reply = app.gql("{ me { id } }", json!({}), Some(&ann.access)).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.code(), "SERVICE_UNAVAILABLE");
    assert!(reply.headers.get("www-authenticate").is_none());
    assert!(reply.headers.get("retry-after").is_some());
    let anonymous = app.gql("{ projects { totalCount } }", json!({}), None).await;
    assert_eq!(anonymous.code(), "SERVICE_UNAVAILABLE", "{}", anonymous.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_lost_mid_request_is_unavailable_not_internal() {
    let app = TestApp::new().await;
    if app.backend() != "postgres" {
        return; // SQLite is a file: no connection to lose.
    }
    // A request waits on a lock held outside the pool; meanwhile its server
    // connection is ended, as a failover or a restart would.
    let url = app.state.config.database_url.clone();
    let mut outside = AsyncPgConnection::establish(&url).await.unwrap();
    for statement in ["BEGIN", "LOCK TABLE projects IN ACCESS EXCLUSIVE MODE"] {
        diesel::sql_query(statement).execute(&mut outside).await.unwrap();
    }
    let request = app.gql("{ projects { totalCount } }", json!({}), None);
    let terminate = async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        diesel::sql_query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .execute(&mut outside)
        .await
        .unwrap();
        diesel::sql_query("COMMIT").execute(&mut outside).await.unwrap();
    };
    let (reply, ()) = tokio::join!(request, terminate);
    assert_eq!(reply.code(), "SERVICE_UNAVAILABLE", "{}", reply.body);
    // Every other pooled connection died too: each fails its request the
    // same way once and is dropped, then new connections serve.
    let mut served = false;
    for _ in 0..6 {
        let reply = app.gql("{ projects { totalCount } }", json!({}), None).await;
        if reply.body.get("errors").is_none() {
            served = true;
            break;
        }
        assert_eq!(reply.code(), "SERVICE_UNAVAILABLE", "{}", reply.body);
    }
    assert!(served, "the pool recovers");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_document_is_told_apart_from_a_users_mistake() {
    let app = TestApp::new().await;
    let create = |input: &str| format!("mutation {{ createProject(input: {input}) {{ id }} }}");
    // Written in the document: the client's code is wrong.
    for document in [
        "{ nope }".to_owned(),
        "query($n: Int) { __typename }".to_owned(),
        create(r#"{title: "Shop"}"#),
        r#"{ projects(first: "ten") { totalCount } }"#.to_owned(),
    ] {
        let reply = app.gql(&document, json!({}), None).await;
        assert_eq!(
            reply.code(),
            "GRAPHQL_VALIDATION_FAILED",
            "{document}: {}",
            reply.body
        );
    }
    let reply = app.gql("{ projects(", json!({}), None).await;
    assert_eq!(reply.code(), "GRAPHQL_PARSE_FAILED");
    // Sent as values: the user's input.
    let query = "query($n: Int) { projects(first: $n) { totalCount } }";
    let reply = app.gql(query, json!({ "n": "ten" }), None).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT", "{}", reply.body);
    let mutation = "mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }";
    let reply = app.gql(mutation, json!({ "i": { "title": "Shop" } }), None).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT", "{}", reply.body);
    let nested = "mutation($t: String!) { createProject(input: {title: $t}) { id } }";
    let reply = app.gql(nested, json!({ "t": 5 }), None).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT", "{}", reply.body);
}
