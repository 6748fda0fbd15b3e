//! The writer's first thread: takes writes in order, appends logged batches to the
//! write-ahead log, hands every batch to the apply thread, and decides when to checkpoint
//! (see `writer.rs`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::apply_thread::{Answer, Work};
use super::wal::{AppendError, Wal, new_epoch};
use super::writer::{Job, MAX_BATCH, Request};
use super::writer_stats::Counters;

/// A checkpoint is due when the oldest record it would cover is this old (a crash replays what
/// the last checkpoint had not covered: at saturation 500 ms left up to 10,000 messages to
/// apply again, 0.4–0.7 s of the next start; BENCHMARK-LOG.md, 2026-12-07)...
pub(super) const CHECKPOINT_AGE: Duration = Duration::from_millis(250);
/// ... or the epoch holds this much of its region (the rest, 28 MiB, is room to go on while
/// the previous checkpoint commits, which a backup sharing the disk can slow to seconds).
const CHECKPOINT_BYTES: u64 = 4 << 20;
/// With records not yet checkpointed, an idle writer checkpoints after this long.
const CHECKPOINT_IDLE: Duration = Duration::from_millis(50);

pub(super) struct Logger<'a> {
    wal: Wal,
    /// [`CHECKPOINT_AGE`], or less in tests.
    checkpoint_age: Duration,
    stats: &'a Counters,
    applier: mpsc::Sender<Work>,
    answers: mpsc::Receiver<Answer>,
    /// Set by the apply thread when it stops applying (see `apply_thread.rs`).
    broken: &'a AtomicBool,
    /// When the first record the next checkpoint would cover was appended.
    since: Option<Instant>,
    /// The checkpoint asked for and not answered yet: until it is durable, the region of
    /// the epoch before it must not be written again.
    awaiting: Option<u64>,
    /// A checkpoint that failed: asked for again, in the same epoch, when one is due.
    retry: Option<u64>,
    /// Set when the log failed: every batch then commits durably.
    failed: bool,
}

