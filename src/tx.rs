//! The transaction context every write runs in.
//!
//! [`AppState::write`] opens one write transaction and hands the operation a
//! [`Tx`]: the connection inside that transaction, who is acting
//! ([`Actor`]), and a list of [`Effect`]s to run once it commits (wake the
//! job workers, tell subscribers a session ended, forget a cached
//! session, delete a replaced file). Operations take `&mut Tx`, so two of
//! them compose into one transaction by calling each other; the effects
//! registered by both run after the one commit, and none run after a
//! rollback. The functions that cause an effect register it themselves
//! (`jobs::enqueue` wakes the workers, ending sessions forgets them), so
//! no caller runs one by hand.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use tokio::sync::Notify;

use crate::auth::{ClientInfo, Viewer};
use crate::db::{Conn, SessionId};
use crate::error::{AppError, AppResult};
use crate::events::Event;
use crate::state::AppState;

/// Who an operation acts for, and from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The signed-in user, if any.
    pub viewer: Option<Viewer>,
    /// The client's address and user agent (audit, new sessions).
    pub client: ClientInfo,
}

impl Actor {
    /// A signed-in user, from an unknown client (commands, workers).
    pub fn user(viewer: Viewer) -> Self {
        Actor {
            viewer: Some(viewer),
            client: ClientInfo::default(),
        }
    }
}

/// Something that must happen only once the transaction has committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// New jobs are in the queue: wake this instance's workers.
    WakeWorkers,
    /// Sessions ended: stop trusting them here and tell their subscribers.
    SessionsEnded(Vec<SessionId>),
    /// A stored file is no longer referenced: delete it.
    DiscardFile(String),
    /// Tell subscribers.
    Publish(Event),
}

/// One write transaction: its connection, its actor and its pending effects. Dereferences to the connection, so queries take `&mut Tx` as `&mut Conn`.
pub struct Tx<'t> {
    conn: &'t mut Conn,
    state: &'t AppState,
    actor: Actor,
    effects: Vec<Effect>,
}

impl Tx<'_> {
    /// The signed-in viewer, or `UNAUTHENTICATED`.
    pub fn viewer(&self) -> AppResult<Viewer> {
        self.actor
            .viewer
            .ok_or(AppError::Unauthenticated("sign in first"))
    }

    /// Who is acting.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The application (configuration, keys, storage).
    pub fn state(&self) -> &AppState {
        self.state
    }

    /// Run `effect` after the commit (once, however often it is asked for).
    pub fn after_commit(&mut self, effect: Effect) {
        if !self.effects.contains(&effect) {
            self.effects.push(effect);
        }
    }
}

impl Deref for Tx<'_> {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn
    }
}

impl AppState {
    /// Run `operation` in one write transaction as `actor`: committed when it returns `Ok`, then its effects run; rolled back when it returns `Err`, and its effects are dropped.
    pub async fn write<R>(
        &self,
        actor: Actor,
        operation: impl AsyncFnOnce(&mut Tx<'_>) -> AppResult<R>,
    ) -> AppResult<R> {
        let mut conn = self.pool.get().await?;
        let mut effects = Vec::new();
        let value = conn
            .write_tx(async |conn| {
                let mut tx = Tx {
                    conn,
                    state: self,
                    actor,
                    effects: Vec::new(),
                };
                let value = operation(&mut tx).await?;
                effects = tx.effects;
                Ok::<_, AppError>(value)
            })
            .await?;
        drop(conn);
        for effect in effects {
            self.run(effect).await;
        }
        Ok(value)
    }

    async fn run(&self, effect: Effect) {
        match effect {
            Effect::WakeWorkers => self.jobs.wake(),
            Effect::SessionsEnded(ids) => {
                self.sessions.forget(&ids);
                for session_id in ids {
                    let event = Event::SessionEnded { session_id };
                    self.events.notify_others(&self.pool, &event).await;
                    self.events.publish(event);
                }
            }
            Effect::DiscardFile(key) => self.storage.discard(&key).await,
            Effect::Publish(event) => {
                self.events.notify_others(&self.pool, &event).await;
                self.events.publish(event);
            }
        }
    }
}

/// Wakes the tasks waiting for committed work (the job workers); cheap to clone.
#[derive(Clone, Default)]
pub struct Signal(Arc<Notify>);

impl Signal {
    /// Wake every task waiting now, and keep one wake for a task that is busy (so work committed while it runs is not left for its next poll).
    pub fn wake(&self) {
        self.0.notify_waiters();
        self.0.notify_one();
    }

    /// Wait for [`Signal::wake`].
    pub async fn woken(&self) {
        self.0.notified().await;
    }
}
