//! `GET /graphql/ws`: GraphQL over WebSocket (graphql-transport-ws, and the
//! legacy graphql-ws subprotocol). The viewer comes from the
//! `connection_init` payload: `{"authorization": "Bearer <accessToken>"}`.

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::HeaderMap;
use axum::response::Response;

use super::Http;
use super::graphql::{PeerAddr, client_info};
use crate::auth::authenticate;
use crate::graphql::install_request_data;

/// Upgrade and serve one GraphQL WebSocket connection.
pub async fn handle(
    State(http): State<Http>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
    headers: HeaderMap,
    PeerAddr(peer): PeerAddr,
) -> Response {
    let client = client_info(&headers, peer);
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let state = http.state.clone();
            GraphQLWebSocket::new(socket, http.schema.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let authorization = payload
                        .get("authorization")
                        .or_else(|| payload.get("Authorization"))
                        .and_then(|v| v.as_str());
                    let viewer = authenticate(&state, authorization).await?;
                    let mut data = Data::default();
                    install_request_data(&mut data, &state, viewer, client);
                    Ok(data)
                })
                .serve()
        })
}
