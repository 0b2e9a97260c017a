//! The GraphQL-over-HTTP request parameters, as sent: a JSON body (one
//! request or a batch) and the query string of a GET. Besides `query`,
//! `operationName`, `variables` and `extensions`, a request may name its
//! document by `documentId` (the persisted documents appendix), which is
//! handed on as `extensions.documentId` (see [`crate::persisted`]).

use async_graphql::{BatchRequest, Extensions, Request, Value, Variables};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// One request as a client sends it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Variables,
    #[serde(default)]
    extensions: Option<Extensions>,
    #[serde(default)]
    document_id: Option<String>,
}

impl From<Params> for Request {
    fn from(params: Params) -> Self {
        let mut request = Request::new(params.query.unwrap_or_default()).variables(params.variables);
        request.operation_name = params.operation_name.filter(|n| !n.is_empty());
        request.extensions = params.extensions.unwrap_or_default();
        if let Some(id) = params.document_id {
            request.extensions.insert("documentId".into(), Value::String(id));
        }
        request
    }
}

/// A JSON body: one request, or an array of them (a batch).
pub fn from_json(body: &[u8]) -> Result<BatchRequest, serde_json::Error> {
    let batch = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    Ok(if batch {
        let items: Vec<Params> = serde_json::from_slice(body)?;
        BatchRequest::Batch(items.into_iter().map(Request::from).collect())
    } else {
        BatchRequest::Single(serde_json::from_slice::<Params>(body)?.into())
    })
}

/// The query-string parameters of `GET /graphql`; `variables` and `extensions` are JSON texts.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
    document_id: Option<String>,
}

impl GetParams {
    /// The request they make.
    pub fn into_request(self) -> Result<Request, String> {
        let params = Params {
            query: self.query,
            operation_name: self.operation_name,
            variables: json(self.variables, "variables")?.unwrap_or_default(),
            extensions: json(self.extensions, "extensions")?,
            document_id: self.document_id.filter(|id| !id.is_empty()),
        };
        Ok(params.into())
    }
}

/// A JSON text of the query string, read as `T`.
fn json<T: DeserializeOwned>(text: Option<String>, name: &str) -> Result<Option<T>, String> {
    text.filter(|t| !t.is_empty())
        .map(|t| serde_json::from_str(&t).map_err(|e| format!("`{name}` is not a JSON object: {e}")))
        .transpose()
}
