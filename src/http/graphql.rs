//! `POST /graphql` and `GET /graphql` by the GraphQL-over-HTTP spec: GET runs
//! queries only, `application/graphql-response+json` is honoured (with 4xx for
//! documents that fail to parse or validate), batching only when configured.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use async_graphql::http::{MultipartOptions, receive_batch_body};
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, ErrorExtensions, ServerError, Value};
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{AsyncReadExt, TryStreamExt};

use super::Http;
use super::access::AccessNote;
use super::body::{BodyGuard, Exceeded, guarded};
use super::params::{self, GetParams};
use crate::auth::ClientInfo;
use crate::auth::authenticate;
use crate::client_ip::{Cidr, client_ip};
use crate::error::{AppError, RequestError};
use crate::graphql::checks::ExecutionStarted;
use crate::graphql::install_request_data;
use crate::graphql::limits::DocumentLimits;
use crate::persisted::Refusal;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// Files one multipart request may carry (`uploadAvatar` takes one).
const MAX_FILES: usize = 1;
/// Room in a multipart body beyond the file itself: the `operations` and `map` parts and every part's headers.
const MULTIPART_ALLOWANCE: usize = 64 * 1024;

/// The media type the client asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphqlResponseJson,
    Json,
}

impl MediaType {
    fn as_str(self) -> &'static str {
        match self {
            MediaType::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
            MediaType::Json => JSON,
        }
    }

    /// Pick from `Accept`; `None` when nothing acceptable is offered.
    fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Some(MediaType::Json);
        };
        let types: Vec<&str> = accept
            .split(',')
            .map(|t| t.split(';').next().unwrap_or("").trim())
            .collect();
        if types.contains(&GRAPHQL_RESPONSE_JSON) {
            Some(MediaType::GraphqlResponseJson)
        } else if types.iter().any(|t| matches!(*t, JSON | "application/*" | "*/*")) {
            Some(MediaType::Json)
        } else {
            None
        }
    }
}

/// A request refused before any GraphQL runs, in the GraphQL error shape.
fn refuse(media: MediaType, error: RequestError) -> Response {
    error_response(error.status(), media, &error.to_string(), error.code())
}

/// A GraphQL-shaped error response outside execution.
fn error_response(status: u16, media: MediaType, message: &str, code: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let error = ServerError::new(message, None).extend_with(|_, e| e.set("code", code));
    let body = serde_json::json!({ "errors": [error] });
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media.as_str()));
    let mut note = AccessNote::default();
    note.code(code);
    response.extensions_mut().insert(note);
    response
}

/// The peer address, when the server was started with connect info (tests driving the router directly have none).
pub struct PeerAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| *addr),
        ))
    }
}

/// Who is calling, from the headers and the connection: the peer's address, or the one a trusted proxy forwarded (see [`super::client_ip`]).
pub fn client_info(headers: &HeaderMap, peer: Option<SocketAddr>, trusted_proxies: &[Cidr]) -> ClientInfo {
    ClientInfo {
        ip: peer.map(|addr| client_ip(addr.ip(), headers, trusted_proxies).to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(512).collect()),
    }
}

/// What a POST body is, by its `Content-Type`.
enum BodyKind {
    Json,
    /// A multipart request (file uploads), with its boundary when it has one.
    Multipart(Option<String>),
}

impl BodyKind {
    /// `None` for anything this endpoint does not read.
    fn of(headers: &HeaderMap) -> Option<Self> {
        let mime: mime::Mime = headers.get(header::CONTENT_TYPE)?.to_str().ok()?.parse().ok()?;
        match (mime.type_(), mime.subtype()) {
            (mime::APPLICATION, mime::JSON) => Some(BodyKind::Json),
            (mime::MULTIPART, mime::FORM_DATA) => Some(BodyKind::Multipart(
                mime.get_param(mime::BOUNDARY).map(|b| b.to_string()),
            )),
            _ => None,
        }
    }
}

/// Can a plain HTML form have sent this? Forms cannot set these headers, so a multipart request carrying one is a deliberate API call, not a cross-site form post riding on a browser (CSRF).
fn preflighted(headers: &HeaderMap) -> bool {
    ["apollo-require-preflight", "x-requested-with"]
        .iter()
        .any(|name| {
            headers
                .get(*name)
                .is_some_and(|v| !v.as_bytes().trim_ascii().is_empty())
        })
}

/// `GET /graphql`: queries only, from the query string.
pub async fn get(
    State(http): State<Http>,
    headers: HeaderMap,
    PeerAddr(peer): PeerAddr,
    params: Result<Query<GetParams>, QueryRejection>,
) -> Response {
    let request = params
        .map_err(|e| e.body_text())
        .and_then(|Query(p)| p.into_request());
    match request {
        Ok(request) => execute(http, Method::GET, headers, peer, BatchRequest::Single(request)).await,
        Err(message) => refuse(MediaType::Json, RequestError::BadRequest(message)),
    }
}

