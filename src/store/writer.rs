//! The single writer: one thread, one transaction per batch of waiting writes (group commit).
//!
//! A batch made only of logged writes (`logged.rs`) commits to redb without waiting for the
//! disk and is made durable by one append to the write-ahead log (`wal.rs`); any other batch
//! commits durably, and so does a checkpoint once the log is old or large enough, or the
//! writer is idle. Every durable commit records a new epoch in `meta` (see `wal.rs`): it
//! holds every logged write before it, and the log starts again.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use redb::{Database, Durability, ReadTransaction, WriteTransaction};
use tokio::sync::{Notify, oneshot};

use super::logged::{Applied, Logged};
use super::wal::{Wal, new_epoch};
use super::writeback::EarlyWriteback;
use super::{META, StoreError, Txn};
use crate::metrics::{Histogram, HistogramSnapshot};

/// Largest batch per transaction: bounds the latency a single commit adds to its callers.
const MAX_BATCH: usize = 1024;
/// A checkpoint is due when the oldest logged write it would cover is this old...
const CHECKPOINT_AGE: Duration = Duration::from_millis(500);
/// ... or the log holds this much since the last one (it is preallocated to twice this).
const CHECKPOINT_BYTES: u64 = 8 << 20;
/// With logged writes not yet checkpointed, an idle writer checkpoints after this long.
const CHECKPOINT_IDLE: Duration = Duration::from_millis(50);
/// The `meta` key holding the epoch of the last durable commit.
const WAL_EPOCH: &str = "wal_epoch";
/// The `meta` keys saying how far the store has applied the log: the epoch and sequence
/// number of the last record whose batch it holds.
const APPLIED_EPOCH: &str = "wal_applied_epoch";
const APPLIED_SEQ: &str = "wal_applied_seq";

/// The epoch of the store's last durable commit (0 for a new store).
pub fn stored_epoch(txn: &ReadTransaction) -> Result<u64, StoreError> {
    Ok(txn
        .open_table(META)?
        .get(WAL_EPOCH)?
        .map_or(0, |v| v.value()))
}

/// How many of `epoch`'s log records the store already holds. A logged batch records it in
/// its own transaction, so a batch that became durable some other way than a checkpoint
/// (redb makes a pending commit durable when it closes) is not applied again after a crash.
pub fn applied_records(txn: &ReadTransaction, epoch: u64) -> Result<u64, StoreError> {
    let meta = txn.open_table(META)?;
    let get = |key| -> Result<Option<u64>, StoreError> { Ok(meta.get(key)?.map(|v| v.value())) };
    Ok(match get(APPLIED_EPOCH)? {
        Some(e) if e == epoch => get(APPLIED_SEQ)?.unwrap_or(0),
        _ => 0,
    })
}

fn record_applied(txn: &WriteTransaction, (epoch, seq): (u64, u64)) -> Result<(), StoreError> {
    let mut meta = txn.open_table(META)?;
    meta.insert(APPLIED_EPOCH, epoch)?;
    meta.insert(APPLIED_SEQ, seq)?;
    Ok(())
}

/// Records a new epoch in `txn`, for the durable commit it is about to make.
pub fn record_new_epoch(txn: &WriteTransaction) -> Result<u64, StoreError> {
    let epoch = new_epoch();
    txn.open_table(META)?.insert(WAL_EPOCH, epoch)?;
    Ok(epoch)
}

/// The answer to one write, available once its batch is durable (or failed).
pub type Pending<R> = oneshot::Receiver<Result<R, StoreError>>;

/// Runs inside the batch's transaction; returns whether it succeeded and how to answer its
/// caller once the commit outcome is known.
type Run = Box<dyn FnOnce(&Txn) -> (bool, Completion) + Send>;
type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

struct Job {
    run: Run,
    /// The write as a log record, when it is a logged one.
    record: Option<Vec<u8>>,
}

#[derive(Clone)]
pub struct WriterHandle {
    jobs: mpsc::Sender<Job>,
    stats: Arc<Counters>,
    /// Signalled after each commit, for followers of the change log (the indexer).
    committed: Arc<Notify>,
}

struct Counters {
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
    count.fetch_add(1, Ordering::Relaxed);
    slowest_us.fetch_max(took.as_micros() as u64, Ordering::Relaxed);
    times.observe(took);
    (out, took)
}

