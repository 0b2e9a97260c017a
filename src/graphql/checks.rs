//! The one extension every operation passes, on every transport:
//!
//! - on a WebSocket, the document a request names by hash is looked up
//!   first ([`crate::persisted`]; the HTTP handler does it for HTTP);
//! - before anything else, the document's tokens are counted; once parsed,
//!   its aliases, root fields and size with fragments expanded are bounded
//!   ([`DocumentLimits`]), and every string it carries is checked for
//!   control characters ([`input_text`]): all before async-graphql's own
//!   checks and validation, which walk fragments expanded;
//! - when execution begins, [`ExecutionStarted`] is set, so the HTTP handler
//!   knows whether the response carries `data` (GraphQL over HTTP: a document
//!   that fails to parse or validate is a request error, answered 4xx in
//!   `application/graphql-response+json`);
//! - after execution, a response carrying more than `max_response_values`
//!   values is replaced by one error;
//! - every error message is at most [`MAX_MESSAGE`] characters: async-graphql
//!   quotes the values it refuses whole, and a 1 MB value must not make a
//!   1 MB error;
//! - every error has a code: `GRAPHQL_PARSE_FAILED` for a document that does
//!   not parse, `GRAPHQL_VALIDATION_FAILED` for one that fails validation or
//!   a limit (a broken query: the client's code is wrong), `BAD_USER_INPUT`
//!   for a value the user supplied (a variable, a control character, an
//!   argument async-graphql cannot read), `INTERNAL_SERVER_ERROR` for
//!   anything else that reached the end of execution without a code.
//!
//! One extension rather than one per concern: async-graphql calls every
//! extension around every field it resolves, so each costs per field.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest, NextRequest,
    NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{
    ErrorExtensionValues, Pos, Request, Response, ServerError, ServerResult, ValidationResult,
};
use async_graphql_value::Value as GqlValue;

use super::limits::{DocumentLimits, count_values};
use super::{Connection, input_text, install_request_data};
use crate::persisted::validation_key;
use crate::state::AppState;

/// Longest error message, in characters.
pub const MAX_MESSAGE: usize = 300;

/// Cut `message` to [`MAX_MESSAGE`] characters (an ellipsis marks the cut).
fn shorten(message: &mut String) {
    if let Some((end, _)) = message.char_indices().nth(MAX_MESSAGE) {
        message.truncate(end);
        message.push('…');
    }
}

/// Put in a request's data; set once execution begins.
#[derive(Clone, Default)]
pub struct ExecutionStarted(Arc<AtomicBool>);

impl ExecutionStarted {
    /// A flag not yet set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Did any operation it was given to reach execution?
    pub fn started(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The extension (see the module documentation): its settings, made into one [`PerRequest`] for every request.
#[derive(Clone, Copy)]
pub struct Checks {
    /// Bounds on the document.
    pub document: DocumentLimits,
    /// Most values (fields and list items) one response may carry.
    pub max_response_values: usize,
}

impl ExtensionFactory for Checks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PerRequest {
            checks: *self,
            variable_arguments: Mutex::new(Vec::new()),
            executed: AtomicBool::new(false),
            validation_key: Mutex::new(None),
        })
    }
}

/// The extension as one request sees it.
struct PerRequest {
    checks: Checks,
    /// Where the document passes a variable as (part of) an argument: an invalid value there is the user's, not the document's.
    variable_arguments: Mutex<Vec<Pos>>,
    /// Did execution begin?
    executed: AtomicBool,
    /// What this request's validation depends on (`persisted::validation_key`), set once its document passed the checks.
    validation_key: Mutex<Option<String>>,
}

/// The codes of errors raised outside resolvers (see [`code_missing`]).
const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";

/// An error with `code`, and for a value the field it came from.
fn refuse(message: String, code: &str, field: Option<&str>) -> ServerError {
    let mut error = ServerError::new(message, None);
    set_code(&mut error, code);
    if let (Some(field), Some(extensions)) = (field, error.extensions.as_mut()) {
        extensions.set("field", field);
    }
    error
}

/// Give `error` a code unless it has one.
fn set_code(error: &mut ServerError, code: &str) {
    let extensions = error.extensions.get_or_insert_with(ErrorExtensionValues::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code);
    }
}

/// The code of an error that reached the end of a request without one: during execution, async-graphql's own refusals of an argument value it could not read ("Failed to parse …", "Expected input type …") are the user's input; anything else is a bug of ours. Before execution, the phases set their codes themselves.
fn code_missing(executed: bool, message: &str) -> &'static str {
    let bad_argument = [
        "Failed to parse",
        "Expected input type",
        "Invalid value for argument",
    ]
    .iter()
    .any(|p| message.starts_with(p));
    match (executed, bad_argument) {
        (_, true) => BAD_USER_INPUT,
        (true, false) => "INTERNAL_SERVER_ERROR",
        (false, false) => VALIDATION_FAILED,
    }
}

