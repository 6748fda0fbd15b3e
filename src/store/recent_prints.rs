//! The fingerprints of the newest provider ids, held in memory and written to
//! `PROVIDER_PRINTS` a generation at a time, in fingerprint order.
//!
//! Written one by one, each new fingerprint lands on a random leaf of a table that grows
//! with history, so every message rewrote a 4 KiB page of it: at 20 million messages that
//! was most of what the ingest rate lost (see the README's design notes). Written in order,
//! a generation's rows share their leaves.
//!
//! Nothing is lost in a crash: `PROVIDER_IDS` holds every key whole, and the `meta` key
//! [`PENDING_FROM`] names the first message whose fingerprint may be missing from the table.
//! Opening the store reads the rows from there on back into memory, which bounds both the
//! start and the memory by two generations whatever the history.

use std::collections::HashMap;

use redb::{ReadTransaction, WriteTransaction};

use super::StoreError;
use super::provider_ids::fingerprint;
use super::tables::{META, PROVIDER_IDS, PROVIDER_PRINTS};

/// The `meta` key: every provider id of a message below it has its row in `PROVIDER_PRINTS`.
pub const PENDING_FROM: &str = "provider_prints_pending_from";
/// How a generation is gathered and written.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    /// Fingerprints a generation gathers before it is written.
    pub generation: usize,
    /// Rows written per transaction, at least; a transaction that adds more writes twice
    /// as many, so a generation is written before the next one fills.
    pub chunk: usize,
}

/// 7/8 of 2^18 fingerprints fill a map of 2^18 slots (about 4.5 MB) without growing it; what
/// they gave at 20 million messages is in the README's Memory benchmark.
pub const PACE: Pace = Pace {
    generation: 229_376,
    chunk: 1024,
};

pub struct RecentPrints {
    /// [`PACE`] but in tests.
    pace: Pace,
    /// Fingerprint → message, for messages from `fresh_from` on.
    fresh: HashMap<u64, u64>,
    fresh_from: u64,
    /// The previous generation, sorted, being written to the table; `swept` rows are.
    sweeping: Vec<(u64, u64)>,
    swept: usize,
    /// What the open transaction changed, undone if it does not commit.
    staged: Vec<u64>,
    swept_to: Option<usize>,
}

impl RecentPrints {
    /// Reads back what the table may lack: the provider ids of every message from
    /// [`PENDING_FROM`] on. Each is written again (the same row, harmlessly) when they are.
    pub fn load(txn: &ReadTransaction, pace: Pace) -> Result<RecentPrints, StoreError> {
        let meta = txn.open_table(META)?;
        let next_message = meta.get("next_message")?.map_or(1, |v| v.value());
        let pending_from = meta.get(PENDING_FROM)?.map_or(next_message, |v| v.value());
        let mut sweeping = Vec::new();
        let mut last = 0;
        for row in txn.open_table(PROVIDER_IDS)?.range((pending_from, "")..)? {
            let (k, _) = row?;
            let (message, key) = k.value();
            sweeping.push((fingerprint(key), message));
            last = message;
        }
        sweeping.sort_unstable();
        sweeping.shrink_to_fit();
        Ok(RecentPrints {
            pace,
            fresh: HashMap::new(),
            fresh_from: next_message.max(pending_from).max(last + 1),
            sweeping,
            swept: 0,
            staged: Vec::new(),
            swept_to: None,
        })
    }

    /// How many fingerprints are held in memory.
    pub fn held(&self) -> usize {
        self.sweeping.len() + self.fresh.len()
    }

