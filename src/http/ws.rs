//! `GET /graphql/ws`: GraphQL over WebSocket (graphql-transport-ws, and the
//! legacy graphql-ws subprotocol). The viewer comes from the
//! `connection_init` payload: `{"authorization": "Bearer <accessToken>"}`.
//!
//! A socket has no more authority than its token: every operation started
//! on it passes the same check as an HTTP request (token, then session,
//! cached as briefly), and the socket is closed with 4403 (Forbidden) when a
//! check fails, when the token expires, or when its session ends on this
//! instance. A token refused at `connection_init` closes it with 4403 too,
//! as graphql-ws servers do when they refuse a connection.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_graphql::Data;
use async_graphql::http::{
    ALL_WEBSOCKET_PROTOCOLS, WebSocket as GraphqlSocket, WebSocketProtocols as Protocols, WsMessage,
};
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt, future};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::Http;
use super::graphql::{PeerAddr, client_info};
use crate::auth::ClientInfo;
use crate::auth::{Authenticated, authenticate_bearer};
use crate::error::AppError;
use crate::events::Event;
use crate::graphql::Connection;
use crate::state::AppState;

/// graphql-ws's close code for a connection whose authority is refused.
const FORBIDDEN: u16 = 4403;
/// How long a closing socket still forwards what is already on its way (a `sessionEnded` notice) before the close frame.
const CLOSE_GRACE: Duration = Duration::from_millis(100);

/// Upgrade and serve one GraphQL WebSocket connection.
pub async fn handle(
    State(http): State<Http>,
    Subprotocol(protocol): Subprotocol,
    upgrade: WebSocketUpgrade,
    headers: HeaderMap,
    PeerAddr(peer): PeerAddr,
) -> Response {
    let client = client_info(&headers, peer, &http.state.config.trusted_proxies);
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve(http, protocol, socket, client))
}

/// The subprotocol the client offered first among those served (400 when none).
pub struct Subprotocol(Protocols);

impl<S: Send + Sync> FromRequestParts<S> for Subprotocol {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .headers
            .get(header::SEC_WEBSOCKET_PROTOCOL)
            .and_then(|value| value.to_str().ok())
            .and_then(|offered| offered.split(',').find_map(|p| p.trim().parse().ok()))
            .map(Subprotocol)
            .ok_or(StatusCode::BAD_REQUEST)
    }
}

/// The `type` of a client message.
#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
}

/// Does this client message start an operation (`subscribe`, or `start` in the legacy protocol)?
fn starts_operation(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Kind>(bytes).is_ok_and(|m| matches!(m.kind, "subscribe" | "start"))
}

/// A `subscribe` payload may name its document by `documentId`, beside `query`; async-graphql reads only `query`, `operationName`, `variables` and `extensions`, so the id is handed on as `extensions.documentId` (resolved by [`crate::persisted`] before the operation runs).
fn lift_document_id(bytes: Bytes) -> Bytes {
    if memchr::memmem::find(&bytes, b"documentId").is_none() {
        return bytes;
    }
    let Ok(mut message) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return bytes;
    };
    let Some(payload) = message.get_mut("payload").and_then(|p| p.as_object_mut()) else {
        return bytes;
    };
    let Some(id) = payload.remove("documentId") else {
        return bytes;
    };
    let extensions = payload
        .entry("extensions")
        .or_insert_with(|| serde_json::Value::Object(Default::default()));
    if let Some(extensions) = extensions.as_object_mut() {
        extensions.insert("documentId".into(), id);
    }
    serde_json::to_vec(&message).map_or(bytes, Bytes::from)
}

/// What the connection authenticated as, once `connection_init` passed.
#[derive(Clone)]
struct Credentials {
    authorization: String,
    authenticated: Authenticated,
}