/// `POST /graphql`: a JSON body, or a multipart request (file uploads, with a CSRF header). Bodies are limited as they stream in: JSON to `MAX_BODY_BYTES`; multipart to room for one avatar or document (or `MAX_BODY_BYTES` when larger) and one file.
pub async fn post(State(http): State<Http>, PeerAddr(peer): PeerAddr, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let config = &http.state.config;
    let kind = BodyKind::of(&headers);
    let json = matches!(kind, Some(BodyKind::Json));
    let guard = match kind {
        None => {
            return refuse(
                MediaType::Json,
                RequestError::UnsupportedMediaType("send Content-Type: application/json"),
            );
        }
        Some(BodyKind::Json) => BodyGuard::new(config.max_body_bytes),
        Some(BodyKind::Multipart(_)) if !preflighted(&headers) => {
            // Read the body first (up to the multipart limit), so the client
            // gets this explanation instead of a connection reset mid-upload.
            drain(body, multipart_limit(config)).await;
            return refuse(
                MediaType::Json,
                RequestError::BadRequest(
                    "multipart requests need the header Apollo-Require-Preflight: true \
                 (or X-Requested-With), which a cross-site form cannot send"
                        .into(),
                ),
            );
        }
        Some(BodyKind::Multipart(boundary)) => {
            let guard = BodyGuard::new(multipart_limit(config));
            match boundary {
                // Two parts more than the files: `operations` and `map`.
                Some(boundary) => guard.with_parts(&boundary, MAX_FILES + 2),
                None => guard,
            }
        }
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > guard.max_bytes() as u64) {
        return too_large(Exceeded::Bytes(guard.max_bytes()));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let breach = Arc::new(OnceLock::new());
    let mut body = guarded(body, guard, breach.clone()).into_async_read();
    let batch = if json {
        let mut bytes = Vec::new();
        match body.read_to_end(&mut bytes).await {
            Ok(_) => params::from_json(&bytes).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    } else {
        receive_batch_body(content_type, body, MultipartOptions::default())
            .await
            .map_err(|e| e.to_string())
    };
    match batch {
        Ok(batch) => execute(http, Method::POST, headers, peer, batch).await,
        Err(err) => match breach.get() {
            Some(exceeded) => too_large(*exceeded),
            None => refuse(
                MediaType::Json,
                RequestError::BadRequest(format!("malformed request: {err}")),
            ),
        },
    }
}

/// The most a multipart body may hold: room for the largest file allowed (`MAX_AVATAR_BYTES`, `MAX_DOCUMENT_BYTES`) and the other parts, or `MAX_BODY_BYTES` when larger.
fn multipart_limit(config: &crate::config::Config) -> usize {
    config.max_body_bytes.max(
        config
            .max_avatar_bytes
            .max(config.documents.max_bytes)
            .saturating_add(MULTIPART_ALLOWANCE),
    )
}

/// Read and drop up to `limit` bytes of `body` (a refused request's), so the response is not sent over an unread upload.
async fn drain(body: axum::body::Body, limit: usize) {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut read = 0usize;
    while let Some(Ok(chunk)) = stream.next().await {
        read = read.saturating_add(chunk.len());
        if read > limit {
            break;
        }
    }
}

/// 413 for a body past a limit.
fn too_large(exceeded: Exceeded) -> Response {
    let message = match exceeded {
        Exceeded::Bytes(max) => format!("the request body is larger than {max} bytes"),
        Exceeded::Parts => format!("a multipart request holds at most {MAX_FILES} file"),
    };
    refuse(MediaType::Json, RequestError::PayloadTooLarge(message))
}

async fn execute(
    http: Http,
    method: Method,
    headers: HeaderMap,
    peer: Option<SocketAddr>,
    mut batch: BatchRequest,
) -> Response {
    let Some(media) = MediaType::negotiate(&headers) else {
        return refuse(
            MediaType::Json,
            RequestError::NotAcceptable(
                "only application/graphql-response+json and application/json are served",
            ),
        );
    };
    for request in batch.iter_mut() {
        if let Err(refusal) = http.state.documents.resolve(request) {
            return refuse_document(media, &refusal);
        }
    }
    if batch.iter().any(|r| r.query.trim().is_empty()) {
        return refuse(
            media,
            RequestError::BadRequest("the `query` parameter is required".into()),
        );
    }
    if batch.iter().any(forged_upload) {
        return refuse(
            media,
            RequestError::BadRequest("an Upload value must be a file part of a multipart request".into()),
        );
    }
    let batch_max = http.state.config.limits.batch_max;
    match &batch {
        BatchRequest::Batch(_) if batch_max == 0 => {
            return refuse(
                media,
                RequestError::BadRequest("batched requests are disabled".into()),
            );
        }
        BatchRequest::Batch(items) if items.len() > batch_max || items.is_empty() => {
            return refuse(
                media,
                RequestError::BadRequest(format!("a batch holds 1 to {batch_max} operations")),
            );
        }
        _ => {}
    }

    let document_limits = DocumentLimits::from(&http.state.config.limits);
    let mut note = AccessNote::default();
    for request in batch.iter_mut() {
        // Parse once here (the schema reuses the parsed document) to refuse a
        // mutation over GET and to name the operation in the request's span.
        // A document past the token limit is not parsed: the schema refuses it.
        if document_limits.check_source(&request.query).is_err() {
            continue;
        }
        let wanted = request.operation_name.clone();
        let Ok(doc) = http.state.documents.parse(request) else {
            continue;
        };
        let operation = match &wanted {
            Some(name) => doc
                .operations
                .iter()
                .find(|(n, _)| n.map(|n| n.as_str()) == Some(name.as_str())),
            None => doc.operations.iter().next(),
        };
        if let Some((name, op)) = operation {
            if method == Method::GET && op.node.ty != OperationType::Query {
                let mut response = refuse(
                    media,
                    RequestError::MethodNotAllowed("GET runs queries only; send mutations with POST"),
                );
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("POST"));
                return response;
            }
            if let Some(name) = name {
                note.operation.get_or_insert_with(|| name.to_string());
            }
            note.kind.get_or_insert(match op.node.ty {
                OperationType::Query => "query",
                OperationType::Mutation => "mutation",
                OperationType::Subscription => "subscription",
            });
        }
    }

    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let viewer = match authenticate(&http.state, authorization).await {
        Ok(viewer) => viewer,
        Err(err) => return unauthenticated(media, err),
    };
    let client = client_info(&headers, peer, &http.state.config.trusted_proxies);
    let flag = ExecutionStarted::new();
    for request in batch.iter_mut() {
        install_request_data(&mut request.data, &http.state, viewer, client.clone());
        request.data.insert(flag.clone());
    }
    let response = http.schema.execute_batch(batch).await;
    note.user = viewer.map(|v| v.user_id);
    note.executed = flag.started();
    let items: &[async_graphql::Response] = match &response {
        BatchResponse::Single(item) => std::slice::from_ref(item),
        BatchResponse::Batch(items) => items,
    };
    for error in items.iter().flat_map(|item| &item.errors) {
        if let Some(async_graphql::Value::String(code)) =
            error.extensions.as_ref().and_then(|e| e.get("code"))
        {
            note.code(code.as_str());
        }
    }
    let mut http_response = respond(response, media, flag.started());
    http_response.extensions_mut().insert(note);
    http_response
}

/// A request whose document is refused by name (see [`crate::persisted`]). An unknown hash is not a failure under `application/json`: Apollo Client answers it by sending the document, so it is a 200, never cached.
fn refuse_document(media: MediaType, refusal: &Refusal) -> Response {
    let status = match refusal {
        Refusal::NotFound if media == MediaType::Json => 200,
        _ => 400,
    };
    let mut response = error_response(status, media, refusal.message(), refusal.code());
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache, must-revalidate"),
    );
    response
}

