//! Handing back, a piece at a time, the pages a backup's snapshot kept from being reused.
//!
//! While a read transaction lives, redb cannot reuse a page that a later commit frees: it
//! keeps a list of them, and the first durable commit after the snapshot ends takes every
//! page on that list back at once. After a two-minute backup at 5 million messages, with
//! webhooks coming as fast as they were answered, that one commit took 150 ms of CPU, and
//! every answer waited behind it: it was the longest pause of the backup (155–199 ms, against
//! 27–37 ms without one). So while a backup copies it also takes a snapshot (a mark) every
//! [`MARK_EVERY`], and once it is done the marks end one per durable commit, oldest first:
//! each commit then takes back only the pages freed between two marks. The marks keep
//! nothing longer than the backup's own snapshot did, except while they end.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use redb::ReadTransaction;

use super::{Store, StoreError};

/// How often a backup takes a mark: a commit after it takes back about as many pages as
/// this much of the store's work freed.
pub(super) const MARK_EVERY: Duration = Duration::from_secs(1);

/// How long the marks wait for a durable commit before they all end: a store that commits
/// nothing reuses nothing meanwhile, and its next commit is not in anybody's way.
const PATIENCE: Duration = Duration::from_secs(2);

/// Snapshots taken at intervals while a backup copies.
pub(super) struct Marks {
    held: VecDeque<ReadTransaction>,
    every: Duration,
    last: Instant,
}

impl Marks {
    pub(super) fn every(every: Duration) -> Marks {
        Marks {
            held: VecDeque::new(),
            every,
            last: Instant::now(),
        }
    }

    /// Takes a mark of `store` when one is due.
    pub(super) fn tick(&mut self, store: &Store) -> Result<(), StoreError> {
        if self.last.elapsed() >= self.every {
            self.held.push_back(store.snapshot()?);
            self.last = Instant::now();
        }
        Ok(())
    }

    /// Ends the marks one per durable commit of `store`, on a thread of its own; call it once
    /// the backup's own snapshot has ended.
    pub(super) fn release(self, store: Store) {
        if self.held.is_empty() {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("parley-backup-marks".into())
            .spawn(move || {
                release_one_per_commit(self.held, || store.batch_stats().durable_commits, PATIENCE)
            });
        if let Err(e) = spawned {
            // Dropping them here is what a backup did before marks.
            tracing::warn!(error = %e, "cannot start the thread that ends a backup's marks");
        }
    }
}

/// Drops `held` front first, one each time `commits` has grown since the last; drops the
/// rest at once when it has not grown for `patience`.
fn release_one_per_commit<T>(mut held: VecDeque<T>, commits: impl Fn() -> u64, patience: Duration) {
    let mut seen = commits();
    let mut since = Instant::now();
    while !held.is_empty() {
        std::thread::sleep(Duration::from_millis(10));
        let now = commits();
        if now > seen {
            held.pop_front();
            seen = now;
            since = Instant::now();
        } else if since.elapsed() >= patience {
            held.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    fn until(what: &str, done: impl Fn() -> bool) {
        crate::testing::until(Duration::from_secs(10), || {
            (!done()).then(|| what.to_string())
        });
    }

    #[test]
    fn marks_end_oldest_first_one_per_commit_and_all_once_commits_stop() {
        let marks: Vec<Arc<()>> = (0..4).map(|_| Arc::new(())).collect();
        let commits = Arc::new(AtomicU64::new(7));
        let releasing = {
            let held = marks.iter().cloned().collect();
            let commits = commits.clone();
            std::thread::spawn(move || {
                release_one_per_commit(
                    held,
                    || commits.load(Ordering::SeqCst),
                    Duration::from_secs(3),
                )
            })
        };
        let ended = |i: usize| Arc::strong_count(&marks[i]) == 1;
        std::thread::sleep(Duration::from_millis(100));
        assert!(!ended(0), "no commit, no mark ends");
        commits.fetch_add(1, Ordering::SeqCst);
        until("the first commit ends the oldest mark", || ended(0));
        assert!(!ended(1) && !ended(2) && !ended(3));
        commits.fetch_add(1, Ordering::SeqCst);
        until("the second commit ends the next", || ended(1));
        assert!(!ended(2) && !ended(3));
        // No more commits: the rest end together once patience runs out.
        until("the rest end without commits", || ended(2) && ended(3));
        releasing.join().unwrap();
    }

    #[test]
    fn a_mark_is_taken_when_due() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _writer) = Store::open(&dir.path().join("parley.redb")).unwrap();
        let mut marks = Marks::every(Duration::from_millis(50));
        marks.tick(&store).unwrap();
        assert_eq!(marks.held.len(), 0, "not due yet");
        std::thread::sleep(Duration::from_millis(60));
        marks.tick(&store).unwrap();
        marks.tick(&store).unwrap();
        assert_eq!(marks.held.len(), 1, "one mark per interval");
    }
}
