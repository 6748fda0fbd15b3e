//! Operational metrics for `/metrics` (Prometheus text format).
//!
//! Events are counted where they happen, in [`Metrics`] (one per running server, shared by
//! the tasks that record into it) and in the store writer's own timings; levels (queue depth,
//! agents by state, the outbox backlog, the page cache, index lag) are not kept here at all
//! but read from the live state when scraped (`web/metrics.rs`), so nothing polls and
//! nothing can drift.
//! Instruments are atomics only ([`instruments`]), cheap enough for every hot path.

mod exposition;
mod http;
mod instruments;
mod labels;

use std::sync::Arc;
use std::time::Duration;

pub use exposition::{CONTENT_TYPE, Exposition, Labels, NO_LABELS};
pub use http::{HttpCount, HttpMetrics, UNMATCHED};
pub use instruments::{Counter, Gauge, Histogram, HistogramSnapshot, LabelValue, Labelled};
pub use labels::{
    InboundOutcome, OfferOutcome, RefusedReason, ReportStatus, SendStatus, StreamKind,
};

/// Upper bounds of the offer latency buckets, in seconds: agents answer in seconds, and an
/// offer lapses after its queue's timeout (20 s by default).
const OFFER_BOUNDS: &[f64] = &[
    0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0,
];

/// The event counters of one running server.
pub struct Metrics {
    /// Inbound messages handed in by a provider (webhook or simulator), by what became of them.
    pub inbound: Labelled<InboundOutcome, Counter>,
    /// Inbound message webhooks refused, by why.
    pub inbound_refused: Labelled<RefusedReason, Counter>,
    /// Outbox send attempts, by their outcome.
    pub outbound_sends: Labelled<SendStatus, Counter>,
    /// Providers' delivery reports, by the status they report.
    pub outbound_reports: Labelled<ReportStatus, Counter>,
    /// Offers made to agents.
    pub offers_made: Counter,
    /// Offers that ended, by how.
    pub offers: Labelled<OfferOutcome, Counter>,
    /// From an offer to its end, by how it ended.
    pub offer_latency: Labelled<OfferOutcome, Histogram>,
    /// Server-sent event streams open now, by kind.
    pub streams: Labelled<StreamKind, Gauge>,
    pub http: HttpMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            inbound: Labelled::default(),
            inbound_refused: Labelled::default(),
            outbound_sends: Labelled::default(),
            outbound_reports: Labelled::default(),
            offers_made: Counter::default(),
            offers: Labelled::default(),
            offer_latency: Labelled::new(|| Histogram::new(OFFER_BOUNDS)),
            streams: Labelled::default(),
            http: HttpMetrics::default(),
        }
    }
}

impl Metrics {
    /// An offer ended `took` after it was made.
    pub fn offer_ended(&self, outcome: OfferOutcome, took: Duration) {
        self.offers.get(outcome).inc();
        self.offer_latency.get(outcome).observe(took);
    }

    /// Counts a stream as open until the guard is dropped (with the stream it travels with).
    pub fn stream_opened(self: &Arc<Self>, kind: StreamKind) -> StreamGuard {
        self.streams.get(kind).inc();
        StreamGuard {
            metrics: self.clone(),
            kind,
        }
    }
}

/// An open stream, counted in [`Metrics::streams`] while it lives.
pub struct StreamGuard {
    metrics: Arc<Metrics>,
    kind: StreamKind,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.metrics.streams.get(self.kind).dec();
    }
}