/// Starts the writer thread; `writeback` (the store file's, if it is one) is told of each
/// commit that did not wait for the disk.
pub fn start(
    db: Arc<Database>,
    wal: Wal,
    writeback: Option<EarlyWriteback>,
) -> Result<(WriterHandle, std::thread::JoinHandle<()>), StoreError> {
    // Unbounded so a write can be queued without awaiting (the ACD must never block on the
    // disk); callers that await durability hold back their own clients, which bounds it.
    let (tx, rx) = mpsc::channel::<Job>();
    let stats = Arc::new(Counters::default());
    let committed = Arc::new(Notify::new());
    let thread_stats = stats.clone();
    let thread_committed = committed.clone();
    let thread = std::thread::Builder::new()
        .name("parley-store-writer".into())
        .spawn(move || {
            let mut writer = Writer {
                db: &db,
                log: Log::new(wal),
                stats: &thread_stats,
                writeback,
            };
            writer.run(&rx, &thread_committed);
            // A store closed while the process runs on (the first run's set-up, before the
            // server opens it again) would otherwise leave its freed pages resident.
            drop(writer);
            drop(db);
            crate::allocator::release_free_memory();
        })
        .map_err(|e| StoreError::Redb(format!("cannot start writer thread: {e}")))?;
    Ok((
        WriterHandle {
            jobs: tx,
            stats,
            committed,
        },
        thread,
    ))
}

impl WriterHandle {
    /// Queues a write in order with every other; the receiver answers once it is durable.
    pub fn submit<R, F>(&self, f: F) -> Result<Pending<R>, StoreError>
    where
        F: FnOnce(&Txn) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        self.push(None, f)
    }

    /// [`submit`](Self::submit) for a logged write; `answer` picks its caller's result.
    pub fn submit_logged<R>(
        &self,
        write: Logged,
        answer: fn(Applied) -> R,
    ) -> Result<Pending<R>, StoreError>
    where
        R: Send + 'static,
    {
        let record = write.encode()?;
        self.push(Some(record), move |txn| write.apply(txn).map(answer))
    }

    fn push<R, F>(&self, record: Option<Vec<u8>>, f: F) -> Result<Pending<R>, StoreError>
    where
        F: FnOnce(&Txn) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let (job, rx) = job(record, f);
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        Ok(rx)
    }

    pub fn committed(&self) -> Arc<Notify> {
        self.committed.clone()
    }

    pub fn stats(&self) -> BatchStats {
        let c = &self.stats;
        let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
        BatchStats {
            commits: load(&c.commits),
            writes: load(&c.writes),
            log_syncs: load(&c.log_syncs),
            slow_log_syncs: load(&c.slow_log_syncs),
            slowest_log_sync: Duration::from_micros(load(&c.slowest_log_sync_us)),
            durable_commits: load(&c.durable_commits),
            slowest_durable_commit: Duration::from_micros(load(&c.slowest_durable_commit_us)),
        }
    }

    pub fn disk_timings(&self) -> DiskTimings {
        DiskTimings {
            log_syncs: self.stats.log_sync_times.snapshot(),
            durable_commits: self.stats.durable_commit_times.snapshot(),
        }
    }
}

/// `f` as a job for the writer, and the receiver of its answer.
fn job<R, F>(record: Option<Vec<u8>>, f: F) -> (Job, Pending<R>)
where
    F: FnOnce(&Txn) -> Result<R, StoreError> + Send + 'static,
    R: Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let run: Run = Box::new(move |txn| {
        let result = f(txn);
        let ok = result.is_ok();
        let completion: Completion = Box::new(move |commit| {
            // The job's own error explains more than the batch's.
            let _ = tx.send(result.and_then(|r| commit.map(|()| r)));
        });
        (ok, completion)
    });
    (Job { run, record }, rx)
}

/// The log and what the store has not checkpointed of it.
struct Log {
    wal: Wal,
    /// Set when the log failed: every batch then commits durably.
    failed: bool,
    /// When the oldest logged write not yet checkpointed committed.
    since: Option<Instant>,
}

impl Log {
    fn new(wal: Wal) -> Log {
        Log {
            wal,
            failed: false,
            since: None,
        }
    }

    /// Whether the next batch may be a logged one, or must checkpoint.
    fn open_for_more(&self) -> bool {
        !self.failed
            && self.since.is_none_or(|since| {
                since.elapsed() < CHECKPOINT_AGE && self.wal.written() < CHECKPOINT_BYTES
            })
    }
}

struct Writer<'a> {
    db: &'a Database,
    log: Log,
    stats: &'a Counters,
    writeback: Option<EarlyWriteback>,
}

