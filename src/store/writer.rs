//! The single writer, in two threads. The log thread (`log_thread.rs`) takes writes in
//! order, batching what waits (group commit); each run of logged writes (`logged.rs`) in a
//! batch is made durable by one append to the write-ahead log (`wal.rs`) and goes on to the
//! apply thread (`apply_thread.rs`), which commits it to redb without waiting for the disk.
//! Each run of other writes is committed durably, in order with the rest.
//!
//! Now and then (when the log is old or large enough, or the writer is idle) the log
//! thread starts a new epoch and asks for a checkpoint: a durable commit that holds every
//! record before it and records the new epoch in `meta`. The log goes on meanwhile, so a
//! write that only needs to be durable (an inbound message, see [`Receipt`]) is answered
//! while redb commits.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;

use redb::{Database, ReadTransaction, WriteTransaction};
use tokio::sync::{Notify, oneshot};

use super::apply_thread::Applier;
use super::log_thread::Logger;
use super::logged::{Applied, Logged};
use super::recent_prints::RecentPrints;
use super::wal::{Record, Wal, new_epoch};
use super::writeback::EarlyWriteback;
use super::writer_stats::Counters;
pub use super::writer_stats::{BatchStats, DiskTimings, SLOW_SYNC};
use super::{META, StoreError, Txn};

/// Largest batch per log append, and per transaction, in jobs: bounds the latency a single
/// commit adds to its callers.
pub(super) const MAX_BATCH: usize = 1024;
/// Largest weight (see [`Job::weight`]) the apply thread gathers into one transaction. Its
/// callers are answered together when it commits, so a transaction of thousands of
/// messages held every webhook behind it up for its whole length (inbound messages wait to
/// be routed within a bound of their own, `sms/inbound.rs`).
pub(super) const MAX_APPLIED: usize = 256;
/// The `meta` key holding the epoch of the last checkpoint.
const WAL_EPOCH: &str = "wal_epoch";
/// The `meta` keys saying how far the store has applied the log: the epoch and sequence
/// number of the last record whose batch it holds.
const APPLIED_EPOCH: &str = "wal_applied_epoch";
const APPLIED_SEQ: &str = "wal_applied_seq";

/// The epoch of the store's last checkpoint (0 for a new store).
pub fn stored_epoch(txn: &ReadTransaction) -> Result<u64, StoreError> {
    Ok(txn
        .open_table(META)?
        .get(WAL_EPOCH)?
        .map_or(0, |v| v.value()))
}

/// The last log record the store holds, as (epoch, sequence number). A logged batch records
/// it in its own transaction, so a batch that became durable some other way than a
/// checkpoint (redb makes a pending commit durable when it closes) is not applied again
/// after a crash.
pub fn applied_position(txn: &ReadTransaction) -> Result<Option<(u64, u64)>, StoreError> {
    let meta = txn.open_table(META)?;
    let get = |key| -> Result<Option<u64>, StoreError> { Ok(meta.get(key)?.map(|v| v.value())) };
    Ok(get(APPLIED_EPOCH)?.zip(get(APPLIED_SEQ)?))
}

/// The records after `applied`, of those the log read back for the store's epoch.
pub fn not_applied(records: &[Record], applied: Option<(u64, u64)>) -> &[Record] {
    let Some((epoch, seq)) = applied else {
        return records;
    };
    match records.iter().position(|r| r.epoch == epoch) {
        Some(first) => {
            let held = records[first..]
                .iter()
                .take_while(|r| r.epoch == epoch && r.seq <= seq)
                .count();
            &records[first + held..]
        }
        None => records,
    }
}

pub(super) fn record_applied(
    txn: &WriteTransaction,
    (epoch, seq): (u64, u64),
) -> Result<(), StoreError> {
    let mut meta = txn.open_table(META)?;
    meta.insert(APPLIED_EPOCH, epoch)?;
    meta.insert(APPLIED_SEQ, seq)?;
    Ok(())
}

/// Records `epoch` in `txn`, for the durable commit it is about to make.
pub(super) fn record_epoch(txn: &WriteTransaction, epoch: u64) -> Result<(), StoreError> {
    txn.open_table(META)?.insert(WAL_EPOCH, epoch)?;
    Ok(())
}

/// Records a new epoch in `txn`, for the durable commit it is about to make.
pub fn record_new_epoch(txn: &WriteTransaction) -> Result<u64, StoreError> {
    let epoch = new_epoch();
    record_epoch(txn, epoch)?;
    Ok(epoch)
}

/// The answer to one write, available once its batch is durable (or failed).
pub type Pending<R> = oneshot::Receiver<Result<R, StoreError>>;

/// Answered once a logged write is on disk in the log, before it is applied; dropped
/// unanswered when it was made durable another way, or not at all (the [`Pending`] answer
/// then says which).
pub type Receipt = oneshot::Receiver<()>;

/// Runs inside the batch's transaction; returns whether it succeeded and how to answer its
/// caller once the commit outcome is known.
type Run = Box<dyn FnOnce(&Txn) -> (bool, Completion) + Send>;
pub(super) type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// What the log thread takes, in order.
pub(super) enum Request {
    Write(Job),
    /// Told once every write before it is applied.
    Barrier(oneshot::Sender<()>),
}

