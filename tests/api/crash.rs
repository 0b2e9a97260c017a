//! The real `agora` binary, killed with SIGKILL right after it answered:
//! what it promised is not lost.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{PASSWORD, TestApp};
use crate::smtp::SmtpSink;

/// `agora serve` over the test's database, on a free port.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    async fn start(app: &TestApp, vars: &[(&str, &str)]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_agora"));
        command
            .env_clear()
            .env("DATABASE_URL", &app.state.config.database_url)
            .env("DATABASE_POOL_SIZE", "2")
            .env("PORT", port.to_string())
            .env("JWT_SECRET", "test-secret-test-secret-test-secret!")
            .env("STORAGE_URL", format!("file://{}", app.files.path().display()))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, value) in vars {
            command.env(name, value);
        }
        let server = Server {
            child: command.spawn().unwrap(),
            port,
        };
        for _ in 0..200 {
            if reqwest_ready(port).await {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("agora did not start");
    }

    async fn gql(&self, query: &str, variables: Value) -> Value {
        let body = json!({ "query": query, "variables": variables }).to_string();
        post(self.port, &body).await
    }

    fn kill(mut self) {
        // SIGKILL: no shutdown, no draining.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 exchange over loopback (no client crate needed).
async fn exchange(port: u16, request: String) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    Some(response)
}

async fn reqwest_ready(port: u16) -> bool {
    let request = "GET /health/ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".to_owned();
    exchange(port, request)
        .await
        .is_some_and(|r| r.starts_with("HTTP/1.1 200"))
}

async fn post(port: u16, body: &str) -> Value {
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let response = exchange(port, request).await.unwrap();
    let (_, json) = response.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {response}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_asked_for_right_before_a_crash_is_mailed_after_the_restart() {
    let app = TestApp::new().await;
    let register = "mutation($i: RegisterInput!) { register(input: $i) { user { id } } }";
    let request = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    let sink = SmtpSink::start().await;
    let smtp = sink.url();
    let mail = [("SMTP_URL", smtp.as_str()), ("JOB_RETRY_BASE", "1s")];

    // Workers off, so nothing but the database can keep the promise.
    let first = Server::start(&app, &[&mail[..], &[("WORKER_CONCURRENCY", "0")]].concat()).await;
    let input = json!({ "email": "ann@example.com", "password": PASSWORD, "name": "Ann", "role": "CLIENT" });
    let registered = first.gql(register, json!({ "i": input })).await;
    assert!(
        registered["data"]["register"]["user"]["id"].is_string(),
        "{registered}"
    );
    let asked = first.gql(request, json!({ "e": "ann@example.com" })).await;
    assert_eq!(asked, json!({ "data": { "requestPasswordReset": true } }));
    first.kill();
    let queued = app
        .column("SELECT status AS v FROM jobs WHERE kind = 'password_reset_mail'")
        .await;
    assert_eq!(
        queued,
        [Some("QUEUED".to_owned())],
        "the answer meant a committed job"
    );

    let _second = Server::start(&app, &mail).await;
    let sent = "SELECT kind AS v FROM mail_outbox WHERE kind = 'RESET_PASSWORD' AND sent_at IS NOT NULL";
    for _ in 0..300 {
        if !app.column(sent).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let subjects: Vec<Option<String>> = sink
        .received()
        .await
        .iter()
        .map(|m| m.header("Subject"))
        .collect();
    assert!(
        subjects.contains(&Some("Reset your Agora password".to_owned())),
        "{subjects:?}"
    );
}
