//! Tells the HTTP handler whether an operation reached execution: only then
//! does the response carry `data` (GraphQL over HTTP: a document that fails
//! to parse or validate is a request error, answered 4xx in
//! `application/graphql-response+json`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};

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

/// The extension that sets [`ExecutionStarted`].
pub struct MarkExecution;

impl ExtensionFactory for MarkExecution {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(MarkExecution)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for MarkExecution {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> async_graphql::Response {
        if let Some(flag) = ctx.data_opt::<ExecutionStarted>() {
            flag.0.store(true, Ordering::Relaxed);
        }
        next.run(ctx, operation_name).await
    }
}
