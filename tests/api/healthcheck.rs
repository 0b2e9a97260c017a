//! `agora healthcheck`, the real binary, as a container runs it: against a
//! live server, against nothing, and against a server that is not live.

use std::net::SocketAddr;
use std::process::Output;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::TestApp;
use crate::websocket::serve;

/// Run `agora healthcheck` with only `HOST` and `PORT` set, from an empty
/// directory (no `.env` to read).
async fn healthcheck(host: &str, port: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_agora"))
        .arg("healthcheck")
        .env_clear()
        .env("HOST", host)
        .env("PORT", port)
        .current_dir(dir.path())
        .output()
        .await
        .unwrap()
}

/// A port with nothing listening on it.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_live_server_passes_when_listening_on_every_address() {
    let app = TestApp::new().await;
    let addr: SocketAddr = serve(&app).await;
    // In the container the server listens on 0.0.0.0: the check asks loopback.
    let out = healthcheck("0.0.0.0", &addr.port().to_string()).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(out.stdout.is_empty() && stderr.is_empty(), "{stderr}");
    let out = healthcheck("127.0.0.1", &addr.port().to_string()).await;
    assert!(out.status.success(), "{:?}", out.status);
}

#[tokio::test]
async fn nothing_listening_fails() {
    let port = closed_port();
    let out = healthcheck("0.0.0.0", &port.to_string()).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot connect to 127.0.0.1:{port}")),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_server_answering_other_than_200_fails() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let stand_in = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0u8; 1024];
        let n = socket.read(&mut request).await.unwrap();
        socket
            .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
            .await
            .unwrap();
        String::from_utf8_lossy(&request[..n]).into_owned()
    });
    let out = healthcheck("127.0.0.1", &port.to_string()).await;
    let request = stand_in.await.unwrap();
    assert!(request.starts_with("GET /health/live HTTP/1.1\r\n"), "{request}");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("503 Service Unavailable"), "{stderr}");
}

#[tokio::test]
async fn a_configuration_the_server_would_refuse_fails() {
    let out = healthcheck("0.0.0.0", "eighty").await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PORT"), "{stderr}");
}