/// Why a socket is closed with [`FORBIDDEN`].
#[derive(Debug)]
enum Refusal {
    /// The token at `connection_init` was refused.
    Init(String),
    /// A later check of the token or its session failed.
    Ended(&'static str),
}

impl Refusal {
    fn reason(&self) -> &str {
        match self {
            Refusal::Init(message) => message,
            Refusal::Ended(message) => message,
        }
    }
}

async fn serve(http: Http, protocol: Protocols, socket: WebSocket, client: ClientInfo) {
    let state = http.state.clone();
    let (mut sink, stream) = socket.split();
    let credentials: Arc<Mutex<Option<Credentials>>> = Arc::default();
    let (refuse, mut refused) = mpsc::unbounded_channel::<Refusal>();
    // Subscribed before anything can end the session, so no end is missed.
    let mut events = state.events.subscribe().boxed();

    let incoming = {
        let (state, credentials, refuse) = (state.clone(), credentials.clone(), refuse.clone());
        stream
            .take_while(|message| future::ready(message.is_ok()))
            .filter_map(|message| {
                future::ready(match message {
                    Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                        Some(lift_document_id(message.into_data()))
                    }
                    _ => None,
                })
            })
            .filter_map(move |bytes| {
                let (state, credentials, refuse) = (state.clone(), credentials.clone(), refuse.clone());
                async move {
                    let current = lock(&credentials).clone();
                    match current {
                        Some(credentials) if starts_operation(&bytes) => {
                            match recheck(&state, &credentials).await {
                                Ok(()) => Some(bytes),
                                Err(refusal) => {
                                    let _ = refuse.send(refusal);
                                    None
                                }
                            }
                        }
                        _ => Some(bytes),
                    }
                }
            })
            .boxed()
    };

    let init = {
        let (state, credentials, refuse) = (state.clone(), credentials.clone(), refuse.clone());
        move |payload: serde_json::Value| async move {
            let authorization = payload
                .get("authorization")
                .or_else(|| payload.get("Authorization"))
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            let viewer = match authorization {
                None => None,
                Some(authorization) => match authenticate_bearer(&state, &authorization).await {
                    Ok(authenticated) => {
                        *lock(&credentials) = Some(Credentials {
                            authorization,
                            authenticated,
                        });
                        Some(authenticated.viewer)
                    }
                    Err(err) => {
                        let _ = refuse.send(Refusal::Init(err.message()));
                        return Err(async_graphql::Error::from(err));
                    }
                },
            };
            let mut data = Data::default();
            data.insert(Connection { viewer, client });
            Ok(data)
        }
    };

    let mut operations = GraphqlSocket::new(http.schema.clone(), incoming, protocol).on_connection_init(init);
    let refusal = loop {
        let expiry = lock(&credentials).as_ref().map(|c| c.authenticated.expires_at);
        tokio::select! {
            message = operations.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    // A refused `connection_init` closes as Forbidden, not 1002.
                    let (code, reason) = match refused.try_recv() {
                        Ok(refusal @ Refusal::Init(_)) => (FORBIDDEN, refusal.reason().to_owned()),
                        _ => (code, reason),
                    };
                    let _ = sink.send(close(code, &reason)).await;
                    return;
                }
                None => return,
            },
            Some(refusal) = refused.recv() => break refusal,
            Some(event) = events.next() => match event {
                Event::SessionEnded { session_id } => {
                    let ended = lock(&credentials)
                        .as_ref()
                        .is_some_and(|c| session_id == c.authenticated.viewer.session_id);
                    if ended {
                        break Refusal::Ended("this session has ended; sign in again");
                    }
                }
                Event::Resync => {
                    let current = lock(&credentials).clone();
                    if let Some(credentials) = current
                        && let Err(refusal) = recheck(&state, &credentials).await
                    {
                        break refusal;
                    }
                }
            },
            () = until(expiry) => break Refusal::Ended("the access token expired; refresh it and reconnect"),
        }
    };

    // Let what is already on its way go out (the `sessionEnded` notice), then close.
    let grace = tokio::time::sleep(CLOSE_GRACE);
    tokio::pin!(grace);
    loop {
        tokio::select! {
            message = operations.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                _ => break,
            },
            () = &mut grace => break,
        }
    }
    let _ = sink.send(close(FORBIDDEN, refusal.reason())).await;
}

/// Check the connection's token and session again, as an HTTP request would. An unavailable database is not a refusal: the operation runs and reports it.
async fn recheck(state: &AppState, credentials: &Credentials) -> Result<(), Refusal> {
    match authenticate_bearer(state, &credentials.authorization).await {
        Ok(now) if now.viewer == credentials.authenticated.viewer => Ok(()),
        Ok(_) => Err(Refusal::Ended("this session changed; reconnect")),
        Err(AppError::Unavailable(_)) => Ok(()),
        Err(AppError::Unauthenticated(message)) => Err(Refusal::Ended(message)),
        Err(_) => Err(Refusal::Ended("this session could not be checked; reconnect")),
    }
}

/// Resolves when the token expires (never without one).
async fn until(expires_at: Option<u64>) {
    let Some(expires_at) = expires_at else {
        return future::pending().await;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    tokio::time::sleep(Duration::from_secs(expires_at.saturating_sub(now))).await;
}

fn close(code: u16, reason: &str) -> Message {
    // A close reason is at most 123 bytes.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame {
        code,
        reason: reason[..end].into(),
    }))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
