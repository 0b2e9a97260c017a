//! In-process fan-out of domain events to GraphQL subscriptions.
//!
//! One instance delivers what happened on it. Cross-instance delivery
//! (PostgreSQL LISTEN/NOTIFY, DESIGN §2) comes with notifications; until then
//! a subscriber connected to another instance is not told.

use crate::db::SessionId;
use futures_util::Stream;
use tokio::sync::broadcast;

/// Events a subscriber may wait for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A session was ended by logout, revocation or refresh-token reuse.
    SessionEnded {
        /// Which session.
        session_id: SessionId,
    },
}

/// How many events a slow subscriber may fall behind before it skips some.
const CAPACITY: usize = 1024;

/// The bus; cheap to clone.
#[derive(Clone)]
pub struct Events {
    sender: broadcast::Sender<Event>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl Events {
    /// Publish to current subscribers (none listening is fine).
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
}
