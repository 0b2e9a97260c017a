//! GraphQL documents named by hash instead of sent whole: trusted documents (a
//! manifest of the operations the client apps were built with), Apollo's
//! automatic persisted queries, and a bounded cache of parsed documents.
//!
//! A request names its document by `documentId` (`sha256:<hex>`, the
//! GraphQL-over-HTTP persisted documents appendix; the transports pass it
//! here as `extensions.documentId`) or by Apollo's
//! `extensions.persistedQuery.sha256Hash`. `TRUSTED_DOCUMENTS` decides what
//! else runs:
//! - `enforce`: only the manifest's documents (`PERSISTED_QUERY_NOT_FOUND`
//!   for an id not in it, `PERSISTED_QUERY_REQUIRED` for a raw document);
//! - `audit`: everything runs, and a document not in the manifest is logged
//!   (target `agora::trusted_documents`) with its hash;
//! - `off`: everything runs; a hash the server does not know answers
//!   `PERSISTED_QUERY_NOT_FOUND`, and a hash sent with its document
//!   registers it (after checking the hash), as Apollo Client's
//!   persisted-queries link expects.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_graphql::parser::parse_query;
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError, ValidationResult, Value};
use sha2::{Digest, Sha256};

use crate::config::{ConfigError, TrustedDocumentsMode};

/// Most document text each bounded cache holds (parsed documents take a few times their text).
const CACHE_BYTES: usize = 2 * 1024 * 1024;
/// Longest document the caches keep; longer ones are parsed every time.
const MAX_CACHED_DOCUMENT: usize = 64 * 1024;

/// Why a request's document cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// An id this server does not know (or, under `enforce`, not in the manifest).
    NotFound,
    /// A raw document under `enforce`.
    Required,
    /// A persisted query sent with a document whose hash is not the one named.
    HashMismatch,
    /// A malformed `documentId` or `persistedQuery`.
    Malformed(&'static str),
}

impl Refusal {
    /// The `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotFound => "PERSISTED_QUERY_NOT_FOUND",
            Refusal::Required => "PERSISTED_QUERY_REQUIRED",
            Refusal::HashMismatch | Refusal::Malformed(_) => "BAD_REQUEST",
        }
    }

    /// The message. `PersistedQueryNotFound` word for word: Apollo Client matches on it as well as on the code.
    pub fn message(&self) -> &'static str {
        match self {
            Refusal::NotFound => "PersistedQueryNotFound",
            Refusal::Required => "this server runs only its trusted documents: send a `documentId`",
            Refusal::HashMismatch => "provided sha does not match query",
            Refusal::Malformed(message) => message,
        }
    }

    /// As a GraphQL error.
    pub fn to_server_error(&self) -> ServerError {
        let mut error = ServerError::new(self.message(), None);
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", self.code());
        error
    }
}

/// The server's documents: the manifest, the registered persisted queries and the parse cache.
pub struct Documents {
    mode: TrustedDocumentsMode,
    /// Manifest documents by hash (lower-case hex, no `sha256:`).
    by_id: HashMap<String, Arc<str>>,
    /// Manifest documents by text, parsed at start (never evicted).
    by_text: HashMap<Arc<str>, Arc<ExecutableDocument>>,
    /// Apollo persisted queries registered by clients: hash → text.
    registered: Mutex<Bounded<Arc<str>>>,
    /// Documents parsed lately: text → parsed.
    parsed: Mutex<Bounded<Arc<ExecutableDocument>>>,
    /// Requests that passed validation lately, by [`validation_key`].
    validated: Mutex<Bounded<ValidationResult>>,
}

impl Documents {
    /// No manifest (the documents of `off` without `TRUSTED_DOCUMENTS_FILE`).
    pub fn new(mode: TrustedDocumentsMode) -> Self {
        Documents {
            mode,
            by_id: HashMap::new(),
            by_text: HashMap::new(),
            registered: Mutex::new(Bounded::new(CACHE_BYTES)),
            parsed: Mutex::new(Bounded::new(CACHE_BYTES)),
            validated: Mutex::new(Bounded::new(CACHE_BYTES)),
        }
    }

    /// Read the manifest at `file` (a JSON object `{hash: document}`, as graphql-codegen's client preset and Relay's compiler write it); every document must parse.
    pub fn load(mode: TrustedDocumentsMode, file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut documents = Documents::new(mode);
        let Some(file) = file else {
            return Ok(documents);
        };
        let refuse = |reason: String| ConfigError {
            name: "TRUSTED_DOCUMENTS_FILE",
            reason,
        };
        let bytes =
            std::fs::read(file).map_err(|e| refuse(format!("cannot read {}: {e}", file.display())))?;
        let manifest: HashMap<String, String> = serde_json::from_slice(&bytes).map_err(|e| {
            refuse(format!(
                "{} is not a JSON object of document hashes to documents: {e}",
                file.display()
            ))
        })?;
        for (id, text) in manifest {
            let parsed =
                parse_query(&text).map_err(|e| refuse(format!("the document {id} does not parse: {e}")))?;
            let text: Arc<str> = text.into();
            documents.by_id.insert(normalize(&id), text.clone());
            documents.by_text.insert(text, Arc::new(parsed));
        }
        Ok(documents)
    }

