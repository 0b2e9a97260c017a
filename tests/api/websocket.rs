//! GraphQL over WebSocket on a real TCP port: authentication from
//! `connection_init`, and a session-ended subscription.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::common::{Account, PASSWORD, TestApp};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn serve(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app
        .router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

pub async fn connect(addr: SocketAddr, payload: Value) -> (Socket, Value) {
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

pub async fn next_message(socket: &mut Socket) -> Value {
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
    assert_eq!(
        refused["code"], 4403,
        "graphql-ws's Forbidden, not 1002: {refused}"
    );
}

/// The messages until the socket closes (at most a few), ending with the close.
async fn until_closed(socket: &mut Socket) -> Vec<Value> {
    let mut seen = Vec::new();
    while seen.len() < 5 {
        let message = next_message(socket).await;
        let closed = message["type"] == "close";
        seen.push(message);
        if closed {
            break;
        }
    }
    seen
}

/// A signed-in socket for `account`, checked to answer `me`.
async fn signed_in_socket(addr: SocketAddr, account: &Account) -> Socket {
    let (mut socket, ack) = connect(
        addr,
        json!({ "authorization": format!("Bearer {}", account.access) }),
    )
    .await;
    assert_eq!(ack["type"], "connection_ack");
    subscribe(&mut socket, "me", "{ me { id } }").await;
    assert_eq!(
        next_message(&mut socket).await["payload"]["data"]["me"]["id"],
        account.id.as_str()
    );
    assert_eq!(next_message(&mut socket).await["type"], "complete");
    socket
}

/// After the close, nothing more runs on the socket.
async fn assert_closed_forbidden(mut socket: Socket, case: &str) {
    let seen = until_closed(&mut socket).await;
    let last = seen.last().unwrap();
    assert_eq!(last["code"], 4403, "{case}: {seen:?}");
    assert!(
        !seen
            .iter()
            .any(|m| m["type"] == "next" && m["payload"]["data"]["me"].is_object()),
        "{case}: {seen:?}"
    );
    let _ = socket
        .send(Message::text(
            json!({ "id": "late", "type": "subscribe", "payload": { "query": "{ me { id } }" } }).to_string(),
        ))
        .await;
    let after = tokio::time::timeout(Duration::from_secs(2), socket.next()).await;
    assert!(
        !matches!(after, Ok(Some(Ok(Message::Text(_))))),
        "{case}: an operation ran after the close: {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_socket_closes_when_its_session_ends() {
    let app = TestApp::new().await;
    let addr = serve(&app).await;
    let change =
        "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

    let ann = app.register("ann@example.com", "CLIENT").await;
    let socket = signed_in_socket(addr, &ann).await;
    app.gql("mutation { logout }", json!({}), Some(&ann.access))
        .await
        .data();
    assert_closed_forbidden(socket, "logout").await;

    let ann = app.login("ann@example.com").await;
    let socket = signed_in_socket(addr, &ann).await;
    let other = app.login("ann@example.com").await;
    app.gql(
        "mutation { logout(allSessions: true) }",
        json!({}),
        Some(&other.access),
    )
    .await
    .data();
    assert_closed_forbidden(socket, "logout(allSessions) elsewhere").await;

    let ann = app.login("ann@example.com").await;
    let socket = signed_in_socket(addr, &ann).await;
    let other = app.login("ann@example.com").await;
    let vars = json!({ "c": PASSWORD, "n": "another long passphrase" });
    app.gql(change, vars, Some(&other.access)).await.data();
    assert_closed_forbidden(socket, "password changed in another session").await;

    let bob = app.register("bob@example.com", "CLIENT").await;
    let socket = signed_in_socket(addr, &bob).await;
    app.gql(
        "mutation($p: String!) { deactivateAccount(password: $p) }",
        json!({ "p": PASSWORD }),
        Some(&bob.access),
    )
    .await
    .data();
    assert_closed_forbidden(socket, "deactivated").await;

    // A token whose session ended is refused at connection_init as well.
    let (_, refused) = connect(addr, json!({ "authorization": format!("Bearer {}", bob.access) })).await;
    assert_eq!(refused["code"], 4403, "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_socket_closes_when_its_token_expires() {
    let app = TestApp::with_env(&[("ACCESS_TOKEN_TTL", "1s")]).await;
    let addr = serve(&app).await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let socket = signed_in_socket(addr, &ann).await;
    // The token dies one second after issue plus the 5 s clock leeway.
    assert_closed_forbidden(socket, "token expired").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_on_a_socket_rechecks_the_session() {
    let app = TestApp::new().await;
    let addr = serve(&app).await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let mut socket = signed_in_socket(addr, &ann).await;
    // Ended by another instance (no event reaches this one): only the check
    // of the next operation can notice, once the session cache (5 s) lapses.
    app.sql("UPDATE sessions SET revoked_at = created_at").await;
    tokio::time::sleep(Duration::from_millis(5_200)).await;
    subscribe(&mut socket, "after", "{ me { id } }").await;
    assert_closed_forbidden(socket, "revoked elsewhere").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_operation_on_a_socket_loads_afresh() {
    let app = TestApp::new().await;
    let addr = serve(&app).await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let mut socket = signed_in_socket(addr, &ann).await;
    let read = format!("{{ user(id: \"{}\") {{ name }} }}", ann.id);
    subscribe(&mut socket, "1", &read).await;
    assert_eq!(
        next_message(&mut socket).await["payload"]["data"]["user"]["name"],
        "Test User"
    );
    assert_eq!(next_message(&mut socket).await["type"], "complete");
    app.gql(
        "mutation { updateProfile(input: {name: \"Ann Lee\"}) { name } }",
        json!({}),
        Some(&ann.access),
    )
    .await
    .data();
    // A loader cached for the connection's life would still say "Test User".
    subscribe(&mut socket, "2", &read).await;
    assert_eq!(
        next_message(&mut socket).await["payload"]["data"]["user"]["name"],
        "Ann Lee"
    );
}
