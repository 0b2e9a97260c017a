//! `GET /graphiql`: the GraphiQL IDE (development, or `GRAPHIQL=true`).
//!
//! Its scripts load from unpkg by default; with `GRAPHIQL_ASSETS_DIR` they are
//! served from that directory at `/graphiql/assets/` instead (see the README:
//! `scripts/graphiql-assets.sh` fills one from the npm registry).

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

/// Pinned versions: GraphiQL 3 is the last line with a browser (UMD) build.
const CDN: [(&str, &str); 4] = [
    (
        "graphiql.min.css",
        "https://unpkg.com/graphiql@3.8.3/graphiql.min.css",
    ),
    (
        "react.production.min.js",
        "https://unpkg.com/react@18.3.1/umd/react.production.min.js",
    ),
    (
        "react-dom.production.min.js",
        "https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js",
    ),
    (
        "graphiql.min.js",
        "https://unpkg.com/graphiql@3.8.3/graphiql.min.js",
    ),
];

/// Where the page's assets come from.
#[derive(Clone, Copy)]
pub enum Assets {
    /// unpkg.
    Cdn,
    /// `/graphiql/assets/` (from `GRAPHIQL_ASSETS_DIR`).
    Local,
}

impl Assets {
    fn url(self, file: &'static str) -> String {
        match self {
            Assets::Local => format!("/graphiql/assets/{file}"),
            Assets::Cdn => CDN
                .iter()
                .find(|(f, _)| *f == file)
                .map(|(_, url)| (*url).to_owned())
                .unwrap_or_default(),
        }
    }

    fn origin(self) -> &'static str {
        match self {
            Assets::Local => "'self'",
            Assets::Cdn => "'self' https://unpkg.com",
        }
    }
}

/// The page: no inline script, so the policy needs no `unsafe-inline` for scripts. Its `connect-src` admits the page's own host over WebSocket too, for subscriptions (`headers` give the host).
pub fn page(assets: Assets, headers: &HeaderMap) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Agora GraphiQL</title>
  <link rel="stylesheet" href="{css}">
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="{react}"></script>
  <script src="{react_dom}"></script>
  <script src="{graphiql}"></script>
  <script src="/graphiql/app.js"></script>
</body>
</html>"#,
        css = assets.url("graphiql.min.css"),
        react = assets.url("react.production.min.js"),
        react_dom = assets.url("react-dom.production.min.js"),
        graphiql = assets.url("graphiql.min.js"),
    );
    let origin = assets.origin();
    let sockets = socket_sources(headers);
    let csp = format!(
        "default-src 'self'; script-src {origin}; style-src {origin} 'unsafe-inline'; \
         img-src {origin} data:; font-src {origin} data:; connect-src 'self'{sockets}; frame-ancestors 'none'"
    );
    let mut response = Html(html).into_response();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// The WebSocket sources of the page's own host (` ws://host wss://host`), or nothing when the `Host` header is missing or not a plain host. CSP 3's `'self'` matches them already, but not every browser applies that rule.
fn socket_sources(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host.len() <= 255
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        });
    host.map(|host| format!(" ws://{host} wss://{host}"))
        .unwrap_or_default()
}

/// `GET /graphiql/app.js`: starts GraphiQL against `/graphql`, and subscriptions against `/graphql/ws` (graphql-transport-ws) on the page's own host (`wss://` when the page came over HTTPS). Paste `{"Authorization": "Bearer <accessToken>"}` into the Headers tab to act as a user: GraphiQL sends the headers in the HTTP requests, and over WebSocket as the `connection_init` payload.
pub async fn app_js() -> impl IntoResponse {
    const APP: &str = r#"const socket = (window.location.protocol === 'https:' ? 'wss://' : 'ws://') + window.location.host;
const fetcher = GraphiQL.createFetcher({
  url: window.location.origin + '/graphql',
  subscriptionUrl: socket + '/graphql/ws',
});
const root = ReactDOM.createRoot(document.getElementById('graphiql'));
root.render(React.createElement(GraphiQL, {
  fetcher,
  defaultEditorToolsVisibility: true,
  defaultQuery: '# Welcome to Agora. Sign in with the login mutation, then put\n# {"Authorization": "Bearer <accessToken>"} in the Headers tab\n# (subscriptions send it over the WebSocket too).\n\nquery Me {\n  me { id name email role }\n}\n',
}));
"#;
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], APP)
}
