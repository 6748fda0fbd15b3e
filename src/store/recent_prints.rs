//! The fingerprints of the newest provider ids, held in memory and written to
//! `PROVIDER_PRINTS` a generation at a time, in fingerprint order.
//!
//! Written one by one, each new fingerprint lands on a random leaf of a table that grows
//! with history, so every message rewrote a 4 KiB page of it: at 20 million messages that
//! was most of what the ingest rate lost (see the README's design notes). Written in order,
//! a generation's rows share their leaves.
//!
//! Nothing is lost in a crash: each fingerprint held here is also appended, in the
//! transaction that stores its message, to `PROVIDER_PRINTS_PENDING` (keyed by message, 16
//! bytes a row), and the `meta` key [`PENDING_FROM`] names the first message whose
//! fingerprint may be missing from `PROVIDER_PRINTS`. Opening the store reads that table's
//! rows from there on back into memory, which bounds both the start and the memory by two
//! generations whatever the history; rows below the mark are deleted a slice at a time. A
//! clean stop writes whatever is held and moves the mark past it, so only a start after a
//! crash reads anything back.
//! (Read back from `PROVIDER_IDS`, whose rows hold each id whole, a start left about four
//! times as many pages in redb's cache.)

use std::collections::HashMap;

use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use super::StoreError;
use super::provider_ids::fingerprint;
use super::tables::{META, PROVIDER_IDS, PROVIDER_PRINTS, PROVIDER_PRINTS_PENDING};

/// The `meta` key: every provider id of a message below it has its row in `PROVIDER_PRINTS`.
pub const PENDING_FROM: &str = "provider_prints_pending_from";
/// How a generation is gathered and written.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    /// Fingerprints a generation gathers before it is written.
    pub generation: usize,
    /// Rows written per transaction, at least; a transaction that adds more writes twice
    /// as many, so a generation is written before the next one fills. As many rows below
    /// the mark are deleted from `PROVIDER_PRINTS_PENDING`.
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
    /// [`PENDING_FROM`] as stored, and whether `PROVIDER_PRINTS_PENDING` may hold rows below
    /// it; `trimmed` says the open transaction deleted the last of them.
    pending_from: u64,
    trimming: bool,
    trimmed: bool,
}

