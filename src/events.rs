//! Domain events: fanned out to this instance's subscriptions and sockets,
//! and, on PostgreSQL, to every other instance.
//!
//! An event is published after its transaction commits (an effect of the
//! core, `tx.rs`): to this instance's subscribers at once, and on
//! PostgreSQL with `NOTIFY` on one channel ([`CHANNEL`]) carrying ids only,
//! never rows. Each instance listens on one dedicated connection outside
//! the pool ([`listen`]), reconnecting with backoff; what it hears from
//! another instance it applies (a session that ended is dropped from the
//! session-check cache) and passes to its own subscribers. Events sent while
//! the listening connection was down cannot be replayed, so each
//! (re)connection resynchronises instead: the whole session cache is
//! dropped and sockets recheck their session ([`Event::Resync`]). On SQLite
//! (one instance) events stay in-process.

use std::time::Duration;

use diesel_async::RunQueryDsl;
use futures_util::{Stream, StreamExt};
use tokio::sync::{broadcast, mpsc, watch};
use tokio_postgres::{AsyncMessage, Socket};
use uuid::Uuid;

use crate::db::tls::PgUrl;
use crate::db::{Backend, Conn, Pool, SessionId, TypedId};
use crate::state::AppState;

/// The PostgreSQL channel instances notify each other on.
pub const CHANNEL: &str = "agora_events";
/// How often the listening connection is asked whether it is alive.
const PROBE_EVERY: Duration = Duration::from_secs(15);
/// How long it has to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Events a subscriber may wait for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A session was ended by logout, revocation or refresh-token reuse.
    SessionEnded {
        /// Which session.
        session_id: SessionId,
    },
    /// This instance may have missed other instances' events (its listening connection was down): whatever was cached must be checked again.
    Resync,
}

impl Event {
    /// The `NOTIFY` payload from instance `origin` (`None`: local only).
    fn to_wire(&self, origin: Uuid) -> Option<String> {
        match self {
            Event::SessionEnded { session_id } => Some(
                serde_json::json!({ "o": origin, "k": "session_ended", "id": session_id.uuid() }).to_string(),
            ),
            Event::Resync => None,
        }
    }

    /// The origin and event of a `NOTIFY` payload.
    fn from_wire(payload: &str) -> Option<(Uuid, Event)> {
        let value: serde_json::Value = serde_json::from_str(payload).ok()?;
        let origin = value["o"].as_str()?.parse().ok()?;
        let id: Uuid = value["id"].as_str()?.parse().ok()?;
        match value["k"].as_str()? {
            "session_ended" => Some((
                origin,
                Event::SessionEnded {
                    session_id: SessionId::from_uuid(id),
                },
            )),
            _ => None,
        }
    }
}

/// How many events a slow subscriber may fall behind before it skips some.
const CAPACITY: usize = 1024;

/// The bus; cheap to clone.
#[derive(Clone)]
pub struct Events {
    sender: broadcast::Sender<Event>,
    origin: Uuid,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            sender: broadcast::channel(CAPACITY).0,
            origin: Uuid::new_v4(),
        }
    }
}

impl Events {
    /// Publish to this instance's current subscribers (none listening is fine).
    pub fn publish(&self, event: Event) {
        // An error only means nobody is subscribed right now.
        let _ = self.sender.send(event);
    }

