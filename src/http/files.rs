//! `GET /files/{*key}`: public uploaded files (avatars), read from object
//! storage whichever store `STORAGE_URL` names. A key is never reused (a new
//! upload gets a new key), so a file can be cached for good.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Http;
use crate::storage::FileType;

/// Keys served; anything else in the store is not public.
const PUBLIC_PREFIXES: &[&str] = &["avatars/"];
/// Files never change under their key.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

/// The file under `key`, with its type from the key's extension; 404 for a missing file, a key outside the public prefixes, an extension this server does not write, or a key with `.`/`..` segments.
pub async fn get(State(http): State<Http>, Path(key): Path<String>) -> Response {
    let file_type = FileType::of_key(&key).filter(|_| PUBLIC_PREFIXES.iter().any(|p| key.starts_with(p)));
    let Some(file_type) = file_type else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match http.state.storage.get(&key).await {
        Ok(Some(bytes)) => (
            [
                (header::CONTENT_TYPE, file_type.content_type()),
                (header::CACHE_CONTROL, CACHE_FOREVER),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::warn!(error = ?err, key, "object storage read failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
