//! `TestApp`: the real router over a fresh database, and a client for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use agora::config::Config;
use agora::db::{Backend, Pool, run_migrations};
use agora::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::smtp::SmtpSink;

pub const PASSWORD: &str = "correct horse battery";
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret!";

/// An HTTP response, decoded.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// `errors[0].extensions.code`.
    pub fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("")
    }

    /// `errors[0].extensions.field`.
    pub fn field(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["field"].as_str()
    }

    /// `errors[0].message`.
    pub fn message(&self) -> &str {
        self.body["errors"][0]["message"].as_str().unwrap_or("")
    }

    /// `data`, asserting there were no errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        &self.body["data"]
    }
}

/// A signed-in test user.
#[derive(Clone)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub access: String,
    pub refresh: String,
}

/// The application over its own fresh database and file storage.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    /// The SMTP server mail goes to ([`TestApp::with_mail`]).
    pub smtp: Option<SmtpSink>,
    /// The directory `STORAGE_URL` points to (unless a test set its own).
    pub files: tempfile::TempDir,
    /// The job workers of [`TestApp::with_mail`] (they stop when dropped).
    pub _workers: Option<agora::jobs::worker::Workers>,
    /// Dropped last: removes a PostgreSQL test database.
    _db: TestDb,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_env(&[]).await
    }

    /// With extra configuration variables (`("APP_ENV", "production")`).
    pub async fn with_env(vars: &[(&str, &str)]) -> Self {
        Self::build(vars, None).await
    }

    /// With the background work running as `serve` runs it (the mail
    /// deliverer, sending to a real SMTP server in the test, `app.mailbox()`,
    /// and the job workers); a failed send is retried after a second.
    /// (Other apps run neither: their mail and jobs wait in the database.)
    pub async fn with_mail(vars: &[(&str, &str)]) -> Self {
        let sink = SmtpSink::start().await;
        let url = sink.url();
        let vars = [&[("SMTP_URL", url.as_str()), ("JOB_RETRY_BASE", "1s")], vars].concat();
        Self::build(&vars, Some(sink)).await
    }

    /// The SMTP server of [`TestApp::with_mail`].
    pub fn mailbox(&self) -> &SmtpSink {
        self.smtp.as_ref().expect("TestApp::with_mail")
    }

    async fn build(vars: &[(&str, &str)], smtp: Option<SmtpSink>) -> Self {
        let db = TestDb::create().await;
        let files = tempfile::tempdir().unwrap();
        let mut env: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), db.url()),
            ("DATABASE_POOL_SIZE".into(), "4".into()),
            ("JWT_SECRET".into(), JWT_SECRET.into()),
            ("STORAGE_URL".into(), format!("file://{}", files.path().display())),
        ]);
        env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test config");
        let pool = Pool::new(
            &Backend::from_url(&config.database_url),
            config.database_pool_size,
        )
        .unwrap();
        run_migrations(&pool).await.expect("migrations");
        let state = AppState::new(pool, config).expect("storage");
        let workers = smtp.is_some().then(|| agora::background::start(&state));
        TestApp {
            router: agora::app(state.clone()),
            state,
            smtp,
            files,
            _workers: workers,
            _db: db,
        }
    }

    pub fn backend(&self) -> &'static str {
        self.state.pool.backend_name()
    }

    /// Send any request through the router.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// POST a GraphQL operation as JSON.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Reply {
        let body = json!({ "query": query, "variables": variables });
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/graphql")
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.send(request.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// Register a user with `role` and return its tokens.
    pub async fn register(&self, email: &str, role: &str) -> Account {
        let reply = self
            .gql(
                "mutation($input: RegisterInput!) { register(input: $input) { accessToken refreshToken user { id email } } }",
                json!({ "input": { "email": email, "password": PASSWORD, "name": "Test User", "role": role } }),
                None,
            )
            .await;
        let payload = &reply.data()["register"];
        Account {
            id: payload["user"]["id"].as_str().unwrap().to_owned(),
            email: payload["user"]["email"].as_str().unwrap().to_owned(),
            access: payload["accessToken"].as_str().unwrap().to_owned(),
            refresh: payload["refreshToken"].as_str().unwrap().to_owned(),
        }
    }

    /// Sign in again as an existing user (a second session).
    pub async fn login(&self, email: &str) -> Account {
        let reply = self
            .gql(
                "mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken user { id email } } }",
                json!({ "input": { "email": email, "password": PASSWORD } }),
                None,
            )
            .await;
        let payload = &reply.data()["login"];
        Account {
            id: payload["user"]["id"].as_str().unwrap().to_owned(),
            email: payload["user"]["email"].as_str().unwrap().to_owned(),
            access: payload["accessToken"].as_str().unwrap().to_owned(),
            refresh: payload["refreshToken"].as_str().unwrap().to_owned(),
        }
    }

    /// The text of the one column (aliased `v`) of every row `select` returns.
    pub async fn column(&self, select: &str) -> Vec<Option<String>> {
        let mut conn = self.state.pool.get().await.unwrap();
        let rows: Vec<Cell> =
            agora::with_conn!(&mut conn, |c| diesel::sql_query(select).load(c).await).unwrap();
        rows.into_iter().map(|r| r.v).collect()
    }

    /// Run raw SQL on the test database (to set up what the API cannot, like
    /// an admin's block or the passing of time).
    pub async fn sql(&self, statement: &str) {
        let mut conn = self.state.pool.get().await.unwrap();
        agora::with_conn!(&mut conn, |c| diesel::sql_query(statement).execute(c).await).unwrap();
    }
}

