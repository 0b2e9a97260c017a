//! `GET /documents/{id}?expires=…&signature=…`: a professional's private
//! verification document, through a signed link that expires
//! (`VerificationDocument.downloadUrl`). A forged, expired or stale link is
//! 404, like a document that does not exist. The file is sent as an
//! attachment, never to be rendered in the browser, and never cached.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::Http;
use crate::professionals::documents;

/// The `expires` and `signature` of a signed link's query; anything malformed is `None` (and so a 404).
fn signed(query: Option<&str>) -> Option<(i64, &str)> {
    let (mut expires, mut signature) = (None, None);
    for pair in query?.split('&') {
        match pair.split_once('=') {
            Some(("expires", value)) => expires = value.parse().ok(),
            Some(("signature", value)) => signature = Some(value),
            _ => {}
        }
    }
    Some((expires?, signature?))
}

/// `Content-Disposition` for `name`: an ASCII fallback and the UTF-8 form (RFC 6266).
fn disposition(name: &str) -> Option<HeaderValue> {
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' })
        .filter(|c| !matches!(c, '"' | '\\'))
        .collect();
    let encoded = utf8_percent_encode(name, NON_ALPHANUMERIC);
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .ok()
}

/// Serve the document the link names, if the link is good.
pub async fn get(State(http): State<Http>, Path(id): Path<String>, RawQuery(query): RawQuery) -> Response {
    let Some((expires, signature)) = signed(query.as_deref()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(id) = documents::check_link(&http.state.config, &id, expires, signature) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let row = match http.state.pool.get().await {
        Ok(mut conn) => documents::find(&mut conn, id).await,
        Err(err) => Err(err.into()),
    };
    let row = match row {
        Ok(Some(row)) => row,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::warn!(error = ?err, "document lookup failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let (Ok(content_type), Some(disposition)) = (
        HeaderValue::from_str(&row.content_type),
        disposition(&row.file_name),
    ) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match http.state.storage.get(&row.object_key).await {
        Ok(Some(bytes)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CONTENT_DISPOSITION, disposition),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, no-store"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::warn!(error = ?err, "object storage read failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_are_attachments_with_a_safe_name() {
        let value = disposition("Zeugnis Müller \"final\".pdf").map(|v| v.to_str().map(str::to_owned));
        let text = value.and_then(Result::ok).unwrap_or_default();
        assert!(
            text.starts_with("attachment; filename=\"Zeugnis M_ller final.pdf\""),
            "{text}"
        );
        assert!(text.contains("filename*=UTF-8''Zeugnis%20M%C3%BCller"), "{text}");
    }
}
