//! HTTP requests by route, method and status: one latency histogram per
//! combination (its count is also exposed as the request counter).
//!
//! The route is the router's pattern the path takes (`/graphql`,
//! `/files/{*key}`: a bounded set, from `http::RouteTable`), or `other` for
//! a request no route matches; never the raw path. Per route, the (method, status) pairs seen
//! take slots of a small fixed table, claimed by one compare-and-swap on a
//! packed `u32` key; a route answering more than [`PAIRS`] different pairs
//! counts the rest under `method="other",status="other"`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::http::{Method, Request};

use super::bounded::Bounded;
use super::histogram::Histogram;
use super::text::{Kind, Text};

/// Routes given their own series; the router has about ten.
const ROUTES: usize = 32;
/// (method, status) pairs given their own series, per route.
const PAIRS: usize = 32;
/// The label of a route no pattern matched, and of methods and statuses past [`PAIRS`].
const OTHER: &str = "other";

/// The methods named in labels; any other is `other`.
const METHODS: [Method; 9] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::CONNECT,
    Method::OPTIONS,
    Method::TRACE,
    Method::PATCH,
];

/// One route's series: a histogram per (method, status) pair.
#[derive(Debug)]
pub struct Route {
    /// Keyed by `method << 16 | status`, methods counted from 1 (a key of 0 marks a free slot; `METHODS.len() + 1` is `other`).
    slots: [(AtomicU32, Histogram); PAIRS],
    overflow: Histogram,
}

impl Default for Route {
    fn default() -> Self {
        Route {
            slots: std::array::from_fn(|_| Default::default()),
            overflow: Histogram::default(),
        }
    }
}

impl Route {
    fn histogram(&self, key: u32) -> &Histogram {
        for (slot, histogram) in &self.slots {
            let mut current = slot.load(Ordering::Relaxed);
            if current == 0 {
                current = match slot.compare_exchange(0, key, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => key,
                    Err(taken) => taken,
                };
            }
            if current == key {
                return histogram;
            }
        }
        &self.overflow
    }

    /// The pairs seen: method, status, histogram.
    fn series(&self) -> impl Iterator<Item = (&'static str, String, &Histogram)> {
        let pairs = self.slots.iter().filter_map(|(slot, histogram)| {
            let key = slot.load(Ordering::Relaxed);
            (key != 0).then(|| {
                let method = (key >> 16) as usize;
                let method = METHODS.get(method.wrapping_sub(1)).map_or(OTHER, Method::as_str);
                (method, (key & 0xffff).to_string(), histogram)
            })
        });
        let overflow = (self.overflow.count() > 0).then(|| (OTHER, OTHER.to_owned(), &self.overflow));
        pairs.chain(overflow)
    }
}

/// A request being answered: its route's series and its method.
#[derive(Debug, Clone, Copy)]
pub struct Pending<'a> {
    route: &'a Route,
    method: u32,
}

impl Pending<'_> {
    /// Count the answer with its status.
    pub fn finish(self, status: u16, elapsed: Duration) {
        let key = (self.method << 16) | u32::from(status);
        self.route.histogram(key).observe(elapsed);
    }
}

/// Every route's series.
#[derive(Debug)]
pub struct Requests {
    /// By pattern; the overflow is `other` (no pattern matched, or past [`ROUTES`]).
    routes: Bounded<Box<Route>>,
}

impl Default for Requests {
    fn default() -> Self {
        Requests {
            routes: Bounded::new(ROUTES),
        }
    }
}

impl Requests {
    /// Start counting `request` under `route` (`other` when `None`), before it is handled.
    pub fn start<B>(&self, request: &Request<B>, route: Option<&str>) -> Pending<'_> {
        let method = METHODS
            .iter()
            .position(|m| m == request.method())
            .unwrap_or(METHODS.len());
        let route = match route {
            Some(pattern) => self.routes.get(pattern),
            None => self.routes.overflow(),
        };
        Pending {
            route,
            // At most METHODS.len() + 1: no truncation.
            method: method as u32 + 1,
        }
    }

    /// Write both families.
    pub fn write(&self, text: &mut Text) {
        let routes = self
            .routes
            .iter()
            .map(|(path, route)| (path, &**route))
            .chain([(OTHER, &**self.routes.overflow())]);
        let series: Vec<(&str, &str, String, &Histogram)> = routes
            .flat_map(|(path, route)| {
                route
                    .series()
                    .map(move |(method, status, histogram)| (path, method, status, histogram))
            })
            .collect();

        text.family(
            "agora_http_requests_total",
            Kind::Counter,
            "HTTP requests answered, by route (the router's path pattern; other: none matched), method and status.",
        );
        for (route, method, status, histogram) in &series {
            let labels = [
                ("route", *route),
                ("method", *method),
                ("status", status.as_str()),
            ];
            text.sample("agora_http_requests_total", &labels, histogram.count());
        }
        text.family(
            "agora_http_request_duration_seconds",
            Kind::Histogram,
            "Time from a request's arrival to its response, by route, method and status.",
        );
        for (route, method, status, histogram) in &series {
            let labels = [
                ("route", *route),
                ("method", *method),
                ("status", status.as_str()),
            ];
            histogram.write(text, "agora_http_request_duration_seconds", &labels);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_past_the_table_count_as_other() {
        let route = Route::default();
        let post = (3u32 << 16) | 200;
        for status in 200..(200 + PAIRS as u32 + 5) {
            route
                .histogram((3 << 16) | status)
                .observe(Duration::from_millis(1));
        }
        route.histogram(post).observe(Duration::from_millis(1));
        let unknown_method = ((METHODS.len() as u32 + 1) << 16) | 404;
        route.histogram(unknown_method).observe(Duration::from_millis(1));
        let series: Vec<(&str, String, u64)> = route
            .series()
            .map(|(method, status, histogram)| (method, status, histogram.count()))
            .collect();
        assert_eq!(series.len(), PAIRS + 1);
        assert_eq!(series[0], ("POST", "200".to_owned(), 2));
        assert_eq!(series[PAIRS - 1], ("POST", (200 + PAIRS - 1).to_string(), 1));
        assert_eq!(
            series[PAIRS],
            ("other", "other".to_owned(), 6),
            "5 statuses and the unknown method"
        );
    }
}
