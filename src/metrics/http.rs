//! HTTP requests by route template, method and status, with each route's latency. Routes are
//! the router's templates (`/api/workitems/{id}/accept`), never raw paths, and every request
//! no route matched counts under one `unmatched` route, so the series stay bounded.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::{Counter, Histogram, HistogramSnapshot};

/// The route of requests no route matched.
pub const UNMATCHED: &str = "unmatched";

/// Upper bounds of the request latency buckets, in seconds.
const LATENCY_BOUNDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
pub struct HttpMetrics {
    routes: RwLock<BTreeMap<String, Arc<RouteSeries>>>,
}

struct RouteSeries {
    latency: Histogram,
    /// (method, status, requests); a handful per route.
    responses: RwLock<Vec<(&'static str, u16, Counter)>>,
}

/// One (route, method, status) and its count, as read for a scrape.
pub struct HttpCount {
    pub route: String,
    pub method: &'static str,
    pub status: u16,
    pub count: u64,
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

impl HttpMetrics {
    /// Counts one answered request. `route` is the matched template (`None`: unmatched).
    pub fn record(&self, route: Option<&str>, method: &'static str, status: u16, took: Duration) {
        let series = self.series(route.unwrap_or(UNMATCHED));
        series.latency.observe(took);
        let known = read(&series.responses)
            .iter()
            .find(|(m, s, _)| *m == method && *s == status)
            .map(|(_, _, c)| c.inc())
            .is_some();
        if !known {
            let mut responses = write(&series.responses);
            // Another request may have added it meanwhile.
            match responses
                .iter()
                .find(|(m, s, _)| *m == method && *s == status)
            {
                Some((_, _, c)) => c.inc(),
                None => {
                    let c = Counter::default();
                    c.inc();
                    responses.push((method, status, c));
                }
            }
        }
    }

    fn series(&self, route: &str) -> Arc<RouteSeries> {
        if let Some(s) = read(&self.routes).get(route) {
            return s.clone();
        }
        write(&self.routes)
            .entry(route.to_owned())
            .or_insert_with(|| {
                Arc::new(RouteSeries {
                    latency: Histogram::new(LATENCY_BOUNDS),
                    responses: RwLock::new(Vec::new()),
                })
            })
            .clone()
    }

    /// Every (route, method, status) seen, by route.
    pub fn counts(&self) -> Vec<HttpCount> {
        let mut out = Vec::new();
        for (route, series) in read(&self.routes).iter() {
            let mut responses: Vec<_> = read(&series.responses)
                .iter()
                .map(|(m, s, c)| (*m, *s, c.get()))
                .collect();
            responses.sort();
            out.extend(
                responses
                    .into_iter()
                    .map(|(method, status, count)| HttpCount {
                        route: route.clone(),
                        method,
                        status,
                        count,
                    }),
            );
        }
        out
    }

    /// Each route seen, with its latency.
    pub fn latencies(&self) -> Vec<(String, HistogramSnapshot)> {
        read(&self.routes)
            .iter()
            .map(|(route, s)| (route.clone(), s.latency.snapshot()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_method_and_status() {
        let m = HttpMetrics::default();
        let ms = Duration::from_millis(1);
        m.record(Some("/a/{id}"), "GET", 200, ms);
        m.record(Some("/a/{id}"), "GET", 200, ms);
        m.record(Some("/a/{id}"), "POST", 403, ms);
        m.record(None, "GET", 404, ms);
        let counts: Vec<_> = m
            .counts()
            .into_iter()
            .map(|c| (c.route, c.method, c.status, c.count))
            .collect();
        assert_eq!(
            counts,
            vec![
                ("/a/{id}".into(), "GET", 200, 2),
                ("/a/{id}".into(), "POST", 403, 1),
                (UNMATCHED.into(), "GET", 404, 1),
            ]
        );
        let latencies = m.latencies();
        assert_eq!(latencies[0].1.count, 3);
    }
}