    /// How many documents the manifest holds.
    pub fn trusted(&self) -> usize {
        self.by_id.len()
    }

    /// Put the document the request names in `request.query`, or refuse it (see the module documentation).
    pub fn resolve(&self, request: &mut Request) -> Result<(), Refusal> {
        let document_id = match request.extensions.remove("documentId") {
            None => None,
            Some(Value::String(id)) => Some(
                id.strip_prefix("sha256:")
                    .filter(|hex| is_sha256(hex))
                    .map(str::to_ascii_lowercase)
                    .ok_or(Refusal::Malformed(
                        "a `documentId` is `sha256:` and 64 hexadecimal digits",
                    ))?,
            ),
            Some(_) => return Err(Refusal::Malformed("`documentId` must be a string")),
        };
        let apq = match request.extensions.get("persistedQuery") {
            None => None,
            Some(persisted) => Some(apollo_hash(persisted)?),
        };
        let Some(id) = document_id.clone().or(apq) else {
            return match self.mode {
                TrustedDocumentsMode::Enforce => Err(Refusal::Required),
                TrustedDocumentsMode::Audit => {
                    if !self.by_text.contains_key(request.query.as_str()) {
                        audit(request, &sha256_hex(&request.query));
                    }
                    Ok(())
                }
                TrustedDocumentsMode::Off => Ok(()),
            };
        };
        if let Some(text) = self.by_id.get(&id) {
            request.query = text.to_string();
            return Ok(());
        }
        if self.mode == TrustedDocumentsMode::Enforce {
            return Err(Refusal::NotFound);
        }
        let registered = lock(&self.registered).get(&id);
        if let Some(text) = registered {
            request.query = text.to_string();
        } else if document_id.is_none() && !request.query.trim().is_empty() {
            if sha256_hex(&request.query) != id {
                return Err(Refusal::HashMismatch);
            }
            if request.query.len() <= MAX_CACHED_DOCUMENT {
                let text: Arc<str> = request.query.as_str().into();
                lock(&self.registered).insert(id.as_str().into(), text, request.query.len());
            }
        } else {
            return Err(Refusal::NotFound);
        }
        if self.mode == TrustedDocumentsMode::Audit {
            audit(request, &id);
        }
        Ok(())
    }

    /// The request's document, parsed: from the manifest, from the cache, or parsed now (and cached).
    pub fn parse<'r>(&self, request: &'r mut Request) -> Result<&'r ExecutableDocument, ServerError> {
        let cached = match self.by_text.get(request.query.as_str()) {
            Some(parsed) => Some(parsed.clone()),
            None => lock(&self.parsed).get(request.query.as_str()),
        };
        if let Some(parsed) = cached {
            request.set_parsed_query(ExecutableDocument::clone(&parsed));
            return request.parsed_query();
        }
        let text = request.query.clone();
        let parsed = request.parsed_query()?;
        if text.len() <= MAX_CACHED_DOCUMENT {
            let cost = text.len();
            lock(&self.parsed).insert(text.into(), Arc::new(parsed.clone()), cost);
        }
        Ok(parsed)
    }
}

/// What a request's validation depends on, besides the schema: its document, the operation it runs and its variables (complexity counts `first: $n`, and variable values are checked against their arguments). `None` for a document too large to cache.
pub fn validation_key(request: &Request) -> Option<String> {
    if request.query.len() > MAX_CACHED_DOCUMENT {
        return None;
    }
    let variables = serde_json::to_string(&request.variables).ok()?;
    let operation = request.operation_name.as_deref().unwrap_or("");
    Some([operation, "\n", &variables, "\n", &request.query].concat())
}

impl Documents {
    /// The validation of an identical request that passed lately.
    pub fn validated(&self, key: &str) -> Option<ValidationResult> {
        lock(&self.validated).get(key)
    }

    /// Remember that the request `key` passed validation (only passing ones are kept: errors are worked out each time).
    pub fn passed_validation(&self, key: String, result: ValidationResult) {
        let cost = key.len();
        lock(&self.validated).insert(key.into(), result, cost);
    }
}

