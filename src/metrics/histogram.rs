//! A latency histogram of atomics: one counter per bucket and the sum in
//! nanoseconds. Observing is a scan of the bounds and two relaxed
//! `fetch_add`s; the buckets are made cumulative, and the count derived
//! from them, when scraped (so `_count` always equals the `+Inf` bucket).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::text::Text;

/// The buckets' upper bounds: their `le` label and the bound in nanoseconds. From 100 µs (a `{ __typename }` takes about 50 µs) to 10 s (requests time out at `REQUEST_TIMEOUT`, 30 s by default).
const BOUNDS: [(&str, u64); 16] = [
    ("0.0001", 100_000),
    ("0.00025", 250_000),
    ("0.0005", 500_000),
    ("0.001", 1_000_000),
    ("0.0025", 2_500_000),
    ("0.005", 5_000_000),
    ("0.01", 10_000_000),
    ("0.025", 25_000_000),
    ("0.05", 50_000_000),
    ("0.1", 100_000_000),
    ("0.25", 250_000_000),
    ("0.5", 500_000_000),
    ("1", 1_000_000_000),
    ("2.5", 2_500_000_000),
    ("5", 5_000_000_000),
    ("10", 10_000_000_000),
];

/// Durations counted in [`BOUNDS`] (and one more bucket past the last).
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BOUNDS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// Count one duration.
    pub fn observe(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let bucket = BOUNDS
            .iter()
            .position(|&(_, bound)| nanos <= bound)
            .unwrap_or(BOUNDS.len());
        if let Some(counter) = self.buckets.get(bucket) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// Write `{name}_bucket` (cumulative, one per bound and `+Inf`), `{name}_sum` (seconds) and `{name}_count` with `labels`.
    pub fn write(&self, text: &mut Text, name: &str, labels: &[(&str, &str)]) {
        let bucket_name = format!("{name}_bucket");
        let mut with_le = labels.to_vec();
        with_le.push(("le", ""));
        let mut cumulative = 0u64;
        let les = BOUNDS.iter().map(|&(le, _)| le).chain(["+Inf"]);
        for (counter, le) in self.buckets.iter().zip(les) {
            cumulative += counter.load(Ordering::Relaxed);
            if let Some(last) = with_le.last_mut() {
                last.1 = le;
            }
            text.sample(&bucket_name, &with_le, cumulative);
        }
        let seconds = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        text.sample(&format!("{name}_sum"), labels, seconds);
        text.sample(&format!("{name}_count"), labels, cumulative);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_bounds_inclusive() {
        let histogram = Histogram::default();
        histogram.observe(Duration::from_micros(50));
        histogram.observe(Duration::from_micros(100));
        histogram.observe(Duration::from_millis(3));
        histogram.observe(Duration::from_secs(60));
        assert_eq!(histogram.count(), 4);
        let mut text = Text::default();
        histogram.write(&mut text, "d", &[("route", "/x")]);
        let text = text.finish();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), BOUNDS.len() + 3);
        assert_eq!(lines[0], "d_bucket{route=\"/x\",le=\"0.0001\"} 2");
        assert_eq!(lines[4], "d_bucket{route=\"/x\",le=\"0.0025\"} 2");
        assert_eq!(lines[5], "d_bucket{route=\"/x\",le=\"0.005\"} 3");
        assert_eq!(lines[15], "d_bucket{route=\"/x\",le=\"10\"} 3");
        assert_eq!(lines[16], "d_bucket{route=\"/x\",le=\"+Inf\"} 4");
        assert_eq!(lines[17], "d_sum{route=\"/x\"} 60.00315");
        assert_eq!(lines[18], "d_count{route=\"/x\"} 4");
    }
}
