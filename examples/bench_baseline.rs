//! The benchmark baseline: a bare axum JSON handler doing the same work as
//! Agora for the two benchmarked operations, without GraphQL and without
//! Agora's tower layers (tracing, request ids, CORS, compression, timeouts,
//! security headers). See `docs/BENCHMARKS.md` and `bench/run.sh`.
//!
//! `POST /graphql` with a JSON body `{"query": "..."}`:
//! - a query containing `__typename` is answered `{"data":{"__typename":"Query"}}`
//!   (what Agora answers: its query root is named `Query`);
//! - a query containing `me` runs the same `agora::auth::authenticate` as the
//!   server (JWT verification, then the session check cached 5 s), then the
//!   same user `SELECT` (`agora::accounts::queries::find_by_ids`), and answers
//!   `{"data":{"me":{"id":..,"name":..,"email":..}}}`.
//!
//! `GET /health/ready` pings the database like the server's probe.
//!
//! Configuration is Agora's own (`Config::from_env`): the same `DATABASE_URL`,
//! `DATABASE_POOL_SIZE`, `JWT_SECRET`, `HOST` and `PORT` (give it a port of its
//! own). Run: `cargo run --release --example bench_baseline`.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use agora::accounts::queries::find_by_ids;
use agora::auth::authenticate;
use agora::config::Config;
use agora::db::{Backend, Pool, run_migrations};
use agora::error::AppError;
use agora::state::AppState;

/// The part of a GraphQL-over-HTTP body the baseline reads.
#[derive(Deserialize)]
struct GraphqlBody {
    query: String,
}

#[derive(Serialize)]
struct Data<T> {
    data: T,
}

#[derive(Serialize)]
struct Typename {
    #[serde(rename = "__typename")]
    typename: &'static str,
}

#[derive(Serialize)]
struct Me {
    me: Option<MeUser>,
}

#[derive(Serialize)]
struct MeUser {
    id: String,
    name: String,
    email: String,
}

#[derive(Serialize)]
struct Errors {
    errors: [ErrorItem; 1],
}

#[derive(Serialize)]
struct ErrorItem {
    message: String,
    extensions: ErrorCode,
}

#[derive(Serialize)]
struct ErrorCode {
    code: &'static str,
}

fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn error_response(status: StatusCode, message: String, code: &'static str) -> Response {
    let errors = Errors {
        errors: [ErrorItem {
            message,
            extensions: ErrorCode { code },
        }],
    };
    json_response(status, &errors)
}

fn app_error(err: &AppError) -> Response {
    let status = match err {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error_response(status, err.message(), err.code())
}

/// `POST /graphql`: the two benchmarked operations, recognised by substring.
async fn graphql(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<GraphqlBody>(&body) else {
        return error_response(StatusCode::BAD_REQUEST, "malformed request".into(), "BAD_REQUEST");
    };
    if request.query.contains("__typename") {
        return json_response(
            StatusCode::OK,
            &Data {
                data: Typename { typename: "Query" },
            },
        );
    }
    if !request.query.contains("me") {
        return error_response(StatusCode::BAD_REQUEST, "unsupported query".into(), "BAD_REQUEST");
    }
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    match me(&state, authorization).await {
        Ok(me) => json_response(StatusCode::OK, &Data { data: Me { me } }),
        Err(err) => app_error(&err),
    }
}

/// The same work as Agora's `me`: authenticate, then load the user row by id.
async fn me(state: &AppState, authorization: Option<&str>) -> Result<Option<MeUser>, AppError> {
    let Some(viewer) = authenticate(state, authorization).await? else {
        return Ok(None);
    };
    let mut conn = state.pool.get().await?;
    let rows = find_by_ids(&mut conn, &[viewer.user_id]).await?;
    Ok(rows.into_iter().next().map(|row| MeUser {
        id: row.id.to_string(),
        name: row.name,
        email: row.email,
    }))
}

/// `GET /health/ready`: the database answers.
async fn ready(State(state): State<AppState>) -> StatusCode {
    let Ok(mut conn) = state.pool.get().await else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    match conn.ping().await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The same sources as the server: `.env`, then the environment.
    let _ = dotenvy::dotenv();
    let config = Config::from_env()?;
    let backend = Backend::from_url(&config.database_url);
    let pool = Pool::new(&backend, config.database_pool_size)?;
    run_migrations(&pool).await?;
    let addr = SocketAddr::new(config.host, config.port);
    let state = AppState::new(pool, config);
    let app = Router::new()
        .route("/graphql", post(graphql))
        .route("/health/ready", get(ready))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!(
        "bench_baseline: serving at http://{addr}/graphql ({})",
        backend.name()
    );
    axum::serve(listener, app).await?;
    Ok(())
}
