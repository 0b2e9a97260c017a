//! TLS to PostgreSQL: `sslmode` and `sslrootcert` in `DATABASE_URL`.
//!
//! Against a real TLS-only server when `TEST_TLS_DATABASE_URL` is set
//! (`scripts/pg-tls-cluster.sh start` prints it: a `verify-full` URL with
//! its CA as `sslrootcert`); required under `CI=true`. The no-fallback test
//! needs no server: a stand-in answers the TLS request as a server without
//! TLS does.

use agora::db::{Backend, Conn, Pool};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A CA that signed nothing the test server holds.
const UNRELATED_CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/fixtures/unrelated-ca.pem");

/// `TEST_TLS_DATABASE_URL` without its query, when set; a CI run without
/// it fails rather than skips.
fn tls_server() -> Option<String> {
    match std::env::var("TEST_TLS_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true requires TEST_TLS_DATABASE_URL (scripts/pg-tls-cluster.sh start)")
        }
        _ => {
            eprintln!("TEST_TLS_DATABASE_URL is not set: skipping");
            None
        }
    }
}

/// The TLS server's URL with another host and query.
fn with(url: &str, host: &str, query: &str) -> String {
    let base = url.split_once('?').map_or(url, |(base, _)| base);
    format!(
        "{}?{query}",
        base.replacen("@localhost:", &format!("@{host}:"), 1)
    )
}

/// `sslrootcert` of the TLS server's URL.
fn server_ca(url: &str) -> String {
    url.split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("sslrootcert="))
        .expect("TEST_TLS_DATABASE_URL names its CA in sslrootcert")
        .to_owned()
}

#[derive(QueryableByName)]
struct Ssl {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    ssl: bool,
}

/// Open a pool over `url` and ask the server whether this connection is
/// encrypted; the error text when it cannot connect.
async fn encrypted(url: &str) -> Result<bool, String> {
    let pool = Pool::new(&Backend::from_url(url), 1).map_err(|e| e.to_string())?;
    let mut conn = pool.get().await.map_err(|e| e.to_string())?;
    let Conn::Pg(conn) = &mut conn else {
        panic!("{url} is not PostgreSQL");
    };
    let row: Ssl = diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .get_result(&mut **conn)
        .await
        .map_err(|e| e.to_string())?;
    assert!(pool.statements() >= 1, "statements are still counted");
    Ok(row.ssl)
}

#[tokio::test]
async fn verify_full_with_the_servers_ca_serves_queries_over_tls() {
    let Some(url) = tls_server() else { return };
    assert_eq!(encrypted(&url).await, Ok(true));
}

#[tokio::test]
async fn verify_full_with_another_ca_or_the_public_roots_fails() {
    let Some(url) = tls_server() else { return };
    let other = with(
        &url,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={UNRELATED_CA}"),
    );
    let err = encrypted(&other).await.expect_err("an unknown issuer");
    assert!(err.contains("UnknownIssuer"), "{err}");
    let public = with(&url, "localhost", "sslmode=verify-full");
    let err = encrypted(&public)
        .await
        .expect_err("a private CA is not a public root");
    assert!(err.contains("UnknownIssuer"), "{err}");
}

#[tokio::test]
async fn verify_ca_skips_the_host_name_and_verify_full_checks_it() {
    let Some(url) = tls_server() else { return };
    let ca = server_ca(&url);
    // The certificate names `localhost`, not `127.0.0.1`.
    let chain_only = with(&url, "127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}"));
    assert_eq!(encrypted(&chain_only).await, Ok(true));
    let full = with(
        &url,
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let err = encrypted(&full).await.expect_err("the name does not match");
    assert!(err.contains("not valid for name"), "{err}");
}

#[tokio::test]
async fn require_encrypts_without_checking_the_certificate() {
    let Some(url) = tls_server() else { return };
    assert_eq!(
        encrypted(&with(&url, "localhost", "sslmode=require")).await,
        Ok(true)
    );
    // A server that takes only TLS: plaintext modes are refused by it.
    let plain = with(&url, "localhost", "sslmode=disable");
    assert!(
        encrypted(&plain)
            .await
            .is_err_and(|e| e.contains("no encryption"))
    );
}

/// A stand-in for a server without TLS, for one connection: it answers
/// PostgreSQL's SSLRequest with `N` and returns what the client sends next
/// (which would travel in the clear).
async fn server_without_tls() -> (u16, tokio::task::JoinHandle<Vec<u8>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 8];
        socket.read_exact(&mut request).await.unwrap();
        assert_eq!(request, [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f], "SSLRequest");
        socket.write_all(b"N").await.unwrap();
        let mut rest = Vec::new();
        socket.read_to_end(&mut rest).await.unwrap_or_default();
        rest
    });
    (port, server)
}

#[tokio::test]
async fn modes_asking_for_tls_never_fall_back_to_plaintext() {
    for mode in ["require", "verify-ca", "verify-full"] {
        let (port, server) = server_without_tls().await;
        let url = format!("postgres://agora:secret@127.0.0.1:{port}/agora?sslmode={mode}");
        let err = encrypted(&url).await.expect_err("no TLS, no connection");
        assert!(err.contains("server does not support TLS"), "{mode}: {err}");
        let sent_in_clear = server.await.unwrap();
        assert!(
            sent_in_clear.is_empty(),
            "{mode} sent without TLS: {sent_in_clear:?}"
        );
    }
}
