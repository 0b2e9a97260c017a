//! The one extension every operation passes, on every transport:
//!
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
//!   1 MB error.
//!
//! One extension rather than one per concern: async-graphql calls every
//! extension around every field it resolves, so each costs per field.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest, NextRequest,
};
use async_graphql::{ErrorExtensionValues, Request, Response, ServerError, ServerResult};

use super::input_text;
use super::limits::{DocumentLimits, count_values};

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

/// The extension (see the module documentation).
#[derive(Clone, Copy)]
pub struct Checks {
    /// Bounds on the document.
    pub document: DocumentLimits,
    /// Most values (fields and list items) one response may carry.
    pub max_response_values: usize,
}

impl ExtensionFactory for Checks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

/// A request error (the document or its values), with a code and, for a
/// value, the field it came from.
fn refuse(message: String, field: Option<&str>) -> ServerError {
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    if let Some(field) = field {
        extensions.set("field", field);
    }
    let mut error = ServerError::new(message, None);
    error.extensions = Some(extensions);
    error
}

#[async_graphql::async_trait::async_trait]
impl Extension for Checks {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            shorten(&mut error.message);
        }
        response
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        self.document
            .check_source(&request.query)
            .map_err(|message| refuse(message, None))?;
        // Parsed here, once: async-graphql reuses the document, but walks its
        // fragments expanded (recursion and directive checks) before any
        // later hook, so the bounds must hold before that.
        let variables = std::mem::take(&mut request.variables);
        let doc = request.parsed_query()?;
        self.document
            .check_document(doc)
            .map_err(|message| refuse(message, None))?;
        input_text::check(doc, &variables).map_err(|refused| {
            refuse(
                "text may not hold control characters other than tab and line breaks".into(),
                Some(&refused.field),
            )
        })?;
        request.variables = variables;
        next.run(ctx, request).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(flag) = ctx.data_opt::<ExecutionStarted>() {
            flag.0.store(true, Ordering::Relaxed);
        }
        let response = next.run(ctx, operation_name).await;
        if count_values(&response.data) <= self.max_response_values {
            return response;
        }
        Response::from_errors(vec![refuse(
            format!(
                "the response would carry more than {} values; ask for smaller pages",
                self.max_response_values
            ),
            None,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