/// The hash of Apollo's `extensions.persistedQuery` (`{version: 1, sha256Hash}`).
fn apollo_hash(persisted: &Value) -> Result<String, Refusal> {
    let Value::Object(fields) = persisted else {
        return Err(Refusal::Malformed(
            "`extensions.persistedQuery` must be an object",
        ));
    };
    match fields.get("version") {
        Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
        _ => return Err(Refusal::Malformed("only `persistedQuery.version` 1 is supported")),
    }
    match fields.get("sha256Hash") {
        Some(Value::String(hash)) if is_sha256(hash) => Ok(hash.to_ascii_lowercase()),
        _ => Err(Refusal::Malformed(
            "`persistedQuery.sha256Hash` must be 64 hexadecimal digits",
        )),
    }
}

/// Log a document that ran without being in the manifest.
fn audit(request: &Request, hash: &str) {
    tracing::warn!(
        target: "agora::trusted_documents",
        sha256 = hash,
        operation = request.operation_name.as_deref().unwrap_or(""),
        "ran a document that is not in the trusted documents manifest"
    );
}

/// A manifest key as requests name it: lower-case, without `sha256:`.
fn normalize(id: &str) -> String {
    id.strip_prefix("sha256:").unwrap_or(id).to_ascii_lowercase()
}

fn is_sha256(hex: &str) -> bool {
    hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The SHA-256 of `text`, in lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    use std::fmt::Write;
    Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A map from text keys bounded by the summed cost of its entries, oldest out first.
struct Bounded<V> {
    map: HashMap<Arc<str>, (V, usize)>,
    order: VecDeque<Arc<str>>,
    cost: usize,
    max_cost: usize,
}

impl<V: Clone> Bounded<V> {
    fn new(max_cost: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
            cost: 0,
            max_cost,
        }
    }

    fn get(&self, key: &str) -> Option<V> {
        self.map.get(key).map(|(value, _)| value.clone())
    }

    fn insert(&mut self, key: Arc<str>, value: V, cost: usize) {
        if cost > self.max_cost || self.map.contains_key(&key) {
            return;
        }
        while self.cost + cost > self.max_cost {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some((_, freed)) = self.map.remove(&oldest) {
                self.cost -= freed;
            }
        }
        self.order.push_back(key.clone());
        self.map.insert(key, (value, cost));
        self.cost += cost;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounded_map_drops_its_oldest_entries_past_its_cost() {
        let mut map = Bounded::new(10);
        map.insert("a".into(), 1, 4);
        map.insert("b".into(), 2, 4);
        map.insert("c".into(), 3, 4);
        assert_eq!(map.get("a"), None);
        assert_eq!((map.get("b"), map.get("c")), (Some(2), Some(3)));
        map.insert("huge".into(), 4, 11);
        assert_eq!(map.get("huge"), None);
        assert_eq!(map.cost, 8);
    }

    #[test]
    fn hashes_are_lower_case_hex() {
        assert_eq!(
            sha256_hex("{__typename}"),
            "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"
        );
        assert_eq!(normalize("sha256:ABC"), "abc");
    }

    fn request(query: &str, extensions: serde_json::Value) -> Request {
        let mut request = Request::new(query);
        request.extensions = serde_json::from_value(extensions).unwrap_or_default();
        request
    }

    #[test]
    fn an_apollo_hash_registers_once_checked_and_is_found_after() {
        let documents = Documents::new(TrustedDocumentsMode::Off);
        let hash = sha256_hex("{__typename}");
        let persisted = serde_json::json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
        assert_eq!(
            documents.resolve(&mut request("", persisted.clone())),
            Err(Refusal::NotFound)
        );
        assert_eq!(
            documents.resolve(&mut request("{ __typename }", persisted.clone())),
            Err(Refusal::HashMismatch)
        );
        assert_eq!(
            documents.resolve(&mut request("{__typename}", persisted.clone())),
            Ok(())
        );
        let mut again = request("", persisted);
        assert_eq!(documents.resolve(&mut again), Ok(()));
        assert_eq!(again.query, "{__typename}");
    }

    #[test]
    fn enforce_runs_only_the_manifest() {
        let documents = Documents::new(TrustedDocumentsMode::Enforce);
        assert_eq!(
            documents.resolve(&mut request("{__typename}", serde_json::json!({}))),
            Err(Refusal::Required)
        );
        let id = format!("sha256:{}", sha256_hex("{__typename}"));
        assert_eq!(
            documents.resolve(&mut request("", serde_json::json!({"documentId": id}))),
            Err(Refusal::NotFound)
        );
        assert!(matches!(
            documents.resolve(&mut request("", serde_json::json!({"documentId": "md5:abc"}))),
            Err(Refusal::Malformed(_))
        ));
    }
}
