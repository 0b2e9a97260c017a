//! Liveness and readiness probes.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Http;

/// How long readiness waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /health/live`: the process serves requests.
pub async fn live() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /health/ready`: the database answers; 503 when it does not. The body also tells the job queue's depth (`jobs.queued`, `jobs.dead`), for dashboards; it does not change the status.
pub async fn ready(State(http): State<Http>) -> (StatusCode, Json<Value>) {
    let pool = &http.state.pool;
    let check = async {
        let mut conn = pool.get().await.map_err(|e| e.to_string())?;
        conn.ping().await.map_err(|e| e.to_string())?;
        Ok::<_, String>(depth(&mut conn).await)
    };
    let backend = pool.backend_name();
    match tokio::time::timeout(READY_TIMEOUT, check).await {
        Ok(Ok(jobs)) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": backend, "jobs": jobs })),
        ),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": backend })),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "timeout", "database": backend })),
        ),
    }
}

/// The queue's depth, or `null` when it cannot be read.
async fn depth(conn: &mut crate::db::Conn) -> Value {
    match crate::jobs::admin::depth(conn).await {
        Ok((queued, dead)) => json!({ "queued": queued, "dead": dead }),
        Err(err) => {
            tracing::warn!(code = err.code(), "readiness: job queue depth unavailable");
            Value::Null
        }
    }
}
