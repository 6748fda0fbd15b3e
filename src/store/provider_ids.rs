//! The provider-id index: `"{provider}:{id}"` → message, so a retried webhook stores one
//! message and a delivery report finds the message it is about.
//!
//! Two tables, so neither start-up nor memory grows with history:
//! - `PROVIDER_IDS`, keyed by (message id, key), holds each key whole. New rows append.
//! - `PROVIDER_PRINTS`, keyed by (64-bit fingerprint of the key, message id), finds the
//!   messages whose key has a fingerprint. Its rows are 16 bytes, so a new one rewrites a
//!   small leaf; a hit is confirmed against `PROVIDER_IDS`, so two keys sharing a
//!   fingerprint are told apart and no message is ever taken for a retry it is not.
//!
//! The newest fingerprints are held in memory, listed by message in
//! `PROVIDER_PRINTS_PENDING` for a start to read back, and reach `PROVIDER_PRINTS` in bulk
//! (see `recent_prints.rs`); a lookup asks the memory and `PROVIDER_PRINTS`.

use std::cell::RefCell;

use redb::{ReadableTable, ReadableTableMetadata as _, Table, WriteTransaction};

use super::StoreError;
use super::recent_prints::RecentPrints;
use super::tables::{PROVIDER_IDS, PROVIDER_PRINTS, PROVIDER_PRINTS_PENDING};
use crate::domain::MessageId;

