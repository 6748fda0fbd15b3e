//! The provider the benchmark sends through, and what a phase cost.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use parley::domain::{DeliveryStatus, E164};
use parley::sms::{OutboundSms, Provider, SendError, SendReceipt};
use parley::state::AppState;
use parley::store::BatchStats;

use crate::common::{cpu_time, lock};

/// One call to the provider.
pub struct Call {
    pub at: Instant,
    pub wall: DateTime<Utc>,
    pub to: E164,
    pub from: E164,
}

/// Takes every message at once, like the simulator, and remembers each call.
#[derive(Default)]
pub struct RecordingProvider {
    pub calls: Mutex<Vec<Call>>,
}

impl RecordingProvider {
    pub fn count(&self) -> usize {
        lock(&self.calls).len()
    }

    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *lock(&self.calls))
    }
}

impl Provider for RecordingProvider {
    fn name(&self) -> &'static str {
        "bench"
    }

    fn send<'a>(&'a self, sms: &'a OutboundSms) -> BoxFuture<'a, Result<SendReceipt, SendError>> {
        Box::pin(async move {
            lock(&self.calls).push(Call {
                at: Instant::now(),
                wall: Utc::now(),
                to: sms.to.clone(),
                from: sms.from.clone(),
            });
            Ok(SendReceipt {
                provider_id: format!("BENCH{}", sms.message),
                status: DeliveryStatus::Delivered,
            })
        })
    }
}

/// Process and store-writer CPU and group commits at one moment.
pub struct Usage {
    pub at: Instant,
    pub cpu: Option<Duration>,
    pub writer: Option<Duration>,
    pub batches: BatchStats,
}

pub fn usage(state: &AppState, writer_stat: Option<&str>) -> Usage {
    Usage {
        at: Instant::now(),
        cpu: cpu_time("/proc/self/stat"),
        writer: writer_stat.and_then(cpu_time),
        batches: state.store.batch_stats(),
    }
}

/// What one phase cost, from `a` to `b`, for `sends` messages.
pub struct Cost {
    pub wall: Duration,
    pub cpu: Option<Duration>,
    pub writer: Option<Duration>,
    pub commits: u64,
    pub writes: u64,
    pub sends: usize,
}

pub fn cost(a: &Usage, b: &Usage, sends: usize) -> Cost {
    let diff = |x: Option<Duration>, y: Option<Duration>| Some(y?.saturating_sub(x?));
    Cost {
        wall: b.at - a.at,
        cpu: diff(a.cpu, b.cpu),
        writer: diff(a.writer, b.writer),
        commits: b.batches.commits - a.batches.commits,
        writes: b.batches.writes - a.batches.writes,
        sends,
    }
}

impl Cost {
    /// Process CPU milliseconds per 1,000 sends.
    pub fn cpu_per_1000(&self) -> Option<f64> {
        Some(self.cpu?.as_secs_f64() * 1e6 / self.sends.max(1) as f64)
    }
}
