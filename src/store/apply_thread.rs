//! The writer's second thread: applies batches to redb in the order the log thread hands
//! them over, and commits the checkpoints it asks for (see `writer.rs`).

use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use redb::{Database, Durability, WriteTransaction};
use tokio::sync::{Notify, oneshot};

use super::recent_prints::RecentPrints;
use super::writeback::EarlyWriteback;
use super::writer::{Completion, Job, MAX_APPLIED, MAX_BATCH, record_applied, record_epoch};
use super::writer_stats::Counters;
use super::{StoreError, Txn};

/// How long the store goes without a write before its page cache is emptied.
const IDLE_BEFORE_RELEASE: std::time::Duration = std::time::Duration::from_secs(3);

/// What the log thread hands over, in order.
pub(super) enum Work {
    /// Jobs whose records are on disk in the log, the last of them at `through` (epoch,
    /// sequence number).
    Logged { jobs: Vec<Job>, through: (u64, u64) },
    /// Jobs that commit durably.
    Durable(Vec<Job>),
    /// A durable commit that records `epoch`: the store then holds every record before it.
    Checkpoint { epoch: u64 },
    /// Told once everything before it is applied.
    Barrier(oneshot::Sender<()>),
    /// The store is closing: every fingerprint still held goes to the table.
    Finish,
}

/// How a checkpoint went: its epoch, committed or not.
pub(super) type Answer = Result<u64, u64>;

pub(super) struct Applier<'a> {
    db: &'a Database,
    recent: RefCell<RecentPrints>,
    stats: &'a Counters,
    writeback: Option<EarlyWriteback>,
    /// Set when a logged batch could not be applied: its records are acknowledged, so
    /// nothing may be written on top of a store that lacks them. Every later write is
    /// refused, and the next start applies the log.
    broken: &'a AtomicBool,
    answers: mpsc::Sender<Answer>,
}

