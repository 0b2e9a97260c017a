//! The HTTP surface: routes and the tower layers every request passes.

pub mod access;
mod body;
pub mod documents;
pub mod files;
mod graphiql;
pub mod graphql;
mod health;
mod params;
mod request_id;
mod routes;
mod ws;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::response::Response;
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use self::routes::RouteTable;
use self::routes::Routes;
use crate::graphql::{AppSchema, build_schema};
use crate::state::AppState;
use crate::telemetry::http::RecordStatus;

/// What handlers share: the state and the schema built over it.
#[derive(Clone)]
pub struct Http {
    /// Application state.
    pub state: AppState,
    /// The GraphQL schema.
    pub schema: AppSchema,
}

/// The whole application: every route with every layer. Tests drive the same router.
pub fn app(state: AppState) -> Router {
    let config = state.config.clone();
    let metrics = state.metrics.clone();
    let schema = build_schema(state.clone());
    let http = Http { state, schema };

    let mut routes = Routes::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::handle))
        .route("/files/{*key}", get(files::get))
        .route("/documents/{id}", get(documents::get))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready));
    if config.graphiql {
        let assets = if config.graphiql_assets_dir.is_some() {
            graphiql::Assets::Local
        } else {
            graphiql::Assets::Cdn
        };
        routes = routes
            .route(
                "/graphiql",
                get(move |headers: HeaderMap| async move { graphiql::page(assets, &headers) }),
            )
            .route("/graphiql/app.js", get(graphiql::app_js));
        if let Some(dir) = &config.graphiql_assets_dir {
            routes = routes.nest_service("/graphiql/assets", ServeDir::new(dir));
        }
    }
    let (router, table) = routes.finish();

    let production = config.is_production();
    // Traced requests get their span from `telemetry::http`.
    let trace = TraceLayer::new_for_http().on_response(RecordStatus::default());
    // The layers wrap the router once, as one service, outermost first.
    // (`Router::layer` would wrap every route in a boxed service per layer,
    // and axum clones each of those boxes for every request.)
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(request_id::MakeRequestIds))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace.make_span_with({
            let table = table.clone();
            move |request: &Request| request_span(request, &table)
        }))
        .layer(middleware::from_fn_with_state(
            access::Access { metrics, table },
            access::log,
        ))
        .option_layer(cors(&config.cors_allowed_origins))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        .layer(CompressionLayer::new())
        .map_response(move |response| security_headers(response, production));
    Router::new().fallback_service(layers.service(router.with_state(http)))
}

/// The request's span: its id, so that every line logged while serving it can be joined to its access-log line (`access`). Method, path and operation are on that line; an exported trace has its own span (`telemetry::http`).
fn request_span(request: &Request, table: &RouteTable) -> tracing::Span {
    if let Some(span) = crate::telemetry::http::request_span(request, table) {
        return span;
    }
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!("request", request_id)
}

/// CORS from the allow-list; no list, no CORS layer at all (no cross-origin browser access, and no per-response work for it).
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    let layer = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("apollo-require-preflight"),
            HeaderName::from_static("x-requested-with"),
        ])
        .expose_headers([HeaderName::from_static("x-request-id")])
        .max_age(std::time::Duration::from_secs(3600));
    Some(layer)
}

/// Headers every response carries unless a route set its own.
fn security_headers(mut response: Response, production: bool) -> Response {
    let headers = response.headers_mut();
    // Room for all of them at once, rather than growing the map on the way.
    headers.reserve(6);
    let mut set = |name: HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'",
    );
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if production {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    response
}