/// How async-graphql stands for the multipart file `n` in the variables.
const UPLOAD_MARKER: &str = "#__graphql_file__:";

/// Does `request` carry an upload marker async-graphql did not write itself? Its `Upload` scalar panics on a marker that is not the index of a file of the request, so one written by the client (in the document or the variables) is refused before execution.
fn forged_upload(request: &async_graphql::Request) -> bool {
    fn forged(value: &Value, files: usize) -> bool {
        match value {
            Value::String(s) => s
                .strip_prefix(UPLOAD_MARKER)
                .is_some_and(|n| n.parse::<usize>().map_or(true, |n| n >= files)),
            Value::List(items) => items.iter().any(|v| forged(v, files)),
            Value::Object(fields) => fields.values().any(|v| forged(v, files)),
            _ => false,
        }
    }
    request.query.contains(UPLOAD_MARKER)
        || request
            .variables
            .values()
            .any(|v| forged(v, request.uploads.len()))
}

/// A request whose credentials could not be accepted: 401 when they are bad (the client should refresh or sign in again), 503 when they could not be checked (the database is down: signing in again would not help).
fn unauthenticated(media: MediaType, err: AppError) -> Response {
    if let AppError::Unavailable(detail) = &err {
        tracing::warn!(%detail, "cannot check a session: the database is unavailable");
        let mut response = error_response(err.http_status(), media, &err.message(), err.code());
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return response;
    }
    let mut response = error_response(err.http_status(), media, &err.message(), err.code());
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

/// The HTTP response for what the schema answered (every error already has its code: `graphql::checks`).
fn respond(response: BatchResponse, media: MediaType, executed: bool) -> Response {
    let status = if media == MediaType::GraphqlResponseJson && !executed {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = match &response {
        BatchResponse::Single(r) if !executed => serde_json::json!({ "errors": r.errors }).to_string(),
        other => serde_json::to_string(other)
            .unwrap_or_else(|_| r#"{"errors":[{"message":"internal error"}]}"#.into()),
    };
    let mut http_response = (status, body).into_response();
    http_response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media.as_str()));
    http_response.headers_mut().extend(response.http_headers());
    http_response
}