#[derive(QueryableByName)]
struct Cell {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    v: Option<String>,
}

/// `at` as a literal both databases read as a stored time.
pub fn sql_time(at: chrono::DateTime<chrono::Utc>) -> String {
    format!("'{}'", at.format("%Y-%m-%dT%H:%M:%S%.6fZ"))
}

/// `TEST_DATABASE_URL`, when set: the suite then runs on PostgreSQL, and
/// fails (never skips) when that server cannot be reached.
fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// The same URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let prefix = &base[..base
        .rfind('/')
        .filter(|&i| i > "postgres://".len())
        .unwrap_or(base.len())];
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

const TEMPLATE: &str = "agora_test_template";
static TEMPLATE_READY: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

#[derive(QueryableByName)]
struct DatabaseName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    datname: String,
}

async fn admin_connection(admin_url: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(admin_url)
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}"))
}

/// Once per test process: drop what earlier runs left and migrate a fresh
/// template that every test database is cloned from.
async fn prepare_template(admin_url: &str) {
    let mut conn = admin_connection(admin_url).await;
    let stale: Vec<DatabaseName> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'agora_test_%'")
            .load(&mut conn)
            .await
            .unwrap();
    for db in stale {
        diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", db.datname))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    diesel::sql_query(format!("CREATE DATABASE {TEMPLATE}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let pool = Pool::new(&Backend::Postgres(with_database(admin_url, TEMPLATE)), 1).unwrap();
    run_migrations(&pool).await.expect("migrating the template");
    pool.close();
}

enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    async fn create() -> Self {
        let Some(admin_url) = postgres_url() else {
            return TestDb::Sqlite(tempfile::tempdir().unwrap());
        };
        TEMPLATE_READY.get_or_init(|| prepare_template(&admin_url)).await;
        let name = format!(
            "agora_test_{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = admin_connection(&admin_url).await;
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
            .execute(&mut conn)
            .await
            .unwrap();
        TestDb::Postgres { admin_url, name }
    }

    fn url(&self) -> String {
        match self {
            TestDb::Sqlite(dir) => format!("sqlite://{}", dir.path().join("agora.db").display()),
            TestDb::Postgres { admin_url, name } => with_database(admin_url, name),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let TestDb::Postgres { admin_url, name } = self else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop runs outside any runtime; give the cleanup its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut conn = admin_connection(&admin_url).await;
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            });
        })
        .join();
    }
}

#[test]
fn database_urls_are_rewritten() {
    assert_eq!(
        with_database("postgres://u@h:5432/postgres", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@h/postgres?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
}

/// A well-formed global id of type `T` that names no row.
pub fn unknown_id<T: agora::db::TypedId>() -> String {
    T::from_uuid(uuid::Uuid::now_v7()).to_global()
}

/// Text that is no global id at all (a bare UUID is not one either).
pub const MALFORMED_IDS: [&str; 2] = ["nope", "0192f0c4-0000-7000-8000-000000000000"];

/// The UUID a global id names, as the database stores it on SQLite (for
/// comparing API ids with rows read directly).
pub fn row_id(global: &str) -> String {
    agora::db::GlobalId::parse(global)
        .map(|g| g.uuid.hyphenated().to_string())
        .unwrap_or_else(|| panic!("{global:?} is not a global id"))
}

const BOUNDARY: &str = "----agora-test-boundary-7MA4YWxkTrZu0gW";

/// The CSRF header a browser client sends with uploads.
pub const PREFLIGHT: (&str, &str) = ("apollo-require-preflight", "true");

/// A file part of a multipart request.
pub struct File<'a> {
    pub name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// A multipart body by the GraphQL multipart request spec: `operations`
/// (`query` with `variables`, whose `file` is null), `map` (file part `i` →
/// `variables.file`), then the files.
pub fn multipart_body(query: &str, variables: Value, files: &[File<'_>]) -> Vec<u8> {
    let operations = json!({ "query": query, "variables": variables });
    let map: serde_json::Map<String, Value> = (0..files.len())
        .map(|i| (i.to_string(), json!(["variables.file"])))
        .collect();
    let mut body = Vec::new();
    for (name, value) in [
        ("operations", operations.to_string()),
        ("map", Value::Object(map).to_string()),
    ] {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .bytes(),
        );
    }
    for (i, file) in files.iter().enumerate() {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{i}\"; filename=\"{}\"\r\n\
                 Content-Type: {}\r\n\r\n",
                file.name, file.content_type
            )
            .bytes(),
        );
        body.extend_from_slice(file.bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").bytes());
    body
}

/// A multipart POST to `/graphql` with `headers` (name, value).
pub fn multipart_request(
    query: &str,
    variables: Value,
    files: &[File<'_>],
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> Request<Body> {
    let mut request = Request::post("/graphql").header(
        "content-type",
        format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .body(Body::from(multipart_body(query, variables, files)))
        .unwrap()
}