impl RecentPrints {
    /// Reads back what the table may lack: the fingerprints of every message from
    /// [`PENDING_FROM`] on. Each is written again (the same row, harmlessly) when they are.
    pub fn load(txn: &ReadTransaction, pace: Pace) -> Result<RecentPrints, StoreError> {
        let meta = txn.open_table(META)?;
        let next_message = meta.get("next_message")?.map_or(1, |v| v.value());
        let pending_from = meta.get(PENDING_FROM)?.map_or(next_message, |v| v.value());
        let mut sweeping = Vec::new();
        let mut last = 0;
        for row in txn
            .open_table(PROVIDER_PRINTS_PENDING)?
            .range((pending_from, 0)..)?
        {
            let (message, print) = row?.0.value();
            sweeping.push((print, message));
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
            pending_from,
            trimming: true,
            trimmed: false,
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
    /// moves [`PENDING_FROM`] to the generation being gathered. Deletes the next rows below
    /// it from `PROVIDER_PRINTS_PENDING`.
    pub fn sweep(&mut self, txn: &WriteTransaction) -> Result<(), StoreError> {
        if self.trimming {
            self.trimmed = trim(txn, self.pending_from, self.pace.chunk)?;
        }
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
        if std::mem::take(&mut self.trimmed) {
            self.trimming = false;
        }
        if let Some(to) = self.swept_to.take() {
            self.swept = to;
        }
        if self.swept == self.sweeping.len() {
            if !self.sweeping.is_empty() {
                self.pending_from = self.fresh_from;
                self.trimming = true;
            }
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

    /// At a clean stop: writes every fingerprint still held (what is left of the generation
    /// being swept and the one being gathered) in fingerprint order, and moves
    /// [`PENDING_FROM`] past them, so the next start reads none back. Returns the rows
    /// written and the new mark, for [`finished`](Self::finished) once `txn` commits.
    pub fn finish(&self, txn: &WriteTransaction) -> Result<(usize, u64), StoreError> {
        let mut rows = self.sweeping[self.swept..].to_vec();
        rows.extend(self.fresh.iter().map(|(&print, &message)| (print, message)));
        rows.sort_unstable();
        let mut prints = txn.open_table(PROVIDER_PRINTS)?;
        for row in &rows {
            prints.insert(row, ())?;
        }
        let mut meta = txn.open_table(META)?;
        // Messages below `fresh_from` that are not held had their rows written directly.
        let next_message = meta.get("next_message")?.map_or(1, |v| v.value());
        let newest = rows.iter().map(|&(_, message)| message + 1).max();
        let mark = next_message.max(self.fresh_from).max(newest.unwrap_or(0));
        meta.insert(PENDING_FROM, mark)?;
        Ok((rows.len(), mark))
    }

    /// [`finish`](Self::finish)'s transaction committed: nothing is held any more.
    pub fn finished(&mut self, mark: u64) {
        self.fresh.clear();
        self.sweeping.clear();
        self.swept = 0;
        self.fresh_from = mark;
        self.pending_from = mark;
        self.trimming = true;
    }

    /// The transaction did not commit: forgets what it changed.
    pub fn aborted(&mut self) {
        for print in self.staged.drain(..) {
            self.fresh.remove(&print);
        }
        self.swept_to = None;
        self.trimmed = false;
    }
}

/// Schema 5 → 6: lists the fingerprints of the messages from [`PENDING_FROM`] on, which a
/// start read back from `PROVIDER_IDS` until then. Returns how many.
pub fn list_pending(txn: &WriteTransaction) -> Result<u64, StoreError> {
    let pending_from = txn
        .open_table(META)?
        .get(PENDING_FROM)?
        .map_or(u64::MAX, |v| v.value());
    let ids = txn.open_table(PROVIDER_IDS)?;
    let mut pending = txn.open_table(PROVIDER_PRINTS_PENDING)?;
    let mut rows = 0;
    for row in ids.range((pending_from, "")..)? {
        let (k, _) = row?;
        let (message, key) = k.value();
        pending.insert((message, fingerprint(key)), ())?;
        rows += 1;
    }
    Ok(rows)
}

/// Deletes up to `most` rows below `pending_from` from `PROVIDER_PRINTS_PENDING`; says
/// whether none is left.
fn trim(txn: &WriteTransaction, pending_from: u64, most: usize) -> Result<bool, StoreError> {
    let mut pending = txn.open_table(PROVIDER_PRINTS_PENDING)?;
    for _ in 0..most {
        let first = pending.first()?.map(|(k, _)| k.value());
        match first {
            Some(row) if row.0 < pending_from => pending.remove(row)?,
            _ => return Ok(true),
        };
    }
    Ok(false)
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
        txn.open_table(PROVIDER_PRINTS_PENDING).unwrap();
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

    /// The messages `PROVIDER_PRINTS_PENDING` lists, each with its key's fingerprint.
    fn pending(db: &Database) -> Vec<u64> {
        let txn = db.begin_read().unwrap();
        let table = txn.open_table(PROVIDER_PRINTS_PENDING).unwrap();
        let rows = table.iter().unwrap().map(|row| row.unwrap().0.value());
        rows.map(|(message, print)| {
            assert_eq!(print, fingerprint(&key(message)));
            message
        })
        .collect()
    }

    #[test]
    fn rows_below_the_mark_leave_the_pending_list_a_slice_at_a_time() {
        let (_dir, db) = db();
        let recent = load(&db);
        // A generation fills, and two transactions write it to the table (two rows each).
        write(&db, &recent, &[1, 2, 3, 4], false);
        write(&db, &recent, &[5], false);
        assert_eq!(pending(&db), [1, 2, 3, 4, 5]);
        write(&db, &recent, &[6], false);
        assert_eq!(stored(&db), (vec![1, 2, 3, 4], 5));
        assert_eq!(pending(&db), [1, 2, 3, 4, 5, 6]);
        // Each transaction after deletes two rows below the mark; an aborted one none.
        write(&db, &recent, &[7], true);
        assert_eq!(pending(&db), [1, 2, 3, 4, 5, 6]);
        write(&db, &recent, &[7], false);
        assert_eq!(pending(&db), [3, 4, 5, 6, 7]);
        // A start reads back only what is at or above the mark.
        assert_eq!(load(&db).borrow().held(), 3);
        write(&db, &recent, &[8], false);
        assert_eq!(pending(&db), [5, 6, 7, 8]);
        write(&db, &recent, &[9], false);
        assert_eq!(pending(&db), [5, 6, 7, 8, 9]);
        for m in 1..=9 {
            assert_eq!(find(&db, &recent, m), Some(m));
            assert_eq!(find(&db, &load(&db), m), Some(m), "after a start");
        }
    }

    #[test]
    fn a_clean_stop_writes_what_is_held_and_the_next_start_reads_nothing_back() {
        let (_dir, db) = db();
        let recent = load(&db);
        // One generation being written (two rows of four so far), and one gathering.
        write(&db, &recent, &[1, 2, 3, 4], false);
        write(&db, &recent, &[5], false);
        write(&db, &recent, &[6], false);
        write(&db, &recent, &[7], false);
        assert!(recent.borrow().held() > 0);
        assert!(
            load(&db).borrow().held() > 0,
            "a start would read rows back"
        );

        let txn = db.begin_write().unwrap();
        let (rows, mark) = recent.borrow().finish(&txn).unwrap();
        txn.commit().unwrap();
        recent.borrow_mut().finished(mark);
        assert_eq!((rows, mark), (3, 8), "5, 6 and 7 were held, 1 to 4 written");
        assert_eq!(stored(&db), ((1..=7).collect(), 8));
        assert_eq!(recent.borrow().held(), 0);
        let reloaded = load(&db);
        assert_eq!(reloaded.borrow().held(), 0, "nothing read back");
        for m in 1..=7 {
            assert_eq!(find(&db, &reloaded, m), Some(m), "after a start");
        }
        // Writing goes on as before; the rows below the mark leave the pending list, two
        // per transaction.
        assert_eq!(pending(&db), [3, 4, 5, 6, 7]);
        write(&db, &recent, &[8], false);
        write(&db, &recent, &[9], false);
        for m in 1..=9 {
            assert_eq!(find(&db, &recent, m), Some(m));
        }
        assert_eq!(pending(&db), [7, 8, 9]);
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