/// Positions of the arguments whose value holds a variable.
fn variable_arguments(doc: &ExecutableDocument) -> Vec<Pos> {
    fn uses_variable(value: &GqlValue) -> bool {
        match value {
            GqlValue::Variable(_) => true,
            GqlValue::List(items) => items.iter().any(uses_variable),
            GqlValue::Object(fields) => fields.values().any(uses_variable),
            _ => false,
        }
    }
    fn walk(set: &SelectionSet, found: &mut Vec<Pos>) {
        for item in &set.items {
            let (arguments, inner) = match &item.node {
                Selection::Field(f) => (f.node.arguments.as_slice(), &f.node.selection_set.node),
                Selection::InlineFragment(f) => (&[][..], &f.node.selection_set.node),
                Selection::FragmentSpread(_) => continue,
            };
            found.extend(
                arguments
                    .iter()
                    .filter(|(_, value)| uses_variable(&value.node))
                    .map(|(name, _)| name.pos),
            );
            walk(inner, found);
        }
    }
    let mut found = Vec::new();
    for (_, op) in doc.operations.iter() {
        walk(&op.node.selection_set.node, &mut found);
    }
    for fragment in doc.fragments.values() {
        walk(&fragment.node.selection_set.node, &mut found);
    }
    found
}

#[async_graphql::async_trait::async_trait]
impl Extension for PerRequest {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        let executed = self.executed.load(Ordering::Relaxed);
        for error in &mut response.errors {
            shorten(&mut error.message);
            set_code(error, code_missing(executed, &error.message));
        }
        response
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // An operation on a WebSocket: the HTTP handler did not resolve its
        // document by name, parse it or install its data.
        let socket = match (ctx.data_opt::<Connection>(), ctx.data_opt::<AppState>()) {
            (Some(connection), Some(state)) => {
                state
                    .documents
                    .resolve(&mut request)
                    .map_err(|refusal| refusal.to_server_error())?;
                Some((connection, state))
            }
            _ => None,
        };
        let limits = &self.checks.document;
        limits
            .check_source(&request.query)
            .map_err(|message| refuse(message, VALIDATION_FAILED, None))?;
        // Parsed here, once: async-graphql reuses the document, but walks its
        // fragments expanded (recursion and directive checks) before any
        // later hook, so the bounds must hold before that.
        let variables = std::mem::take(&mut request.variables);
        let parsed = match socket {
            Some((_, state)) => state.documents.parse(&mut request),
            None => request.parsed_query(),
        };
        let doc = parsed.map_err(|mut error| {
            set_code(&mut error, PARSE_FAILED);
            error
        })?;
        limits
            .check_document(doc)
            .map_err(|message| refuse(message, VALIDATION_FAILED, None))?;
        input_text::check(doc, &variables).map_err(|refused| {
            refuse(
                "text may not hold control characters other than tab and line breaks".into(),
                BAD_USER_INPUT,
                Some(&refused.field),
            )
        })?;
        *lock(&self.variable_arguments) = variable_arguments(doc);
        request.variables = variables;
        *lock(&self.validation_key) = validation_key(&request);
        // An operation on a WebSocket: its own loaders, like an HTTP request's.
        if let Some((connection, state)) = socket {
            install_request_data(
                &mut request.data,
                state,
                connection.viewer,
                connection.client.clone(),
            );
        }
        next.run(ctx, request).await
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        // An identical request passed lately: validation is a function of the
        // request and the schema, so its result stands.
        let documents = ctx.data_opt::<AppState>().map(|state| &state.documents);
        let key = lock(&self.validation_key).take();
        if let (Some(documents), Some(key)) = (documents, &key)
            && let Some(result) = documents.validated(key)
        {
            return Ok(result);
        }
        let result = next.run(ctx).await.map_err(|mut errors| {
            let from_variables = lock(&self.variable_arguments);
            for error in &mut errors {
                let user_value = error.message.starts_with("Invalid value for argument")
                    && error.locations.iter().any(|at| from_variables.contains(at));
                set_code(
                    error,
                    if user_value {
                        BAD_USER_INPUT
                    } else {
                        VALIDATION_FAILED
                    },
                );
            }
            errors
        })?;
        if let (Some(documents), Some(key)) = (documents, key) {
            documents.passed_validation(key, result);
        }
        Ok(result)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        self.executed.store(true, Ordering::Relaxed);
        if let Some(flag) = ctx.data_opt::<ExecutionStarted>() {
            flag.0.store(true, Ordering::Relaxed);
        }
        let response = next.run(ctx, operation_name).await;
        let max = self.checks.max_response_values;
        if count_values(&response.data) <= max {
            return response;
        }
        Response::from_errors(vec![refuse(
            format!("the response would carry more than {max} values; ask for smaller pages"),
            BAD_USER_INPUT,
            None,
        )])
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_holding_variables_are_found() {
        let doc = async_graphql::parser::parse_query(
            "query($n: Int, $s: String) { a(first: 1) { b(first: $n) } ...F } \
             fragment F on Query { c(filter: {search: $s}, first: 2) }",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let found: Vec<(usize, usize)> = variable_arguments(&doc)
            .into_iter()
            .map(|p| (p.line, p.column))
            .collect();
        assert_eq!(found, [(1, 46), (1, 90)]);
    }

    #[test]
    fn codes_for_errors_without_one() {
        assert_eq!(code_missing(true, "Failed to parse \"Upload\""), BAD_USER_INPUT);
        assert_eq!(code_missing(true, "something broke"), "INTERNAL_SERVER_ERROR");
        assert_eq!(code_missing(false, "Unknown field \"x\""), VALIDATION_FAILED);
    }

    #[test]
    fn messages_are_cut_to_a_bound() {
        let mut short = "must be positive".to_owned();
        shorten(&mut short);
        assert_eq!(short, "must be positive");
        let mut long = format!("Expected input type \"Decimal\", found {}", "é".repeat(1_000_000));
        shorten(&mut long);
        assert_eq!(long.chars().count(), MAX_MESSAGE + 1);
        assert!(long.ends_with('…'));
    }
}
