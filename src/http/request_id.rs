//! Request ids: a UUID v4 for each request that comes without an
//! `x-request-id`, with its random bits drawn from a generator each thread
//! seeds once from the operating system. `tower-http`'s `MakeRequestUuid`
//! asks the kernel (`getrandom`) on every request: one system call per
//! request, dearer still in a virtual machine, for an id that must be unique
//! and need not be secret.

use std::cell::Cell;

use axum::http::{HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};
use uuid::{Builder, Uuid};

/// Makes the ids of requests that bring none.
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeRequestIds;

impl MakeRequestId for MakeRequestIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let mut text = Uuid::encode_buffer();
        let id = next_uuid().hyphenated().encode_lower(&mut text);
        HeaderValue::from_str(id).ok().map(RequestId::new)
    }
}

/// A random (version 4) UUID from this thread's generator.
fn next_uuid() -> Uuid {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&next_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&next_u64().to_le_bytes());
    Builder::from_random_bytes(bytes).into_uuid()
}

/// SplitMix64 over a per-thread state seeded from the operating system: every output of a thread differs from its others (the step is a bijection of a counter), and threads start at unrelated points.
fn next_u64() -> u64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(Uuid::new_v4().as_u64_pair().0);
    }
    STATE.with(|state| {
        let next = state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        state.set(next);
        let mut z = next;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_are_distinct_version_4_uuids() {
        let ids: HashSet<Uuid> = (0..10_000).map(|_| next_uuid()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| id.get_version_num() == 4));
        let elsewhere = std::thread::spawn(next_uuid).join().unwrap_or_default();
        assert!(!ids.contains(&elsewhere));
    }

    #[test]
    fn a_request_without_an_id_gets_a_uuid() {
        let request = Request::new(());
        let id = MakeRequestIds.make_request_id(&request);
        let text = id
            .as_ref()
            .and_then(|id| id.header_value().to_str().ok())
            .unwrap_or_default();
        assert!(
            Uuid::parse_str(text).is_ok_and(|u| u.get_version_num() == 4),
            "{text}"
        );
    }
}
