//! Counters, gauges and histograms made of atomics only: recording one is a few relaxed
//! atomic adds, with no lock and no allocation, so the store writer and the ACD can record on
//! their hot paths. Values are read only when `/metrics` is scraped.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// A count that only goes up.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down (open streams).
#[derive(Debug, Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn dec(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Durations in fixed buckets (upper bounds in seconds). Each observation lands in exactly
/// one bucket; the cumulative counts Prometheus wants are summed when read.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    /// One per bound, then one for everything above the last (`+Inf`).
    buckets: Box<[AtomicU64]>,
    sum_nanos: AtomicU64,
}

/// What a histogram held when it was read.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramSnapshot {
    /// (upper bound in seconds, observations at or below it), cumulative, ascending; the
    /// `+Inf` bucket is `count`.
    pub buckets: Vec<(f64, u64)>,
    pub count: u64,
    pub sum_seconds: f64,
}

impl Histogram {
    /// `bounds` must ascend.
    pub fn new(bounds: &'static [f64]) -> Histogram {
        debug_assert!(bounds.windows(2).all(|w| w[0] < w[1]), "bounds ascend");
        Histogram {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        // The first bound the value does not exceed (`le` is inclusive).
        let i = self.bounds.partition_point(|b| *b < secs);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut total = 0;
        let mut buckets = Vec::with_capacity(self.bounds.len());
        for (bound, n) in self.bounds.iter().zip(self.buckets.iter()) {
            total += n.load(Ordering::Relaxed);
            buckets.push((*bound, total));
        }
        total += self.buckets[self.bounds.len()].load(Ordering::Relaxed);
        HistogramSnapshot {
            buckets,
            count: total,
            sum_seconds: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }
}

/// A closed set of label values (an enum), so a labelled family is an array indexed by it
/// and its series are known, and bounded, in advance.
pub trait LabelValue: Copy + 'static {
    const ALL: &'static [Self];
    fn index(self) -> usize;
    fn as_str(self) -> &'static str;
}

/// One instrument per value of `L`.
#[derive(Debug)]
pub struct Labelled<L: LabelValue, I> {
    items: Box<[I]>,
    _label: std::marker::PhantomData<L>,
}

impl<L: LabelValue, I> Labelled<L, I> {
    pub fn new(make: impl Fn() -> I) -> Self {
        Labelled {
            items: L::ALL.iter().map(|_| make()).collect(),
            _label: std::marker::PhantomData,
        }
    }

    pub fn get(&self, label: L) -> &I {
        &self.items[label.index()]
    }

    /// Every label value with its instrument, in `L::ALL`'s order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &I)> {
        L::ALL.iter().map(|l| (l.as_str(), &self.items[l.index()]))
    }
}

impl<L: LabelValue, I: Default> Default for Labelled<L, I> {
    fn default() -> Self {
        Self::new(I::default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_counts_each_value_in_the_first_bucket_that_holds_it() {
        let h = Histogram::new(&[0.001, 0.01, 0.1]);
        for ms in [0, 1, 2, 10, 50, 5_000] {
            h.observe(Duration::from_millis(ms));
        }
        let s = h.snapshot();
        // 0 and 1 ms at or under 1 ms (the bound is inclusive); 2 and 10 ms under 10 ms.
        assert_eq!(s.buckets, vec![(0.001, 2), (0.01, 4), (0.1, 5)]);
        assert_eq!(s.count, 6);
        assert!((s.sum_seconds - 5.063).abs() < 1e-9, "{}", s.sum_seconds);
    }

    #[test]
    fn a_gauge_goes_both_ways() {
        let g = Gauge::default();
        g.inc();
        g.inc();
        g.dec();
        assert_eq!(g.get(), 1);
    }
}
