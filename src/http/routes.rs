//! The router's path patterns, kept for the layers outside it. axum matches
//! a route inside the layer stack, so the layers around it (the metrics'
//! route label, the exported request span's name and `http.route`) would
//! learn the route only from a `route_layer`, which wraps every route in
//! one more boxed service, cloned with its future boxed for every request:
//! ~1.3k instructions a request, more than the metrics' own counting
//! (docs/BENCHMARKS.md). Routes are added through [`Routes`] instead, which
//! notes each pattern in a `matchit` router, the matcher axum's router is
//! built on, so a path takes the same pattern in both.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::response::IntoResponse;
use axum::routing::MethodRouter;
use tower::Service;

/// Which route pattern a path takes (`/files/{*key}` for `/files/a/b`).
#[derive(Clone, Default)]
pub struct RouteTable(Arc<matchit::Router<Box<str>>>);

impl RouteTable {
    /// The pattern `path` matches, if any.
    pub fn of(&self, path: &str) -> Option<&str> {
        self.0.at(path).ok().map(|found| &**found.value)
    }
}

/// An axum router being built, with its [`RouteTable`].
pub struct Routes<S> {
    router: Router<S>,
    patterns: matchit::Router<Box<str>>,
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    /// No routes yet.
    pub fn new() -> Self {
        Routes {
            router: Router::new(),
            patterns: matchit::Router::new(),
        }
    }

    /// `Router::route`, noting `pattern`.
    pub fn route(mut self, pattern: &str, method_router: MethodRouter<S>) -> Self {
        self.note(pattern, pattern);
        self.router = self.router.route(pattern, method_router);
        self
    }

    /// `Router::nest_service`: the paths under `prefix` are one route, `{prefix}/{*rest}`.
    pub fn nest_service<T>(mut self, prefix: &str, service: T) -> Self
    where
        T: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
        T::Response: IntoResponse,
        T::Future: Send + 'static,
    {
        let pattern = format!("{prefix}/{{*rest}}");
        self.note(&pattern, &pattern);
        self.note(prefix, &pattern);
        self.router = self.router.nest_service(prefix, service);
        self
    }

    fn note(&mut self, pattern: &str, label: &str) {
        // axum's router has taken the same pattern into the same matcher (it
        // panics on a conflict), so this insert cannot fail.
        let _ = self.patterns.insert(pattern, label.into());
    }

    /// The router and its table.
    pub fn finish(self) -> (Router<S>, RouteTable) {
        (self.router, RouteTable(Arc::new(self.patterns)))
    }
}

#[cfg(test)]
mod tests {
    use axum::routing::get;

    use super::*;

    #[test]
    fn a_path_takes_the_pattern_the_router_matches() {
        let (_, table) = Routes::<()>::new()
            .route("/graphql", get(|| async {}))
            .route("/files/{*key}", get(|| async {}))
            .route("/documents/{id}", get(|| async {}))
            .nest_service(
                "/assets",
                tower::service_fn(|_: Request| async { Ok::<_, Infallible>(()) }),
            )
            .finish();
        assert_eq!(table.of("/graphql"), Some("/graphql"));
        assert_eq!(table.of("/files/a/b.png"), Some("/files/{*key}"));
        assert_eq!(table.of("/documents/42"), Some("/documents/{id}"));
        assert_eq!(table.of("/assets/app.css"), Some("/assets/{*rest}"));
        assert_eq!(table.of("/assets"), Some("/assets/{*rest}"));
        assert_eq!(table.of("/graphql/"), None);
        assert_eq!(table.of("/documents"), None);
        assert_eq!(table.of("/nowhere"), None);
    }
}
