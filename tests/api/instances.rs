//! Several instances on one PostgreSQL database: a session ended on one is
//! refused, announced and closed on every other within a second. (On
//! SQLite there is one instance per database, and events stay in-process.)

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use agora::db::{Backend, Pool};
use agora::events::{self, Event};
use agora::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use futures_util::StreamExt;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::TestApp;
use crate::websocket::{connect, next_message};

/// Another instance of `app`'s application: its own pool, caches and bus.
fn second_instance(app: &TestApp) -> (AppState, Router) {
    let pool = Pool::new(&Backend::from_url(&app.state.config.database_url), 2).unwrap();
    let state = AppState::new(pool, (*app.state.config).clone()).unwrap();
    let router = agora::app(state.clone());
    (state, router)
}

async fn me(router: &Router, token: &str) -> Value {
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(json!({ "query": "{ me { id } }" }).to_string()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_ended_on_one_instance_ends_on_every_other_within_a_second() {
    let a = TestApp::new().await;
    if a.backend() != "postgres" {
        return;
    }
    let (b, b_router) = second_instance(&a);
    for state in [&a.state, &b] {
        events::listen(state).unwrap().ready().await;
    }
    let ann = a.register("ann@example.com", "CLIENT").await;
    // B trusts the token, and caches the check for seconds.
    assert_eq!(
        me(&b_router, &ann.access).await["data"]["me"]["id"],
        ann.id.as_str()
    );
    let mut announced = b.events.subscribe().boxed();
    // A socket on B.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = b_router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    let (mut socket, ack) = connect(addr, json!({ "authorization": format!("Bearer {}", ann.access) })).await;
    assert_eq!(ack["type"], "connection_ack");

    let started = Instant::now();
    a.gql("mutation { logout }", json!({}), Some(&ann.access))
        .await
        .data();

    let event = tokio::time::timeout(Duration::from_secs(1), announced.next()).await;
    let session_id = a.state.keys.verify_access(&ann.access).unwrap().session_id;
    assert_eq!(event.ok().flatten(), Some(Event::SessionEnded { session_id }));
    let refused = me(&b_router, &ann.access).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{refused}"
    );
    let closed = next_message(&mut socket).await;
    assert_eq!(
        (closed["type"].as_str(), closed["code"].as_u64()),
        (Some("close"), Some(4403))
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listening_connection_that_dies_is_replaced() {
    let a = TestApp::new().await;
    if a.backend() != "postgres" {
        return;
    }
    let (b, _) = second_instance(&a);
    for state in [&a.state, &b] {
        events::listen(state).unwrap().ready().await;
    }
    let mut announced = b.events.subscribe().boxed();
    let killed = a
        .column(
            "SELECT CAST(pg_terminate_backend(pid) AS text) AS v FROM pg_stat_activity \
             WHERE datname = current_database() AND query = 'LISTEN agora_events'",
        )
        .await;
    assert_eq!(killed.len(), 2, "both instances listened: {killed:?}");
    // Within a few seconds B listens again (and resynchronises), and hears A.
    a.register("ann@example.com", "CLIENT").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut heard_resync = false;
    loop {
        assert!(Instant::now() < deadline, "B never listened again");
        let account = a.login("ann@example.com").await;
        let session_id = a.state.keys.verify_access(&account.access).unwrap().session_id;
        a.gql("mutation { logout }", json!({}), Some(&account.access))
            .await
            .data();
        let until = tokio::time::Instant::now() + Duration::from_millis(500);
        while let Ok(Some(event)) = tokio::time::timeout_at(until, announced.next()).await {
            match event {
                Event::Resync => heard_resync = true,
                Event::SessionEnded { session_id: ended } if ended == session_id => {
                    assert!(heard_resync, "a reconnection resynchronises first");
                    return;
                }
                Event::SessionEnded { .. } => {}
            }
        }
    }
}
