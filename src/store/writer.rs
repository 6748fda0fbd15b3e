//! The single writer: one thread, one transaction per batch of waiting writes (group commit).

use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use redb::Database;
use tokio::sync::{Notify, mpsc, oneshot};

use super::provider_ids::ProviderIds;
use super::{StoreError, Txn};

/// Largest batch per transaction: bounds the latency a single commit adds to its callers.
const MAX_BATCH: usize = 1024;

/// The answer to one write, available once its batch is durable (or failed).
pub type Pending<R> = oneshot::Receiver<Result<R, StoreError>>;

/// Runs inside the batch's transaction; returns whether it succeeded and how to answer its
/// caller once the commit outcome is known.
type Job = Box<dyn FnOnce(&Txn) -> (bool, Completion) + Send>;
type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

#[derive(Clone)]
pub struct WriterHandle {
    jobs: mpsc::UnboundedSender<Job>,
    stats: Arc<Counters>,
    /// Signalled after each durable commit, for followers of the change log (the indexer).
    committed: Arc<Notify>,
}

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    writes: AtomicU64,
}

/// How well group commit is batching: writes per commit.
#[derive(Clone, Copy, Debug)]
pub struct BatchStats {
    pub commits: u64,
    pub writes: u64,
}

pub fn start(
    db: Arc<Database>,
    provider_ids: ProviderIds,
) -> Result<(WriterHandle, std::thread::JoinHandle<()>), StoreError> {
    // Unbounded so a write can be queued without awaiting (the ACD must never block on the
    // disk); callers that await durability hold back their own clients, which bounds it.
    let (tx, rx) = mpsc::unbounded_channel::<Job>();
    let stats = Arc::new(Counters::default());
    let committed = Arc::new(Notify::new());
    let thread_stats = stats.clone();
    let thread_committed = committed.clone();
    let thread = std::thread::Builder::new()
        .name("parley-store-writer".into())
        .spawn(move || {
            let provider_ids = RefCell::new(provider_ids);
            run(&db, &provider_ids, rx, &thread_stats, &thread_committed)
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
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |txn| {
            let result = f(txn);
            let ok = result.is_ok();
            let completion: Completion = Box::new(move |commit| {
                // The job's own error explains more than the batch's.
                let _ = tx.send(result.and_then(|r| commit.map(|()| r)));
            });
            (ok, completion)
        });
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        Ok(rx)
    }

    pub fn committed(&self) -> Arc<Notify> {
        self.committed.clone()
    }

    pub fn stats(&self) -> BatchStats {
        BatchStats {
            commits: self.stats.commits.load(Ordering::Relaxed),
            writes: self.stats.writes.load(Ordering::Relaxed),
        }
    }
}

fn run(
    db: &Database,
    provider_ids: &RefCell<ProviderIds>,
    mut rx: mpsc::UnboundedReceiver<Job>,
    stats: &Counters,
    committed: &Notify,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Block for the first job, then take whatever else is already waiting.
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let n = batch.len() as u64;
        commit_batch(db, provider_ids, &mut batch);
        // A stored permit wakes the follower even if it is busy right now.
        committed.notify_one();
        stats.commits.fetch_add(1, Ordering::Relaxed);
        stats.writes.fetch_add(n, Ordering::Relaxed);
    }
    tracing::debug!("store writer stopped");
}

/// Runs the batch in one transaction; the provider-id index keeps what the batch added only
/// if it commits.
fn commit_batch(db: &Database, provider_ids: &RefCell<ProviderIds>, batch: &mut Vec<Job>) {
    let txn = match db.begin_write() {
        Ok(txn) => txn,
        Err(e) => {
            let msg = redb::Error::from(e).to_string();
            tracing::error!(error = %msg, "cannot begin write transaction");
            // Dropping the jobs drops their reply channels: callers see the store as failed.
            batch.clear();
            return;
        }
    };
    let mut completions = Vec::with_capacity(batch.len());
    let mut all_ok = true;
    let job_txn = Txn::new(&txn, provider_ids);
    for job in batch.drain(..) {
        // A panicking job must not take the writer (and every later write) down with it.
        match std::panic::catch_unwind(AssertUnwindSafe(|| job(&job_txn))) {
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
        txn.commit()
            .map_err(|e| StoreError::BatchFailed(redb::Error::from(e).to_string()))
    } else {
        let _ = txn.abort();
        Err(StoreError::BatchFailed(
            "another write in the same transaction failed".into(),
        ))
    };
    match &outcome {
        Ok(()) => provider_ids.borrow_mut().keep(),
        Err(e) => {
            provider_ids.borrow_mut().roll_back();
            tracing::error!(error = %e, "group commit failed");
        }
    }
    for completion in completions {
        completion(match &outcome {
            Ok(()) => Ok(()),
            Err(e) => Err(StoreError::BatchFailed(e.to_string())),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::MessageId;
    use crate::store::{Store, StoreError};

    /// A provider id stored by a batch that then aborts is not remembered: the retry of
    /// that message must be stored, not taken for a duplicate.
    #[tokio::test]
    async fn an_aborted_batch_takes_its_provider_ids_back() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _writer) = Store::open(&dir.path().join("t.redb")).unwrap();
        // Hold the writer in a batch of its own, so the next two writes share one.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (running, started) = std::sync::mpsc::channel::<()>();
        let blocker = store
            .submit(move |_| {
                running.send(()).ok();
                held.recv().ok();
                Ok(())
            })
            .unwrap();
        started.recv().unwrap();
        let stored = store
            .submit(|txn| txn.record_provider_id("twilio", "SM1", MessageId(1)))
            .unwrap();
        let failing = store
            .submit(|_| Err::<(), _>(StoreError::Redb("disk on fire".into())))
            .unwrap();
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        assert!(matches!(
            stored.await.unwrap(),
            Err(StoreError::BatchFailed(_))
        ));
        assert!(failing.await.unwrap().is_err());

        let again = store
            .write(|txn| {
                // Lookups are checked against the table, so a leftover would not answer
                // wrongly; it would only linger as a false fingerprint hit.
                let held = txn.provider_ids().len();
                let before = txn.provider_message("twilio", "SM1")?;
                let fresh = txn.record_provider_id("twilio", "SM1", MessageId(2))?;
                Ok((held, before, fresh, txn.provider_message("twilio", "SM1")?))
            })
            .await
            .unwrap();
        assert_eq!(again, (0, None, true, Some(MessageId(2))));
    }
}