impl<'a> Logger<'a> {
    pub(super) fn new(
        wal: Wal,
        checkpoint_age: Duration,
        stats: &'a Counters,
        applier: mpsc::Sender<Work>,
        answers: mpsc::Receiver<Answer>,
        broken: &'a AtomicBool,
    ) -> Logger<'a> {
        Logger {
            wal,
            checkpoint_age,
            stats,
            applier,
            answers,
            broken,
            since: None,
            awaiting: None,
            retry: None,
            failed: false,
        }
    }

    pub(super) fn run(mut self, rx: &mpsc::Receiver<Request>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            while let Ok(answer) = self.answers.try_recv() {
                self.answered(answer);
            }
            // Block for the first job (checkpointing if idle too long), then take whatever
            // else is already waiting.
            let received = if self.since.is_some() || self.retry.is_some() {
                rx.recv_timeout(CHECKPOINT_IDLE)
            } else {
                rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
            };
            let mut barrier = None;
            match received {
                Ok(Request::Write(job)) => batch.push(job),
                Ok(Request::Barrier(tx)) => barrier = Some(tx),
                Err(RecvTimeoutError::Timeout) => {
                    self.checkpoint_if_due(true);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
            while barrier.is_none() && batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(Request::Write(job)) => batch.push(job),
                    Ok(Request::Barrier(tx)) => barrier = Some(tx),
                    Err(_) => break,
                }
            }
            let mut jobs = std::mem::take(&mut batch);
            if self.broken.load(Ordering::SeqCst) {
                // Dropping the jobs drops their reply channels: callers see the store closed.
                continue;
            }
            // In order, each run of logged writes is appended, and each run of others
            // committed durably: a logged write is answered from the log even when it
            // shares a batch with a write that is not logged, rather than after that
            // batch's durable commit (hundreds of milliseconds while a backup shares the
            // disk).
            while let Some((logged, run)) = next_run(&mut jobs) {
                if logged && !self.failed {
                    self.checkpoint_if_due(false);
                    self.log(run);
                } else {
                    self.durable(run);
                }
            }
            if let Some(tx) = barrier {
                let _ = self.applier.send(Work::Barrier(tx));
            }
        }
        self.stop();
    }

    fn answered(&mut self, answer: Answer) {
        match answer {
            Ok(epoch) if self.awaiting == Some(epoch) => self.awaiting = None,
            Ok(_) => {}
            Err(epoch) => {
                self.awaiting = None;
                self.retry = Some(epoch);
            }
        }
    }

    /// Asks for a checkpoint if one is due and the region it frees is not still in use.
    fn checkpoint_if_due(&mut self, idle: bool) {
        let due = idle
            || self.since.is_some_and(|since| {
                since.elapsed() >= self.checkpoint_age || self.wal.written() >= CHECKPOINT_BYTES
            });
        if !due || self.awaiting.is_some() {
            return;
        }
        if let Some(epoch) = self.retry.take() {
            self.ask_checkpoint(epoch);
        } else if self.since.is_some() {
            let epoch = new_epoch();
            self.wal.switch(epoch);
            self.ask_checkpoint(epoch);
        }
    }

    fn ask_checkpoint(&mut self, epoch: u64) {
        self.since = None;
        self.awaiting = Some(epoch);
        let _ = self.applier.send(Work::Checkpoint { epoch });
    }

    /// Appends the batch's records and hands it on; answers each receipt once they are on
    /// disk.
    fn log(&mut self, mut jobs: Vec<Job>) {
        let records: Vec<Vec<u8>> = jobs.iter_mut().filter_map(|j| j.record.take()).collect();
        loop {
            match self.stats.log_sync(|| self.wal.append(&records)) {
                Ok(()) => break,
                Err(AppendError::NoRoom) if self.wal.written() > 0 && self.make_room() => {}
                Err(AppendError::NoRoom) => return self.durable(jobs),
                Err(AppendError::Io(e)) => {
                    tracing::error!(error = %e, "write-ahead log failed; committing durably from now on");
                    self.failed = true;
                    // An epoch the log never holds: a start after it applies nothing from
                    // the log, whatever of this append reached the disk.
                    self.ask_checkpoint(new_epoch());
                    return self.durable(jobs);
                }
            }
        }
        self.since.get_or_insert_with(Instant::now);
        for job in &mut jobs {
            if let Some(receipt) = job.receipt.take() {
                let _ = receipt.send(());
            }
        }
        let through = self.wal.position();
        let _ = self.applier.send(Work::Logged { jobs, through });
    }

    /// Waits for the checkpoint under way, then starts a new epoch in the region it freed.
    /// Returns false when there is none to switch to (the checkpoint failed).
    fn make_room(&mut self) -> bool {
        if self.awaiting.is_none()
            && let Some(epoch) = self.retry.take()
        {
            self.ask_checkpoint(epoch);
        }
        while self.awaiting.is_some() {
            match self.answers.recv() {
                Ok(answer) => self.answered(answer),
                Err(_) => return false,
            }
        }
        if self.retry.is_some() {
            return false;
        }
        let epoch = new_epoch();
        self.wal.switch(epoch);
        self.ask_checkpoint(epoch);
        true
    }

    /// Hands the batch on to commit durably. The log goes on meanwhile: a record logged after
    /// the batch and applied after a crash that lost it finds the store as if the batch had
    /// failed, which its callers were never told otherwise.
    fn durable(&mut self, jobs: Vec<Job>) {
        let _ = self.applier.send(Work::Durable(jobs));
    }

    /// At the end: the fingerprints held in memory written out, a last checkpoint, and the
    /// log cleared, unless the store stopped applying (the next start applies what the log
    /// holds).
    fn stop(mut self) {
        if self.broken.load(Ordering::SeqCst) {
            return;
        }
        let _ = self.applier.send(Work::Finish);
        if self.since.is_some() || self.awaiting.is_some() || self.retry.is_some() {
            let epoch = new_epoch();
            self.ask_checkpoint(epoch);
            loop {
                match self.answers.recv() {
                    Ok(Ok(e)) if e == epoch => break,
                    Ok(Err(e)) if e == epoch => return,
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        }
        if let Err(e) = self.wal.clear() {
            tracing::warn!(error = %e, "cannot clear the write-ahead log");
        }
    }
}

/// Takes the leading run of `jobs`: consecutive logged writes, or consecutive others, with
/// whether it is logged. A batch all of one kind is taken whole, without copying.
fn next_run(jobs: &mut Vec<Job>) -> Option<(bool, Vec<Job>)> {
    let logged = jobs.first()?.record.is_some();
    let len = (jobs.iter())
        .position(|j| j.record.is_some() != logged)
        .unwrap_or(jobs.len());
    let rest = jobs.split_off(len);
    Some((logged, std::mem::replace(jobs, rest)))
}
