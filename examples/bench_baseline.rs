//! The benchmark baseline: a bare axum JSON handler doing the same work as
//! Agora for the benchmarked operations, without GraphQL and without
//! Agora's tower layers (tracing, request ids, CORS, compression, timeouts,
//! security headers). See `docs/BENCHMARKS.md` and `bench/run.sh`.
//!
//! `POST /graphql` with a JSON body `{"query": "..."}`:
//! - a query containing `__typename` is answered `{"data":{"__typename":"Query"}}`
//!   (what Agora answers: its query root is named `Query`);
//! - a query containing `me` runs the same `agora::auth::authenticate` as the
//!   server (JWT verification, then the session check cached 5 s), then the
//!   same user `SELECT` (`agora::accounts::users::queries::find_by_ids`), and answers
//!   `{"data":{"me":{"id":..,"name":..,"email":..}}}`;
//! - a query containing `projects` is answered as Agora answers the anonymous
//!   `{ projects(first: 20) { totalCount edges { node { id title budgetMax
//!   { amount currency } client { name } proposalCount } } } }`: the same
//!   statements as Agora's resolver, through the same library function
//!   (`agora::projects::queries::list` with the total and the relations):
//!   the `COUNT`, then the page (`OPEN` only for an anonymous viewer,
//!   `created_at DESC, id DESC`, limit 21) joined with its clients and
//!   counting each project's proposals;
//! - a query containing `login` is the argon2 bound of a sign-in: the user
//!   of `variables.email` is read (`agora::accounts::users::queries::find_by_email`)
//!   and `variables.password` checked against its stored hash by
//!   `agora::auth::password::verify` (the server's own check, on a worker
//!   pool like the server's, in this process), and nothing else (no throttle, no session, no token):
//!   `{"data":{"login":{"verified":true}}}`.
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

use agora::accounts::users::queries::{find_by_email, find_by_ids};
use agora::auth::{authenticate, password};
use agora::config::Config;
use agora::db::TypedId;
use agora::db::keyset::PageArgs;
use agora::db::{Backend, Pool, run_migrations};
use agora::error::AppError;
use agora::money::graphql::Money;
use agora::projects::queries::{self as projects, ListWith, ProjectFilter, ProjectOrder};
use agora::state::AppState;

/// The part of a GraphQL-over-HTTP body the baseline reads.
#[derive(Deserialize)]
struct GraphqlBody {
    query: String,
    #[serde(default)]
    variables: Credentials,
}

/// The variables of a `login`.
#[derive(Deserialize, Default)]
struct Credentials {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Serialize)]
struct Login {
    login: Verified,
}

#[derive(Serialize)]
struct Verified {
    verified: bool,
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
struct Projects {
    projects: ProjectPage,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProjectPage {
    total_count: i64,
    edges: Vec<ProjectEdge>,
}

#[derive(Serialize)]
struct ProjectEdge {
    node: ProjectNode,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProjectNode {
    id: String,
    title: String,
    budget_max: MoneyOut,
    client: ClientName,
    proposal_count: i64,
}

#[derive(Serialize)]
struct MoneyOut {
    amount: String,
    currency: String,
}

#[derive(Serialize)]
struct ClientName {
    name: String,
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

/// `POST /graphql`: the benchmarked operations, recognised by substring.
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
    if request.query.contains("login") {
        return match login(&state, request.variables).await {
            Ok(verified) => json_response(
                StatusCode::OK,
                &Data {
                    data: Login {
                        login: Verified { verified },
                    },
                },
            ),
            Err(err) => app_error(&err),
        };
    }
    // Before `me`: "name" contains "me".
    if request.query.contains("projects") {
        return match project_page(&state).await {
            Ok(projects) => json_response(StatusCode::OK, &Data { data: projects }),
            Err(err) => app_error(&err),
        };
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
        id: row.id.to_global(),
        name: row.name,
        email: row.email,
    }))
}

/// The argon2 work of a sign-in, and only that: the user by email, then its stored hash checked.
async fn login(state: &AppState, credentials: Credentials) -> Result<bool, AppError> {
    let mut conn = state.pool.get().await?;
    let user = find_by_email(&mut conn, &credentials.email).await?;
    drop(conn);
    let verified = password::verify(credentials.password, user.map(|u| u.password_hash)).await?;
    Ok(verified != password::Verified::No)
}

/// The same work as Agora's anonymous `projects(first: 20)` page: the count,
/// then the page with its clients and proposal counts.
async fn project_page(state: &AppState) -> Result<Projects, AppError> {
    let order = ProjectOrder::default();
    let args = PageArgs::new(Some(20), None, order.tag())?;
    let with = ListWith {
        total: true,
        relations: true,
    };
    let mut conn = state.pool.get().await?;
    let listed = projects::list(&mut conn, None, &ProjectFilter::default(), order, &args, with).await?;
    let page = usize::try_from(args.first).unwrap_or(0);
    let edges = listed
        .rows
        .into_iter()
        .zip(listed.clients)
        .zip(listed.proposal_counts)
        .take(page)
        .map(|((row, client), proposal_count)| {
            let budget = Money::from(row.budget_max()?);
            Ok(ProjectEdge {
                node: ProjectNode {
                    id: row.id.to_global(),
                    proposal_count,
                    title: row.title,
                    budget_max: MoneyOut {
                        amount: budget.amount.0,
                        currency: budget.currency,
                    },
                    client: ClientName { name: client.name },
                },
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(Projects {
        projects: ProjectPage {
            total_count: listed.total,
            edges,
        },
    })
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
    let config = Config::from_env().map_err(|errors| {
        let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(all.join("; "))
    })?;
    let backend = Backend::from_url(&config.database_url);
    let pool = Pool::new(&backend, config.database_pool_size)?;
    run_migrations(&pool).await?;
    let addr = SocketAddr::new(config.host, config.port);
    let state = AppState::new(pool, config)?;
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
