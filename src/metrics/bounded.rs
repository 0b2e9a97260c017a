//! A bounded set of label values, each with its own counters: at most
//! `bound` distinct values get a series; past that, every new value is
//! counted in one overflow series. Clients choose some label values
//! (operation names), and an unbounded set would let them grow the scrape
//! and Prometheus's memory without limit.
//!
//! The hot path takes no lock and allocates nothing for a value already
//! seen: the value is hashed (SipHash, keyed per process) and looked up by
//! linear probing in a table sized at start (twice the bound, so probes stay
//! short), comparing the borrowed `&str` with the stored one. A slot is
//! filled at most once (a `OnceLock`), which is the only time a value is
//! copied; slots are never emptied, so a value once seen keeps its slot for
//! the life of the process.

use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A filled slot.
#[derive(Debug)]
struct Entry<T> {
    hash: u64,
    label: Box<str>,
    value: T,
}

/// Label values and their counters `T`, at most `bound` of them.
#[derive(Debug)]
pub struct Bounded<T> {
    slots: Box<[OnceLock<Entry<T>>]>,
    hasher: RandomState,
    bound: usize,
    used: AtomicUsize,
    overflow: T,
}

impl<T: Default> Bounded<T> {
    /// An empty set keeping at most `bound` values.
    pub fn new(bound: usize) -> Self {
        let len = bound.saturating_mul(2).max(1).next_power_of_two();
        Bounded {
            slots: (0..len).map(|_| OnceLock::new()).collect(),
            hasher: RandomState::new(),
            bound,
            used: AtomicUsize::new(0),
            overflow: T::default(),
        }
    }

    /// The counters of `label`, given a series if the bound allows; otherwise the overflow's.
    pub fn get(&self, label: &str) -> &T {
        let hash = self.hasher.hash_one(label);
        let mask = self.slots.len() - 1;
        // Truncating the hash is fine: it only picks the first slot to probe.
        let mut index = hash as usize & mask;
        for _ in 0..self.slots.len() {
            let Some(slot) = self.slots.get(index) else { break };
            let entry = match slot.get() {
                Some(entry) => entry,
                None => {
                    if !self.reserve() {
                        return &self.overflow;
                    }
                    let mut filled = false;
                    let entry = slot.get_or_init(|| {
                        filled = true;
                        Entry {
                            hash,
                            label: label.into(),
                            value: T::default(),
                        }
                    });
                    if !filled {
                        // Another value took the slot first: give the place back.
                        self.used.fetch_sub(1, Ordering::Relaxed);
                    }
                    entry
                }
            };
            if entry.hash == hash && *entry.label == *label {
                return &entry.value;
            }
            index = (index + 1) & mask;
        }
        &self.overflow
    }

    /// Take one of the `bound` places, if one is left.
    fn reserve(&self) -> bool {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                (used < self.bound).then_some(used + 1)
            })
            .is_ok()
    }

    /// Every value given a series, with its counters (in no particular order).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.slots
            .iter()
            .filter_map(|slot| slot.get())
            .map(|entry| (&*entry.label, &entry.value))
    }

    /// The counters of the values past the bound.
    pub fn overflow(&self) -> &T {
        &self.overflow
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;

    use super::*;

    fn count(set: &Bounded<AtomicU64>, label: &str) {
        set.get(label).fetch_add(1, Ordering::Relaxed);
    }

    fn counts(set: &Bounded<AtomicU64>) -> Vec<(String, u64)> {
        let mut all: Vec<_> = set
            .iter()
            .map(|(label, n)| (label.to_owned(), n.load(Ordering::Relaxed)))
            .collect();
        all.sort();
        all.push(("overflow".into(), set.overflow().load(Ordering::Relaxed)));
        all
    }

    #[test]
    fn values_past_the_bound_share_the_overflow() {
        let set = Bounded::new(2);
        for label in ["a", "b", "a", "c", "d", "b", "c"] {
            count(&set, label);
        }
        assert_eq!(
            counts(&set),
            [("a".into(), 2), ("b".into(), 2), ("overflow".into(), 3)]
        );
    }

    #[test]
    fn a_zero_bound_counts_everything_as_overflow() {
        let set = Bounded::new(0);
        count(&set, "a");
        count(&set, "");
        assert_eq!(counts(&set), [("overflow".into(), 2)]);
    }

    #[test]
    fn a_full_table_still_finds_its_values() {
        let set = Bounded::new(100);
        let labels: Vec<String> = (0..150).map(|i| format!("op{i}")).collect();
        for label in &labels {
            count(&set, label);
        }
        for label in &labels {
            count(&set, label);
        }
        let all = counts(&set);
        assert_eq!(all.len(), 101);
        assert!(all[..100].iter().all(|(_, n)| *n == 2));
        assert_eq!(all[100], ("overflow".into(), 100));
    }

    #[test]
    fn racing_threads_give_one_value_one_series() {
        let set = Bounded::new(8);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for i in 0..1000 {
                        count(&set, ["x", "y", "z"][i % 3]);
                    }
                });
            }
        });
        let all = counts(&set);
        assert_eq!(all.len(), 4, "{all:?}");
        assert_eq!(all.iter().map(|(_, n)| n).sum::<u64>(), 4000);
        assert_eq!(all[3].1, 0, "nothing overflowed");
    }
}