    /// Every event from now on; a lagging subscriber skips what it missed.
    pub fn subscribe(&self) -> impl Stream<Item = Event> + Send + use<> {
        futures_util::stream::unfold(self.sender.subscribe(), |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(event) => return Some((event, rx)),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }

    /// Tell the other instances (PostgreSQL `NOTIFY`; nothing on SQLite). A failure is logged: they still drop their cached check within seconds.
    pub async fn notify_others(&self, pool: &Pool, event: &Event) {
        let Some(payload) = event.to_wire(self.origin) else {
            return;
        };
        let sent = async {
            match pool.get().await.map_err(|e| e.to_string())? {
                Conn::Pg(mut c) => diesel::sql_query("SELECT pg_notify($1, $2)")
                    .bind::<diesel::sql_types::Text, _>(CHANNEL)
                    .bind::<diesel::sql_types::Text, _>(&payload)
                    .execute(&mut *c)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Conn::Sqlite(_) => Ok(()),
            }
        };
        if let Err(error) = sent.await {
            tracing::warn!(%error, "could not notify the other instances");
        }
    }
}

/// This instance's listening connection (PostgreSQL only).
pub struct Listener {
    ready: watch::Receiver<bool>,
}

impl Listener {
    /// Wait until the connection listens (after each reconnection too).
    pub async fn ready(&mut self) {
        let _ = self.ready.wait_for(|up| *up).await;
    }
}

/// Start listening for the other instances' events (`None` on SQLite).
pub fn listen(state: &AppState) -> Option<Listener> {
    if !matches!(
        Backend::from_url(&state.config.database_url),
        Backend::Postgres(_)
    ) {
        return None;
    }
    let (up, ready) = watch::channel(false);
    let state = state.clone();
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(250);
        loop {
            match listen_once(&state, &up).await {
                Ok(()) => backoff = Duration::from_millis(250),
                Err(error) => tracing::warn!(%error, "listening for other instances' events failed"),
            }
            let _ = up.send(false);
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(30));
        }
    });
    Some(Listener { ready })
}

/// One listening connection, until it ends.
async fn listen_once(state: &AppState, up: &watch::Sender<bool>) -> Result<(), String> {
    let url = PgUrl::parse(&state.config.database_url)?;
    let tls = url.connector()?;
    let mut config: tokio_postgres::Config = url
        .url
        .parse()
        .map_err(|e: tokio_postgres::Error| e.to_string())?;
    match tls {
        None => {
            let connected = config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            relay(state, up, connected).await
        }
        Some(tls) => {
            config.ssl_mode(tokio_postgres::config::SslMode::Require);
            let connected = config.connect(tls).await.map_err(|e| e.to_string())?;
            relay(state, up, connected).await
        }
    }
}

/// `LISTEN`, resynchronise, then apply every notification from another instance until the connection ends.
async fn relay<T>(
    state: &AppState,
    up: &watch::Sender<bool>,
    (client, mut connection): (tokio_postgres::Client, tokio_postgres::Connection<Socket, T>),
) -> Result<(), String>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (heard, mut notifications) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    let _ = heard.send(n.payload().to_owned());
                }
                Ok(_) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(())
    });
    client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .await
        .map_err(|e| e.to_string())?;
    state.sessions.clear();
    state.events.publish(Event::Resync);
    let _ = up.send(true);
    tracing::info!(channel = CHANNEL, "listening for other instances' events");
    // A connection cut without a word (a partition) would leave this instance
    // deaf: ask the server something now and then, and start over on silence.
    let mut probe = tokio::time::interval_at(tokio::time::Instant::now() + PROBE_EVERY, PROBE_EVERY);
    loop {
        tokio::select! {
            payload = notifications.recv() => match payload {
                Some(payload) => apply(state, &payload),
                None => break,
            },
            _ = probe.tick() => {
                let answered = tokio::time::timeout(PROBE_TIMEOUT, client.simple_query("SELECT 1")).await;
                if !matches!(answered, Ok(Ok(_))) {
                    driver.abort();
                    return Err("the listening connection stopped answering".to_owned());
                }
            }
        }
    }
    drop(client);
    driver.await.map_err(|e| e.to_string())?
}

/// Apply a notification from another instance (this instance's own are already delivered).
fn apply(state: &AppState, payload: &str) {
    match Event::from_wire(payload) {
        Some((origin, _)) if origin == state.events.origin => {}
        Some((_, event)) => {
            if let Event::SessionEnded { session_id } = &event {
                state.sessions.forget(&[*session_id]);
            }
            state.events.publish(event);
        }
        None => tracing::warn!(%payload, "unreadable event notification"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_travel_as_ids_with_their_origin() {
        let origin = Uuid::new_v4();
        let event = Event::SessionEnded {
            session_id: SessionId::new(),
        };
        let wire = event.to_wire(origin).unwrap_or_default();
        assert_eq!(Event::from_wire(&wire), Some((origin, event)));
        assert_eq!(Event::Resync.to_wire(origin), None, "local only");
        assert_eq!(Event::from_wire("{\"o\":\"x\"}"), None);
    }
}
