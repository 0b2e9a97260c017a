//! The operation span: one per query or mutation executed (a document
//! refused before execution has none), named by the GraphQL semantic
//! conventions (`query Me`, or `mutation` when unnamed), with
//! `graphql.operation.type`, `graphql.operation.name` and
//! `graphql.document`. Over HTTP it is a child of the request span; on a
//! WebSocket, a trace of its own (subscriptions' streams are not traced).
//!
//! The document carries no variable's value, but a client may still have
//! written a secret as a literal (`login(input: {password: "…"})`): every
//! string literal is replaced by `"?"`, comments are dropped, and the text
//! is cut at [`MAX_DOCUMENT`] bytes.
//!
//! An async-graphql extension, in the schema only while traces are
//! exported (each extension costs something on every field).

use std::sync::{Arc, OnceLock};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest,
};
use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Response, ServerResult};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Longest `graphql.document`, in bytes.
pub const MAX_DOCUMENT: usize = 4096;

/// The span name when the operation is unknown (the conventions' fallback).
const UNKNOWN: &str = "GraphQL Operation";

/// The extension: register it after `graphql::checks`, which parses the document this one reads.
pub struct Operations;

impl ExtensionFactory for Operations {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Operation::default())
    }
}

/// One request's operation, as read from its document before it runs.
#[derive(Default)]
struct Operation(OnceLock<Description>);

/// The span's name and attributes.
struct Description {
    name: String,
    attributes: Vec<(&'static str, String)>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Operation {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if let Some(description) = describe(&mut request) {
            let _ = self.0.set(description);
        }
        next.run(ctx, request).await
    }

    /// The span covers execution (parsing and validation are done by then): its name must be known when it starts.
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let name = self.0.get().map_or(UNKNOWN, |d| d.name.as_str());
        let span = tracing::info_span!(target: "agora::graphql", "graphql", otel.name = name);
        for (key, value) in self.0.get().iter().flat_map(|d| &d.attributes) {
            span.set_attribute(*key, value.clone());
        }
        next.run(ctx, operation_name).instrument(span).await
    }
}

/// The name and attributes of the operation `request` runs; `None` when the document names no such operation. The document is the one already parsed (and kept) by `graphql::checks`.
fn describe(request: &mut Request) -> Option<Description> {
    let wanted = request.operation_name.clone();
    let doc = request.parsed_query().ok()?;
    let mut operations = doc.operations.iter();
    let (name, operation) = match &wanted {
        Some(wanted) => operations.find(|(name, _)| name.is_some_and(|n| n.as_str() == wanted)),
        None => operations.next().filter(|_| doc.operations.iter().count() == 1),
    }?;
    let kind = match operation.node.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    let mut attributes = vec![("graphql.operation.type", kind.to_owned())];
    let name = match name {
        Some(name) => {
            attributes.push(("graphql.operation.name", name.to_string()));
            format!("{kind} {name}")
        }
        None => kind.to_owned(),
    };
    attributes.push(("graphql.document", redacted(&request.query)));
    Some(Description { name, attributes })
}

/// `source` with every string literal replaced by `"?"` and comments dropped, at most [`MAX_DOCUMENT`] bytes (a cut ends with `…`).
pub fn redacted(source: &str) -> String {
    let mut out = String::with_capacity(source.len().min(MAX_DOCUMENT));
    let mut rest = source;
    while let Some(c) = rest.chars().next() {
        if out.len() > MAX_DOCUMENT {
            break;
        }
        if c == '#' {
            rest = rest.find(['\n', '\r']).map_or("", |end| &rest[end..]);
        } else if let Some(block) = rest.strip_prefix("\"\"\"") {
            rest = block_string_end(block);
            out.push_str("\"?\"");
        } else if let Some(string) = rest.strip_prefix('"') {
            rest = string_end(string);
            out.push_str("\"?\"");
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if out.len() > MAX_DOCUMENT {
        let mut cut = MAX_DOCUMENT;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// What follows a block string's closing `"""` (`\"""` does not close it).
fn block_string_end(body: &str) -> &str {
    let mut from = 0;
    while let Some(at) = body[from..].find("\"\"\"") {
        let at = from + at;
        if body[..at].ends_with('\\') {
            from = at + 3;
        } else {
            return &body[at + 3..];
        }
    }
    ""
}

/// What follows a string's closing quote (backslash escapes skipped); an unterminated string ends at the line's end.
fn string_end(body: &str) -> &str {
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '"' => return &body[at + 1..],
            '\n' | '\r' => return &body[at..],
            _ => {}
        }
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_are_replaced() {
        assert_eq!(
            redacted(
                r#"mutation SignIn { login(input: {email: "ann@example.com", password: "hun\"ter2"}) { accessToken } }"#
            ),
            r#"mutation SignIn { login(input: {email: "?", password: "?"}) { accessToken } }"#
        );
    }

    #[test]
    fn block_strings_and_comments_are_dropped() {
        assert_eq!(
            redacted("query { # my token is abc\n  a(text: \"\"\"sec\\\"\"\"ret\"\"\") b(n: 3, e: OPEN) }"),
            "query { \n  a(text: \"?\") b(n: 3, e: OPEN) }"
        );
    }

    #[test]
    fn unterminated_strings_stop_at_the_line_end() {
        assert_eq!(redacted("{ a(s: \"secret\n) }"), "{ a(s: \"?\"\n) }");
        assert_eq!(redacted("{ a(s: \"secret"), "{ a(s: \"?\"");
        assert_eq!(redacted("{ a(s: \"\"\"secret"), "{ a(s: \"?\"");
    }

    #[test]
    fn long_documents_are_cut_on_a_character() {
        let long = format!("query {{ {} }}", "é".repeat(MAX_DOCUMENT));
        let cut = redacted(&long);
        assert!(cut.len() <= MAX_DOCUMENT + '…'.len_utf8(), "{}", cut.len());
        assert!(cut.ends_with('…'));
        assert!(cut.starts_with("query { éé"));
    }
}