/// (message id, provider key) → nothing.
pub type ProviderIdTable<'t> = Table<'t, (u64, &'static str), ()>;
/// (fingerprint, message id) → nothing.
pub type ProviderPrintTable<'t> = Table<'t, (u64, u64), ()>;

/// The key a provider's message id is stored under.
pub fn provider_key(provider: &str, id: &str) -> String {
    format!("{provider}:{id}")
}

/// FNV-1a: stable across builds and restarts, as a stored key must be.
pub fn fingerprint(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The tables, open in a write transaction, and the fingerprints held in memory (without
/// them, each row goes straight to the table).
pub struct ProviderIndex<'t> {
    ids: ProviderIdTable<'t>,
    prints: ProviderPrintTable<'t>,
    recent: Option<(&'t RefCell<RecentPrints>, ProviderPrintTable<'t>)>,
}

impl<'t> ProviderIndex<'t> {
    pub fn open(
        txn: &'t WriteTransaction,
        recent: Option<&'t RefCell<RecentPrints>>,
    ) -> Result<Self, StoreError> {
        Ok(ProviderIndex {
            ids: txn.open_table(PROVIDER_IDS)?,
            prints: txn.open_table(PROVIDER_PRINTS)?,
            recent: match recent {
                Some(recent) => Some((recent, txn.open_table(PROVIDER_PRINTS_PENDING)?)),
                None => None,
            },
        })
    }

    /// The message stored under `key`, if any.
    pub fn find(&self, key: &str) -> Result<Option<MessageId>, StoreError> {
        self.find_with(key, fingerprint(key))
    }

    /// Stores `key` for `message`; a key already stored keeps its first message. Returns
    /// whether it was new.
    pub fn insert(&mut self, key: &str, message: MessageId) -> Result<bool, StoreError> {
        self.insert_printed(key, fingerprint(key), message)
    }

    /// Stores `key` for `message` when [`find`](Self::find) has just not found it in this
    /// transaction, which saves looking it up twice.
    pub fn insert_new(&mut self, key: &str, message: MessageId) -> Result<(), StoreError> {
        self.add(key, fingerprint(key), message)
    }

    fn insert_printed(
        &mut self,
        key: &str,
        print: u64,
        message: MessageId,
    ) -> Result<bool, StoreError> {
        if self.find_with(key, print)?.is_some() {
            return Ok(false);
        }
        self.add(key, print, message)?;
        Ok(true)
    }

    fn find_with(&self, key: &str, print: u64) -> Result<Option<MessageId>, StoreError> {
        if let Some((recent, _)) = &self.recent {
            for message in recent.borrow().candidates(print) {
                if self.ids.get((message, key))?.is_some() {
                    return Ok(Some(MessageId(message)));
                }
            }
        }
        find_printed(&self.ids, &self.prints, key, print)
    }

    fn add(&mut self, key: &str, print: u64, message: MessageId) -> Result<(), StoreError> {
        self.ids.insert((message.0, key), ())?;
        if let Some((recent, pending)) = &mut self.recent
            && recent.borrow_mut().stage(print, message.0)
        {
            pending.insert((message.0, print), ())?;
        } else {
            self.prints.insert((print, message.0), ())?;
        }
        Ok(())
    }
}

fn find_printed(
    ids: &impl ReadableTable<(u64, &'static str), ()>,
    prints: &impl ReadableTable<(u64, u64), ()>,
    key: &str,
    print: u64,
) -> Result<Option<MessageId>, StoreError> {
    for row in prints.range((print, 0)..=(print, u64::MAX))? {
        let (_, message) = row?.0.value();
        if ids.get((message, key))?.is_some() {
            return Ok(Some(MessageId(message)));
        }
    }
    Ok(None)
}

/// Fills `PROVIDER_PRINTS` from `PROVIDER_IDS` (a store from before the fingerprint table),
/// in fingerprint order, so the rows append. Returns how many it wrote.
pub fn build_prints(txn: &WriteTransaction) -> Result<u64, StoreError> {
    let ids = txn.open_table(PROVIDER_IDS)?;
    let mut rows = Vec::with_capacity(ids.len()? as usize);
    for row in ids.iter()? {
        let (k, _) = row?;
        let (message, key) = k.value();
        rows.push((fingerprint(key), message));
    }
    rows.sort_unstable();
    rows.dedup();
    let mut prints = txn.open_table(PROVIDER_PRINTS)?;
    for row in &rows {
        prints.insert(row, ())?;
    }
    Ok(rows.len() as u64)
}

#[cfg(test)]
mod tests {
    use redb::{Database, ReadableDatabase};

    use super::*;

    fn db() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("t.redb")).unwrap();
        (dir, db)
    }

    /// Inserts each (key, message) with `print` as every key's fingerprint (or the real one)
    /// in one transaction and commits it.
    fn commit(db: &Database, print: Option<u64>, rows: &[(&str, u64)]) -> Vec<bool> {
        let txn = db.begin_write().unwrap();
        let fresh = {
            let mut index = ProviderIndex::open(&txn, None).unwrap();
            rows.iter()
                .map(|(k, m)| {
                    let p = print.unwrap_or_else(|| fingerprint(k));
                    index.insert_printed(k, p, MessageId(*m)).unwrap()
                })
                .collect()
        };
        txn.commit().unwrap();
        fresh
    }

    fn find(db: &Database, print: Option<u64>, key: &str) -> Option<u64> {
        let txn = db.begin_read().unwrap();
        let ids = txn.open_table(PROVIDER_IDS).unwrap();
        let prints = txn.open_table(PROVIDER_PRINTS).unwrap();
        let p = print.unwrap_or_else(|| fingerprint(key));
        find_printed(&ids, &prints, key, p).unwrap().map(|m| m.0)
    }

    #[test]
    fn finds_what_was_stored_and_keeps_the_first_message() {
        let (_dir, db) = db();
        let fresh = commit(&db, None, &[("twilio:SMa", 1), ("twilio:SMb", 2)]);
        assert_eq!(fresh, [true, true]);
        assert_eq!(commit(&db, None, &[("twilio:SMa", 3)]), [false]);
        assert_eq!(find(&db, None, "twilio:SMa"), Some(1));
        assert_eq!(find(&db, None, "twilio:SMb"), Some(2));
        assert_eq!(find(&db, None, "simulator:SMa"), None);
    }

    #[test]
    fn keys_sharing_a_fingerprint_are_told_apart() {
        let (_dir, db) = db();
        // Every key clashes.
        let fresh = commit(
            &db,
            Some(7),
            &[("p:a", 1), ("p:b", 2), ("p:c", 3), ("p:b", 4)],
        );
        assert_eq!(fresh, [true, true, true, false]);
        for (key, message) in [("p:a", Some(1)), ("p:b", Some(2)), ("p:c", Some(3))] {
            assert_eq!(find(&db, Some(7), key), message);
        }
        assert_eq!(find(&db, Some(7), "p:d"), None);
        // A second key of message 1, with the same fingerprint as its first.
        assert_eq!(commit(&db, Some(7), &[("p:e", 1)]), [true]);
        assert_eq!(find(&db, Some(7), "p:e"), Some(1));
        assert_eq!(find(&db, Some(7), "p:a"), Some(1));
    }

    #[test]
    fn an_aborted_transaction_leaves_nothing_behind() {
        let (_dir, db) = db();
        commit(&db, None, &[("p:a", 1)]);
        let txn = db.begin_write().unwrap();
        {
            let mut index = ProviderIndex::open(&txn, None).unwrap();
            assert!(index.insert("p:b", MessageId(3)).unwrap());
            assert_eq!(index.find("p:b").unwrap(), Some(MessageId(3)));
        }
        txn.abort().unwrap();
        assert_eq!(find(&db, None, "p:a"), Some(1));
        assert_eq!(find(&db, None, "p:b"), None);
        assert_eq!(commit(&db, None, &[("p:b", 5)]), [true]);
        assert_eq!(find(&db, None, "p:b"), Some(5));
    }

    #[test]
    fn the_fingerprint_table_is_built_from_the_ids_of_an_older_store() {
        let (_dir, db) = db();
        let keys: Vec<String> = (1..=500).map(|i| format!("twilio:SM{i:032x}")).collect();
        let txn = db.begin_write().unwrap();
        {
            let mut ids = txn.open_table(PROVIDER_IDS).unwrap();
            for (i, key) in keys.iter().enumerate() {
                ids.insert((i as u64 + 1, key.as_str()), ()).unwrap();
            }
        }
        assert_eq!(build_prints(&txn).unwrap(), 500);
        txn.commit().unwrap();
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(find(&db, None, key), Some(i as u64 + 1));
        }
        assert_eq!(find(&db, None, "twilio:SMnone"), None);
    }

    #[test]
    fn the_fingerprint_is_stable() {
        // Stored fingerprints must mean the same after an upgrade of Rust or of Parley.
        assert_eq!(fingerprint(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fingerprint("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
