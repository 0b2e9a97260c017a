//! GraphQL over WebSocket on a real TCP port: authentication from
//! `connection_init`, and a session-ended subscription.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::common::TestApp;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn serve(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app
        .router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

async fn connect(addr: SocketAddr, payload: Value) -> (Socket, Value) {
    let mut request = format!("ws://{addr}/graphql/ws").into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": payload }).to_string(),
        ))
        .await
        .unwrap();
    let first = next_message(&mut socket).await;
    (socket, first)
}

async fn next_message(socket: &mut Socket) -> Value {
    let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .unwrap();
    match message {
        Some(Ok(Message::Text(text))) => serde_json::from_str(&text).unwrap(),
        Some(Ok(Message::Close(frame))) => {
            json!({ "type": "close", "code": frame.map(|f| u16::from(f.code)) })
        }
        other => panic!("unexpected message: {other:?}"),
    }
}

async fn subscribe(socket: &mut Socket, id: &str, query: &str) {
    let message = json!({ "id": id, "type": "subscribe", "payload": { "query": query } });
    socket.send(Message::text(message.to_string())).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_init_authenticates_and_session_end_is_pushed() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let addr = serve(&app).await;

    let (mut socket, ack) = connect(addr, json!({ "authorization": format!("Bearer {}", ann.access) })).await;
    assert_eq!(ack["type"], "connection_ack");

    subscribe(&mut socket, "1", "{ me { id email } }").await;
    let next = next_message(&mut socket).await;
    assert_eq!(next["type"], "next");
    assert_eq!(next["payload"]["data"]["me"]["id"], ann.id.as_str());
    assert_eq!(next_message(&mut socket).await["type"], "complete");

    subscribe(&mut socket, "2", "subscription { sessionEnded { sessionId } }").await;
    // Streams start on first poll: give the subscription a moment to register.
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.gql("mutation { logout }", json!({}), Some(&ann.access))
        .await
        .data();
    let ended = next_message(&mut socket).await;
    assert_eq!(ended["id"], "2");
    assert!(
        ended["payload"]["data"]["sessionEnded"]["sessionId"].is_string(),
        "{ended}"
    );
    assert_eq!(next_message(&mut socket).await["type"], "complete");
}

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_connections_cannot_subscribe_and_bad_tokens_are_closed() {
    let app = TestApp::new().await;
    let addr = serve(&app).await;

    let (mut socket, ack) = connect(addr, json!({})).await;
    assert_eq!(ack["type"], "connection_ack");
    subscribe(&mut socket, "1", "subscription { sessionEnded { sessionId } }").await;
    let reply = next_message(&mut socket).await;
    let code = &reply["payload"][0]["extensions"]["code"];
    assert!(reply["type"] == "error" || reply["type"] == "next", "{reply}");
    assert!(
        code == "UNAUTHENTICATED" || reply["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED",
        "{reply}"
    );

    let (_, refused) = connect(addr, json!({ "authorization": "Bearer forged" })).await;
    assert_eq!(refused["type"], "close", "{refused}");
}