impl<'a> Applier<'a> {
    pub(super) fn new(
        db: &'a Database,
        recent: RecentPrints,
        stats: &'a Counters,
        writeback: Option<EarlyWriteback>,
        broken: &'a AtomicBool,
        answers: mpsc::Sender<Answer>,
    ) -> Applier<'a> {
        Applier {
            db,
            recent: RefCell::new(recent),
            stats,
            writeback,
            broken,
            answers,
        }
    }

    /// Empties redb's page cache and hands what this thread freed back to the system: an
    /// idle store holds no more memory than a fresh one, whatever the work before.
    fn release_memory(&self) {
        self.db.clear_read_cache();
        crate::allocator::release_free_memory();
    }

    pub(super) fn run(&mut self, rx: &mpsc::Receiver<Work>, committed: &Notify) {
        let mut next = None;
        // Whether anything was done since the memory was last handed back; the start's own
        // work (the log's replay, the routing state read back) counts.
        let mut worked = true;
        loop {
            let received = match next.take() {
                Some(work) => Ok(work),
                None if worked => rx.recv_timeout(IDLE_BEFORE_RELEASE),
                None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            };
            let work = match received {
                Ok(work) => work,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.release_memory();
                    worked = false;
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            worked = true;
            match work {
                Work::Logged { mut jobs, through } => {
                    // What queued up meanwhile (behind a checkpoint) goes in one transaction.
                    let mut through = through;
                    next = gather(rx, &mut jobs, |work, jobs| match work {
                        Work::Logged {
                            jobs: more,
                            through: last,
                        } => {
                            jobs.extend(more);
                            through = last;
                            None
                        }
                        other => Some(other),
                    });
                    if !self.apply(jobs, Some(through)) {
                        tracing::error!(
                            "a logged write could not be applied: the store refuses writes \
                             until it is restarted, which applies the log"
                        );
                        self.broken.store(true, Ordering::SeqCst);
                    }
                }
                Work::Durable(mut jobs) => {
                    // Durable batches that queued up meanwhile share one commit.
                    next = gather(rx, &mut jobs, |work, jobs| match work {
                        Work::Durable(more) => {
                            jobs.extend(more);
                            None
                        }
                        other => Some(other),
                    });
                    self.apply(jobs, None);
                }
                Work::Checkpoint { epoch } => {
                    let answer = match self.checkpoint(epoch) {
                        Ok(()) => Ok(epoch),
                        Err(e) => {
                            tracing::error!(error = %e, "checkpoint failed");
                            Err(epoch)
                        }
                    };
                    let _ = self.answers.send(answer);
                }
                Work::Barrier(tx) => {
                    if !self.broken.load(Ordering::SeqCst) {
                        let _ = tx.send(());
                    }
                    continue;
                }
                Work::Finish => self.finish(),
            }
            // A stored permit wakes the follower even if it is busy right now.
            committed.notify_one();
        }
        tracing::debug!("store writer stopped");
    }

    /// Runs the jobs in one transaction and commits it: without waiting for the disk when
    /// their records are in the log up to `through`, durably otherwise. Returns whether it
    /// committed. The provider-id index keeps what the batch added only if it does.
    fn apply(&mut self, jobs: Vec<Job>, through: Option<(u64, u64)>) -> bool {
        if self.broken.load(Ordering::SeqCst) {
            // Dropping the jobs drops their reply channels: callers see the store as closed.
            return false;
        }
        let txn = match self.db.begin_write() {
            Ok(txn) => txn,
            Err(e) => {
                let msg = redb::Error::from(e).to_string();
                tracing::error!(error = %msg, "cannot begin write transaction");
                return false;
            }
        };
        self.stats.batch(jobs.len());
        let mut completions: Vec<Completion> = Vec::with_capacity(jobs.len());
        let mut all_ok = true;
        let job_txn = Txn::with_recent(&txn, &self.recent);
        for job in jobs {
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
        if all_ok && let Err(e) = self.recent.borrow_mut().sweep(&txn) {
            tracing::error!(error = %e, "cannot write the newest provider-id fingerprints");
            all_ok = false;
        }
        let outcome = if all_ok {
            match through {
                Some(through) => self.commit_logged(txn, through),
                None => self.commit_durably(txn),
            }
        } else {
            let _ = txn.abort();
            Err(StoreError::BatchFailed(
                "another write in the same transaction failed".into(),
            ))
        };
        match &outcome {
            Ok(()) => self.recent.borrow_mut().committed(),
            Err(e) => {
                self.recent.borrow_mut().aborted();
                tracing::error!(error = %e, "group commit failed");
            }
        }
        for completion in completions {
            completion(match &outcome {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::BatchFailed(e.to_string())),
            });
        }
        outcome.is_ok()
    }

    /// Commits without waiting for the disk: the log holds the batch.
    fn commit_logged(
        &mut self,
        mut txn: WriteTransaction,
        through: (u64, u64),
    ) -> Result<(), StoreError> {
        record_applied(&txn, through)?;
        txn.set_durability(Durability::None)
            .map_err(|e| StoreError::Redb(e.to_string()))?;
        txn.commit()
            .map_err(|e| StoreError::BatchFailed(redb::Error::from(e).to_string()))?;
        if let Some(writeback) = &self.writeback {
            writeback.committed();
        }
        Ok(())
    }

    /// Commits durably, with redb's allocator state recorded in the commit: a start after a
    /// crash then loads it instead of rebuilding it from every table, which took 72 s at 20
    /// million messages (the growth bench's start after a crash under load).
    fn commit_durably(&mut self, mut txn: WriteTransaction) -> Result<(), StoreError> {
        txn.set_quick_repair(true);
        self.stats
            .durable_commit(|| txn.commit())
            .map_err(|e| StoreError::BatchFailed(redb::Error::from(e).to_string()))
    }

    /// Writes every fingerprint still held to the table in one durable commit, so the next
    /// start reads none back; on failure the next start reads them back as after a crash.
    fn finish(&mut self) {
        // With nothing held there is nothing to write, and no reason for a durable commit.
        if self.broken.load(Ordering::SeqCst) || self.recent.borrow().held() == 0 {
            return;
        }
        let started = std::time::Instant::now();
        let written = (|| {
            let txn = self.db.begin_write()?;
            let finished = self.recent.borrow().finish(&txn)?;
            self.commit_durably(txn)?;
            Ok::<_, StoreError>(finished)
        })();
        match written {
            Ok((rows, mark)) => {
                self.recent.borrow_mut().finished(mark);
                tracing::info!(
                    fingerprints = rows,
                    ms = started.elapsed().as_millis() as u64,
                    "provider ids: the newest fingerprints written to their table"
                );
            }
            Err(e) => tracing::warn!(
                error = %e,
                "cannot write the newest provider-id fingerprints; the next start reads them back"
            ),
        }
    }

    /// A durable commit of nothing but `epoch`.
    fn checkpoint(&mut self, epoch: u64) -> Result<(), StoreError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(StoreError::Closed);
        }
        let txn = self.db.begin_write()?;
        record_epoch(&txn, epoch)?;
        self.commit_durably(txn)
    }
}

/// Takes the work queued behind a batch into `jobs` while `take` accepts it (it returns
/// work of another kind), until they weigh [`MAX_APPLIED`] or number [`MAX_BATCH`]; returns
/// the first work not taken.
fn gather(
    rx: &mpsc::Receiver<Work>,
    jobs: &mut Vec<Job>,
    mut take: impl FnMut(Work, &mut Vec<Job>) -> Option<Work>,
) -> Option<Work> {
    let mut weight: usize = jobs.iter().map(|j| j.weight).sum();
    while weight < MAX_APPLIED && jobs.len() < MAX_BATCH {
        let queued = rx.try_recv().ok()?;
        let before = jobs.len();
        if let Some(other) = take(queued, jobs) {
            return Some(other);
        }
        weight += jobs[before..].iter().map(|j| j.weight).sum::<usize>();
    }
    None
}
