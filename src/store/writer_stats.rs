//! What the writer counts: batches and writes, and how long it waited on the disk.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::wal::AppendError;
use crate::metrics::{Histogram, HistogramSnapshot};

pub(super) struct Counters {
    commits: AtomicU64,
    writes: AtomicU64,
    log_syncs: AtomicU64,
    slow_log_syncs: AtomicU64,
    slowest_log_sync_us: AtomicU64,
    durable_commits: AtomicU64,
    slowest_durable_commit_us: AtomicU64,
    /// Each log append with its `fdatasync`, for `/metrics`.
    log_sync_times: Histogram,
    /// Each durable commit (checkpoints, and batches that are not logged).
    durable_commit_times: Histogram,
}

/// Upper bounds of the disk wait buckets, in seconds: a sync takes well under a millisecond
/// on a good disk, and tens to hundreds when the disk stalls.
const DISK_BOUNDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

impl Default for Counters {
    fn default() -> Self {
        Counters {
            commits: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            log_syncs: AtomicU64::new(0),
            slow_log_syncs: AtomicU64::new(0),
            slowest_log_sync_us: AtomicU64::new(0),
            durable_commits: AtomicU64::new(0),
            slowest_durable_commit_us: AtomicU64::new(0),
            log_sync_times: Histogram::new(DISK_BOUNDS),
            durable_commit_times: Histogram::new(DISK_BOUNDS),
        }
    }
}

/// How long the writer waited on the disk, each wait in its bucket.
#[derive(Clone, Debug)]
pub struct DiskTimings {
    /// Log appends with their `fdatasync`.
    pub log_syncs: HistogramSnapshot,
    /// Durable commits: checkpoints of the log, and batches that are not logged.
    pub durable_commits: HistogramSnapshot,
}

/// A log sync slower than this counts as slow in [`BatchStats`].
pub const SLOW_SYNC: Duration = Duration::from_millis(5);

/// How well group commit is batching (writes per commit), and what the disk made the writer
/// wait: appends to the log with their `fdatasync`, and durable commits (checkpoints
/// included).
#[derive(Clone, Copy, Debug)]
pub struct BatchStats {
    pub commits: u64,
    pub writes: u64,
    pub log_syncs: u64,
    /// Log syncs that took longer than [`SLOW_SYNC`].
    pub slow_log_syncs: u64,
    pub slowest_log_sync: Duration,
    pub durable_commits: u64,
    pub slowest_durable_commit: Duration,
}

/// Runs `f`, counting it, keeping the slowest time it took and recording the time in `times`.
fn timed<T>(
    count: &AtomicU64,
    slowest_us: &AtomicU64,
    times: &Histogram,
    f: impl FnOnce() -> T,
) -> (T, Duration) {
    let started = Instant::now();
    let out = f();
    let took = started.elapsed();
    record(count, slowest_us, times, took);
    (out, took)
}

fn record(count: &AtomicU64, slowest_us: &AtomicU64, times: &Histogram, took: Duration) {
    count.fetch_add(1, Ordering::Relaxed);
    slowest_us.fetch_max(took.as_micros() as u64, Ordering::Relaxed);
    times.observe(took);
}

impl Counters {
    /// Runs a log append with its sync, counting it (and whether it was slow), unless the
    /// log refused it for want of room: that one wrote nothing and synced nothing.
    pub(super) fn log_sync(
        &self,
        append: impl FnOnce() -> Result<(), AppendError>,
    ) -> Result<(), AppendError> {
        let started = Instant::now();
        let out = append();
        if !matches!(out, Err(AppendError::NoRoom)) {
            let took = started.elapsed();
            record(
                &self.log_syncs,
                &self.slowest_log_sync_us,
                &self.log_sync_times,
                took,
            );
            if took > SLOW_SYNC {
                self.slow_log_syncs.fetch_add(1, Ordering::Relaxed);
            }
        }
        out
    }

    /// Runs a durable commit, counting it.
    pub(super) fn durable_commit<T>(&self, f: impl FnOnce() -> T) -> T {
        timed(
            &self.durable_commits,
            &self.slowest_durable_commit_us,
            &self.durable_commit_times,
            f,
        )
        .0
    }

    /// Counts one transaction of `writes` writes.
    pub(super) fn batch(&self, writes: usize) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.writes.fetch_add(writes as u64, Ordering::Relaxed);
    }

    pub(super) fn batch_stats(&self) -> BatchStats {
        let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
        BatchStats {
            commits: load(&self.commits),
            writes: load(&self.writes),
            log_syncs: load(&self.log_syncs),
            slow_log_syncs: load(&self.slow_log_syncs),
            slowest_log_sync: Duration::from_micros(load(&self.slowest_log_sync_us)),
            durable_commits: load(&self.durable_commits),
            slowest_durable_commit: Duration::from_micros(load(&self.slowest_durable_commit_us)),
        }
    }

    pub(super) fn disk_timings(&self) -> DiskTimings {
        DiskTimings {
            log_syncs: self.log_sync_times.snapshot(),
            durable_commits: self.durable_commit_times.snapshot(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_append_refused_for_want_of_room_is_no_sync() {
        let counters = Counters::default();
        assert!(matches!(
            counters.log_sync(|| Err(AppendError::NoRoom)),
            Err(AppendError::NoRoom)
        ));
        assert_eq!(counters.batch_stats().log_syncs, 0);
        assert_eq!(counters.disk_timings().log_syncs.count, 0);
        counters.log_sync(|| Ok(())).unwrap();
        let failed = counters.log_sync(|| Err(AppendError::Io(std::io::Error::other("disk"))));
        assert!(failed.is_err());
        assert_eq!(
            counters.batch_stats().log_syncs,
            2,
            "a failed sync was still a sync"
        );
        assert_eq!(counters.disk_timings().log_syncs.count, 2);
    }
}