impl Writer<'_> {
    fn run(&mut self, rx: &mpsc::Receiver<Job>, committed: &Notify) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            // Block for the first job (checkpointing if idle too long), then take whatever
            // else is already waiting.
            let received = match self.log.since {
                Some(_) => rx.recv_timeout(CHECKPOINT_IDLE),
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            let first = match received {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) => {
                    self.checkpoint();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let n = batch.len() as u64;
            self.commit_batch(&mut batch);
            // A stored permit wakes the follower even if it is busy right now.
            committed.notify_one();
            self.stats.commits.fetch_add(1, Ordering::Relaxed);
            self.stats.writes.fetch_add(n, Ordering::Relaxed);
        }
        if self.log.since.is_some() {
            self.checkpoint();
        }
        if self.log.since.is_none()
            && let Err(e) = self.log.wal.clear()
        {
            tracing::warn!(error = %e, "cannot clear the write-ahead log");
        }
        tracing::debug!("store writer stopped");
    }

    /// Runs the batch in one transaction; the provider-id index keeps what the batch added
    /// only if it commits.
    fn commit_batch(&mut self, batch: &mut Vec<Job>) {
        let txn = match self.db.begin_write() {
            Ok(txn) => txn,
            Err(e) => {
                let msg = redb::Error::from(e).to_string();
                tracing::error!(error = %msg, "cannot begin write transaction");
                // Dropping the jobs drops their reply channels: callers see the store as failed.
                batch.clear();
                return;
            }
        };
        let logged = self.log.open_for_more() && batch.iter().all(|j| j.record.is_some());
        let mut completions = Vec::with_capacity(batch.len());
        let mut records = Vec::new();
        let mut all_ok = true;
        let job_txn = Txn::new(&txn);
        for job in batch.drain(..) {
            records.extend(job.record);
            // A panicking job must not take the writer (and every later write) down with it.
            match std::panic::catch_unwind(AssertUnwindSafe(|| (job.run)(&job_txn))) {
                Ok((ok, completion)) => {
                    all_ok &= ok;
                    completions.push(completion);
                }
                Err(_) => {
                    tracing::error!("a store write panicked; its batch is aborted");
                    all_ok = false;
                }
            }
        }
        let outcome = if all_ok {
            if logged {
                self.commit_logged(txn, &records)
            } else {
                self.commit_durably(txn)
            }
        } else {
            let _ = txn.abort();
            Err(StoreError::BatchFailed(
                "another write in the same transaction failed".into(),
            ))
        };
        if let Err(e) = &outcome {
            tracing::error!(error = %e, "group commit failed");
        }
        for completion in completions {
            completion(match &outcome {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::BatchFailed(e.to_string())),
            });
        }
    }

    /// Commits without waiting for the disk, then makes the batch durable in the log. When
    /// the log fails, a checkpoint makes it durable instead (and the log is not used again);
    /// when that fails too, the callers are told, though a later durable commit may still
    /// store what they see as failed (a provider's retry then finds its message stored).
    fn commit_logged(
        &mut self,
        mut txn: WriteTransaction,
        records: &[Vec<u8>],
    ) -> Result<(), StoreError> {
        record_applied(&txn, self.log.wal.position_after(records.len()))?;
        txn.set_durability(Durability::None)
            .map_err(|e| StoreError::Redb(e.to_string()))?;
        txn.commit()
            .map_err(|e| StoreError::BatchFailed(redb::Error::from(e).to_string()))?;
        if let Some(writeback) = &self.writeback {
            writeback.committed();
        }
        self.log.since.get_or_insert_with(Instant::now);
        let stats = self.stats;
        let (appended, took) = timed(
            &stats.log_syncs,
            &stats.slowest_log_sync_us,
            &stats.log_sync_times,
            || self.log.wal.append(records),
        );
        if took > SLOW_SYNC {
            stats.slow_log_syncs.fetch_add(1, Ordering::Relaxed);
        }
        match appended {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, "write-ahead log failed; committing durably from now on");
                self.log.failed = true;
                self.checkpoint_now()
            }
        }
    }

    /// Commits `txn` durably, in a new epoch: it then holds every logged write before it.
    fn commit_durably(&mut self, txn: WriteTransaction) -> Result<(), StoreError> {
        let epoch = record_new_epoch(&txn)?;
        let stats = self.stats;
        let (committed, _) = timed(
            &stats.durable_commits,
            &stats.slowest_durable_commit_us,
            &stats.durable_commit_times,
            || txn.commit(),
        );
        committed.map_err(|e| StoreError::BatchFailed(redb::Error::from(e).to_string()))?;
        self.log.since = None;
        self.log.wal.checkpointed(epoch);
        Ok(())
    }

    /// A durable commit of nothing but a new epoch.
    fn checkpoint(&mut self) {
        if let Err(e) = self.checkpoint_now() {
            tracing::error!(error = %e, "checkpoint failed");
        }
    }

    fn checkpoint_now(&mut self) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        self.commit_durably(txn)
    }
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
