//! A short-lived cache of session checks, so an authenticated request does not
//! always read the database. An entry lives [`TTL`]: a session revoked on
//! another instance stops working within that time; on this instance at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Viewer;
use crate::db::SessionId;

/// How long a session check is trusted.
pub const TTL: Duration = Duration::from_secs(5);
/// Past this many entries, expired ones are swept on insert.
const SWEEP_AT: usize = 10_000;

/// Session id → the viewer it resolved to (`None`: not live), with the time checked.
#[derive(Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<SessionId, (Instant, Option<Viewer>)>>,
}

impl SessionCache {
    /// A fresh answer for `session_id`, if there is one.
    pub fn get(&self, session_id: SessionId) -> Option<Option<Viewer>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(&session_id)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, viewer)| *viewer)
    }

    /// Remember what a check found.
    pub fn put(&self, session_id: SessionId, viewer: Option<Viewer>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= SWEEP_AT {
            entries.retain(|_, (at, _)| at.elapsed() < TTL);
        }
        entries.insert(session_id, (Instant::now(), viewer));
    }

    /// Forget every check (this instance may have missed sessions ending elsewhere).
    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Forget sessions that just ended.
    pub fn forget(&self, session_ids: &[SessionId]) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        for id in session_ids {
            entries.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::db::UserId;

    #[test]
    fn remembers_and_forgets() {
        let cache = SessionCache::default();
        let viewer = Viewer {
            user_id: UserId::new(),
            session_id: SessionId::new(),
            role: Role::Client,
        };
        assert_eq!(cache.get(viewer.session_id), None);
        cache.put(viewer.session_id, Some(viewer));
        assert_eq!(cache.get(viewer.session_id), Some(Some(viewer)));
        cache.forget(&[viewer.session_id]);
        assert_eq!(cache.get(viewer.session_id), None);
    }
}
