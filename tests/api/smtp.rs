//! A real SMTP server in the test process: it speaks enough SMTP for lettre
//! (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps what it receives, can
//! refuse the next messages (with a temporary failure unless told another
//! reply), and can reject chosen recipients for good (`550`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, Notify};

/// A message as received.
#[derive(Clone, Debug)]
pub struct Received {
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The message (headers and body) with quoted-printable undone.
    pub text: String,
}

impl Received {
    /// The `token` query parameter of the first `{page}?token=` link.
    pub fn token(&self, page: &str) -> String {
        let marker = format!("/{page}?token=");
        let start = self
            .text
            .find(&marker)
            .unwrap_or_else(|| panic!("no {page} link in {}", self.text))
            + marker.len();
        self.text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}: ", name.to_lowercase());
        self.text
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].to_owned())
    }
}

#[derive(Default)]
struct Inbox {
    messages: Mutex<Vec<Received>>,
    refuse: AtomicUsize,
    /// The reply to a refused `MAIL`.
    refusal: std::sync::Mutex<String>,
    refused: AtomicUsize,
    /// Recipients answered `550`.
    unknown: std::sync::Mutex<Vec<String>>,
    rejected: AtomicUsize,
    arrived: Notify,
}

/// The server; it stops with the test's runtime.
#[derive(Clone)]
pub struct SmtpSink {
    pub addr: SocketAddr,
    inbox: Arc<Inbox>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = SmtpSink {
            addr: listener.local_addr().unwrap(),
            inbox: Arc::default(),
        };
        let inbox = sink.inbox.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, inbox.clone()));
            }
        });
        sink
    }

    /// `SMTP_URL` for this server (plain SMTP on loopback).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Answer the next `n` messages with `451` (a temporary failure).
    pub fn refuse_next(&self, n: usize) {
        self.refuse_next_with(n, "451 4.3.0 try again later");
    }

    /// Answer the next `n` messages' `MAIL` command with `reply`.
    pub fn refuse_next_with(&self, n: usize, reply: &str) {
        *self.inbox.refusal.lock().unwrap() = format!("{reply}\r\n");
        self.inbox.refuse.store(n, Ordering::SeqCst);
    }

    /// Answer `RCPT TO:<address>` with `550` (no such mailbox: permanent).
    pub fn reject(&self, address: &str) {
        self.inbox.unknown.lock().unwrap().push(address.to_owned());
    }

    /// How many recipients were rejected so far.
    pub fn rejected(&self) -> usize {
        self.inbox.rejected.load(Ordering::SeqCst)
    }

    /// How many messages were refused so far.
    pub fn refused(&self) -> usize {
        self.inbox.refused.load(Ordering::SeqCst)
    }

    /// Everything received so far.
    pub async fn received(&self) -> Vec<Received> {
        self.inbox.messages.lock().await.clone()
    }

    /// Wait (at most 15 s) until `count` messages to `to` arrived; return them.
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let arrived = self.inbox.arrived.notified();
            let mine: Vec<Received> = self
                .received()
                .await
                .into_iter()
                .filter(|m| m.to.iter().any(|t| t == to))
                .collect();
            if mine.len() >= count {
                return mine;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("{count} message(s) to {to} expected, got {}", mine.len());
            }
        }
    }

    /// The newest message to `to` once there are `count`.
    pub async fn nth(&self, to: &str, count: usize) -> Received {
        self.wait_for(to, count).await.swap_remove(count - 1)
    }
}

async fn session(stream: TcpStream, inbox: Arc<Inbox>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut to = Vec::new();
    if !reply(&mut write, "220 sink ESMTP\r\n").await {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let answer = match verb.as_str() {
            "EHLO" => "250-sink\r\n250 8BITMIME\r\n".to_owned(),
            "HELO" | "NOOP" => "250 OK\r\n".to_owned(),
            "RSET" => {
                to.clear();
                "250 OK\r\n".to_owned()
            }
            "MAIL" => {
                let refuse = inbox
                    .refuse
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if refuse {
                    inbox.refused.fetch_add(1, Ordering::SeqCst);
                    inbox.refusal.lock().unwrap().clone()
                } else {
                    "250 OK\r\n".to_owned()
                }
            }
            "RCPT" => {
                let address = line.split(['<', '>']).nth(1).unwrap_or("").to_owned();
                if inbox.unknown.lock().unwrap().contains(&address) {
                    inbox.rejected.fetch_add(1, Ordering::SeqCst);
                    "550 5.1.1 no such mailbox\r\n".to_owned()
                } else {
                    to.push(address);
                    "250 OK\r\n".to_owned()
                }
            }
            "DATA" => {
                if !reply(&mut write, "354 go ahead\r\n").await {
                    return;
                }
                let mut data = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    data.push(line.strip_prefix('.').map_or(line.clone(), str::to_owned));
                }
                let message = Received {
                    to: std::mem::take(&mut to),
                    text: undo_quoted_printable(&data.join("\r\n")),
                };
                inbox.messages.lock().await.push(message);
                inbox.arrived.notify_waiters();
                "250 queued\r\n".to_owned()
            }
            "QUIT" => {
                let _ = reply(&mut write, "221 bye\r\n").await;
                return;
            }
            _ => "500 unknown command\r\n".to_owned(),
        };
        if !reply(&mut write, &answer).await {
            return;
        }
    }
}

async fn reply(write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> bool {
    write.write_all(text.as_bytes()).await.is_ok()
}

/// Quoted-printable soft line breaks and `=XX` escapes, undone.
fn undo_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