    /// The messages held here under `print`.
    pub fn candidates(&self, print: u64) -> impl Iterator<Item = u64> + '_ {
        let from = self.sweeping.partition_point(|&(p, _)| p < print);
        let sorted = self.sweeping[from..]
            .iter()
            .take_while(move |&&(p, _)| p == print)
            .map(|&(_, message)| message);
        self.fresh.get(&print).copied().into_iter().chain(sorted)
    }

    /// Takes `(print, message)` in when it can; when not (an older message, or a print
    /// already held), the caller writes the row to the table itself.
    pub fn stage(&mut self, print: u64, message: u64) -> bool {
        if message < self.fresh_from || self.fresh.contains_key(&print) {
            return false;
        }
        self.fresh.insert(print, message);
        self.staged.push(print);
        true
    }

    /// Writes the next rows of the generation being swept in `txn`; with the last of them,
    /// moves [`PENDING_FROM`] to the generation being gathered.
    pub fn sweep(&mut self, txn: &WriteTransaction) -> Result<(), StoreError> {
        let left = self.sweeping.len() - self.swept;
        if left == 0 {
            return Ok(());
        }
        let to = self.swept + left.min(self.pace.chunk.max(2 * self.staged.len()));
        let mut prints = txn.open_table(PROVIDER_PRINTS)?;
        for row in &self.sweeping[self.swept..to] {
            prints.insert(row, ())?;
        }
        if to == self.sweeping.len() {
            txn.open_table(META)?
                .insert(PENDING_FROM, self.fresh_from)?;
        }
        self.swept_to = Some(to);
        Ok(())
    }

    /// The transaction committed: keeps what it changed, and starts sweeping the gathered
    /// generation once it is full and the previous one is written.
    pub fn committed(&mut self) {
        self.staged.clear();
        if let Some(to) = self.swept_to.take() {
            self.swept = to;
        }
        if self.swept == self.sweeping.len() {
            self.sweeping.clear();
            self.swept = 0;
        }
        if !self.sweeping.is_empty() || self.fresh.len() < self.pace.generation {
            return;
        }
        self.sweeping.extend(self.fresh.drain());
        self.sweeping.sort_unstable();
        let newest = self.sweeping.iter().map(|&(_, m)| m).max().unwrap_or(0);
        self.fresh_from = self.fresh_from.max(newest + 1);
    }

    /// The transaction did not commit: forgets what it changed.
    pub fn aborted(&mut self) {
        for print in self.staged.drain(..) {
            self.fresh.remove(&print);
        }
        self.swept_to = None;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use redb::{Database, ReadableDatabase, ReadableTable};

    use super::*;
    use crate::domain::MessageId;
    use crate::store::provider_ids::ProviderIndex;

    const PACE: Pace = Pace {
        generation: 4,
        chunk: 2,
    };

    fn db() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("t.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META)
            .unwrap()
            .insert(PENDING_FROM, 1)
            .unwrap();
        txn.open_table(PROVIDER_IDS).unwrap();
        txn.open_table(PROVIDER_PRINTS).unwrap();
        txn.commit().unwrap();
        (dir, db)
    }

    fn key(message: u64) -> String {
        format!("twilio:SM{message}")
    }

    /// Stores the keys of `messages` in one transaction, as the writer does, and commits
    /// it unless `abort`.
    fn write(db: &Database, recent: &RefCell<RecentPrints>, messages: &[u64], abort: bool) {
        let txn = db.begin_write().unwrap();
        {
            let mut index = ProviderIndex::open(&txn, Some(recent)).unwrap();
            for &m in messages {
                assert!(index.insert(&key(m), MessageId(m)).unwrap());
            }
        }
        txn.open_table(META)
            .unwrap()
            .insert("next_message", messages.iter().max().unwrap() + 1)
            .unwrap();
        recent.borrow_mut().sweep(&txn).unwrap();
        if abort {
            txn.abort().unwrap();
            recent.borrow_mut().aborted();
        } else {
            txn.commit().unwrap();
            recent.borrow_mut().committed();
        }
    }

    fn find(db: &Database, recent: &RefCell<RecentPrints>, message: u64) -> Option<u64> {
        let txn = db.begin_write().unwrap();
        let found = ProviderIndex::open(&txn, Some(recent))
            .unwrap()
            .find(&key(message))
            .unwrap();
        txn.abort().unwrap();
        found.map(|m| m.0)
    }

    fn load(db: &Database) -> RefCell<RecentPrints> {
        RefCell::new(RecentPrints::load(&db.begin_read().unwrap(), PACE).unwrap())
    }

    /// What the table holds, and where it says it may lack rows from.
    fn stored(db: &Database) -> (Vec<u64>, u64) {
        let txn = db.begin_read().unwrap();
        let mut messages: Vec<u64> = txn
            .open_table(PROVIDER_PRINTS)
            .unwrap()
            .iter()
            .unwrap()
            .map(|row| row.unwrap().0.value().1)
            .collect();
        messages.sort_unstable();
        let pending_from = txn.open_table(META).unwrap().get(PENDING_FROM).unwrap();
        (messages, pending_from.unwrap().value())
    }

    #[test]
    fn every_key_is_found_while_held_while_written_and_after() {
        let (_dir, db) = db();
        let recent = load(&db);
        for first in (1..=29).step_by(2) {
            write(&db, &recent, &[first, first + 1], false);
            for m in 1..=first + 1 {
                assert_eq!(find(&db, &recent, m), Some(m), "after {first}");
            }
            assert_eq!(find(&db, &recent, first + 2), None);
            // Below the mark, every row is in the table.
            let (table, pending_from) = stored(&db);
            let below: Vec<u64> = (1..pending_from).collect();
            assert!(
                below.iter().all(|m| table.contains(m)),
                "{table:?} {pending_from}"
            );
        }
        let (table, pending_from) = stored(&db);
        assert!(
            pending_from > 20,
            "generations were written: {pending_from}"
        );
        assert!(table.len() >= 20, "{table:?}");
        // A restart reads back what the table lacks.
        let reloaded = load(&db);
        for m in 1..=30 {
            assert_eq!(find(&db, &reloaded, m), Some(m));
        }
        assert_eq!(find(&db, &reloaded, 31), None);
    }

    #[test]
    fn an_aborted_transaction_is_forgotten_and_its_rows_written_again() {
        let (_dir, db) = db();
        let recent = load(&db);
        // Fills a generation, then starts writing it.
        write(&db, &recent, &[1, 2, 3, 4], false);
        write(&db, &recent, &[5], true);
        assert_eq!(find(&db, &recent, 5), None);
        assert_eq!(
            stored(&db),
            (vec![], 1),
            "the aborted rows are not in the table"
        );
        // The next transaction writes what the aborted one had: two rows of four.
        write(&db, &recent, &[5], false);
        assert_eq!(stored(&db).0.len(), 2);
        write(&db, &recent, &[6], false);
        assert_eq!(stored(&db), (vec![1, 2, 3, 4], 5));
        for m in 1..=6 {
            assert_eq!(find(&db, &recent, m), Some(m));
        }
    }

    #[test]
    fn a_key_whose_fingerprint_is_held_for_another_message_goes_to_the_table() {
        let (_dir, db) = db();
        let recent = load(&db);
        write(&db, &recent, &[1], false);
        let print = fingerprint(&key(1));
        assert!(
            !recent.borrow_mut().stage(print, 2),
            "the print is held already"
        );
        assert!(
            !recent.borrow_mut().stage(fingerprint("x"), 0),
            "an older message"
        );
        assert!(recent.borrow_mut().stage(fingerprint("x"), 2));
        recent.borrow_mut().aborted();
        assert_eq!(recent.borrow().candidates(fingerprint("x")).count(), 0);
    }
}