pub(super) struct Job {
    pub(super) run: Run,
    /// The write as a log record, when it is a logged one.
    pub(super) record: Option<Vec<u8>>,
    /// Told once the record is on disk in the log.
    pub(super) receipt: Option<oneshot::Sender<()>>,
    /// What it stores, counted as the apply thread bounds a transaction: its messages for a
    /// batch of inbound ones, 1 otherwise.
    pub(super) weight: usize,
}

#[derive(Clone)]
pub struct WriterHandle {
    jobs: mpsc::Sender<Request>,
    stats: Arc<Counters>,
    /// Signalled after each commit, for followers of the change log (the indexer).
    committed: Arc<Notify>,
}

/// Starts the writer's threads; the apply thread keeps `recent`, the newest provider-id
/// fingerprints (see `recent_prints.rs`); `writeback` (the store file's, if it is one) is
/// told of each commit that did not wait for the disk; a checkpoint is due once the oldest
/// record it would cover is `checkpoint_age` old (see `log_thread.rs`). The handle returned
/// ends when both threads have.
pub fn start(
    db: Arc<Database>,
    wal: Wal,
    recent: RecentPrints,
    writeback: Option<EarlyWriteback>,
    checkpoint_age: std::time::Duration,
) -> Result<(WriterHandle, std::thread::JoinHandle<()>), StoreError> {
    // Unbounded so a write can be queued without awaiting (the ACD must never block on the
    // disk); callers that await durability hold back their own clients, which bounds it.
    let (jobs, jobs_rx) = mpsc::channel::<Request>();
    let (work, work_rx) = mpsc::channel();
    let (answers, answers_rx) = mpsc::channel();
    let stats = Arc::new(Counters::default());
    let committed = Arc::new(Notify::new());
    let broken = Arc::new(AtomicBool::new(false));
    let cannot_start =
        |e: std::io::Error| StoreError::Redb(format!("cannot start the store writer: {e}"));
    let applier = {
        let (stats, committed, broken) = (stats.clone(), committed.clone(), broken.clone());
        std::thread::Builder::new()
            .name("parley-store-apply".into())
            .spawn(move || {
                Applier::new(&db, recent, &stats, writeback, &broken, answers)
                    .run(&work_rx, &committed);
                drop(db);
            })
            .map_err(cannot_start)?
    };
    let logger = {
        let stats = stats.clone();
        std::thread::Builder::new()
            .name("parley-store-log".into())
            .spawn(move || {
                Logger::new(wal, checkpoint_age, &stats, work, answers_rx, &broken).run(&jobs_rx);
                if applier.join().is_err() {
                    tracing::error!("the store's apply thread panicked");
                }
            })
            .map_err(cannot_start)?
    };
    Ok((
        WriterHandle {
            jobs,
            stats,
            committed,
        },
        logger,
    ))
}

impl WriterHandle {
    /// Queues a write in order with every other; the receiver answers once it is durable.
    pub fn submit<R, F>(&self, f: F) -> Result<Pending<R>, StoreError>
    where
        F: FnOnce(&Txn) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        self.push(None, 1, f).map(|(_, pending)| pending)
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
        self.submit_logged_with_receipt(write, answer)
            .map(|(_, pending)| pending)
    }

    /// [`submit_logged`](Self::submit_logged) that also says when the write is durable in the
    /// log, before it is applied.
    pub fn submit_logged_with_receipt<R>(
        &self,
        write: Logged,
        answer: fn(Applied) -> R,
    ) -> Result<(Receipt, Pending<R>), StoreError>
    where
        R: Send + 'static,
    {
        let record = write.encode()?;
        let weight = write.weight();
        self.push(Some(record), weight, move |txn| {
            write.apply(txn).map(answer)
        })
    }

    fn push<R, F>(
        &self,
        record: Option<Vec<u8>>,
        weight: usize,
        f: F,
    ) -> Result<(Receipt, Pending<R>), StoreError>
    where
        F: FnOnce(&Txn) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let (job, receipt, rx) = job(record, weight, f);
        self.jobs
            .send(Request::Write(job))
            .map_err(|_| StoreError::Closed)?;
        Ok((receipt, rx))
    }

    /// Answered once every write queued before it is applied, so that a read then sees it
    /// (a logged write is answered durable before it is applied).
    pub fn applied(&self) -> Result<oneshot::Receiver<()>, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Request::Barrier(tx))
            .map_err(|_| StoreError::Closed)?;
        Ok(rx)
    }

    pub fn committed(&self) -> Arc<Notify> {
        self.committed.clone()
    }

    pub fn stats(&self) -> BatchStats {
        self.stats.batch_stats()
    }

    pub fn disk_timings(&self) -> DiskTimings {
        self.stats.disk_timings()
    }
}

/// `f` as a job for the writer (of [`Job::weight`] `weight`), its receipt and the receiver of
/// its answer.
pub(super) fn job<R, F>(record: Option<Vec<u8>>, weight: usize, f: F) -> (Job, Receipt, Pending<R>)
where
    F: FnOnce(&Txn) -> Result<R, StoreError> + Send + 'static,
    R: Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let (receipt_tx, receipt) = oneshot::channel();
    let run: Run = Box::new(move |txn| {
        let result = f(txn);
        let ok = result.is_ok();
        let completion: Completion = Box::new(move |commit| {
            // The job's own error explains more than the batch's.
            let _ = tx.send(result.and_then(|r| commit.map(|()| r)));
        });
        (ok, completion)
    });
    let job = Job {
        run,
        receipt: record.is_some().then_some(receipt_tx),
        record,
        weight,
    };
    (job, receipt, rx)
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
