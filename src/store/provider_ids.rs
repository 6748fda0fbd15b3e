//! The provider-id index: `"{provider}:{id}"` → message, so a retried webhook stores one
//! message and a delivery report finds the message it is about.
//!
//! Providers' ids are random ("SM" and 32 hex digits), and a B-tree keyed by them rewrites one
//! leaf per message however the writes are batched. So the table is keyed by message id first,
//! where new rows append, and lookups go to a map of 64-bit fingerprints held in memory and
//! loaded at start. A fingerprint hit is confirmed against the table, so two ids that share a
//! fingerprint are told apart and no message is ever taken for a retry it is not.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use redb::{ReadableTable, Table};

use super::StoreError;
use crate::domain::MessageId;

/// The table: (message id, provider key) → nothing.
pub type ProviderIdTable<'t> = Table<'t, (u64, &'static str), ()>;

type Fingerprint = fn(&RandomState, &str) -> u64;

pub struct ProviderIds {
    seed: RandomState,
    fingerprint: Fingerprint,
    /// Fingerprint → the message of the first key that has it.
    first: HashMap<u64, u64>,
    /// Keys whose fingerprint an earlier key already holds: with a billion stored, a new key
    /// meets one of theirs about once in 18 billion.
    clashes: HashMap<String, u64>,
    /// What the open transaction added, to take back if it aborts.
    undo: Vec<Undo>,
}

enum Undo {
    First(u64),
    Clash(String),
}

impl Default for ProviderIds {
    fn default() -> Self {
        ProviderIds::with_fingerprint(|seed, key| seed.hash_one(key))
    }
}

/// The key a provider's message id is stored under.
pub fn provider_key(provider: &str, id: &str) -> String {
    format!("{provider}:{id}")
}

impl ProviderIds {
    fn with_fingerprint(fingerprint: Fingerprint) -> Self {
        ProviderIds {
            seed: RandomState::new(),
            fingerprint,
            first: HashMap::new(),
            clashes: HashMap::new(),
            undo: Vec::new(),
        }
    }

    /// Reads every stored key into memory.
    pub fn load(table: &impl ReadableTable<(u64, &'static str), ()>) -> Result<Self, StoreError> {
        Self::load_with(table, ProviderIds::default())
    }

    fn load_with(
        table: &impl ReadableTable<(u64, &'static str), ()>,
        mut ids: ProviderIds,
    ) -> Result<Self, StoreError> {
        ids.first.reserve(table.len()? as usize);
        for row in table.iter()? {
            let (key, _) = row?;
            let (message, key) = key.value();
            ids.remember(table, key, ids.print(key), message)?;
        }
        ids.undo.clear();
        Ok(ids)
    }

    /// How many fingerprints and clashing keys are held (a message's second key with the
    /// same fingerprint as its first is not counted).
    pub fn len(&self) -> usize {
        self.first.len() + self.clashes.len()
    }

    /// The message stored under `key`, if any.
    pub fn find(
        &self,
        table: &impl ReadableTable<(u64, &'static str), ()>,
        key: &str,
    ) -> Result<Option<MessageId>, StoreError> {
        self.find_printed(table, key, self.print(key))
    }

    fn print(&self, key: &str) -> u64 {
        (self.fingerprint)(&self.seed, key)
    }

    fn find_printed(
        &self,
        table: &impl ReadableTable<(u64, &'static str), ()>,
        key: &str,
        print: u64,
    ) -> Result<Option<MessageId>, StoreError> {
        if let Some(&message) = self.clashes.get(key) {
            return Ok(Some(MessageId(message)));
        }
        match self.first.get(&print) {
            Some(&message) if table.get((message, key))?.is_some() => Ok(Some(MessageId(message))),
            _ => Ok(None),
        }
    }

    /// Stores `key` for `message`; a key already stored keeps its first message. Returns
    /// whether it was new.
    pub fn insert(
        &mut self,
        table: &mut ProviderIdTable,
        key: &str,
        message: MessageId,
    ) -> Result<bool, StoreError> {
        let print = self.print(key);
        if self.find_printed(table, key, print)?.is_some() {
            return Ok(false);
        }
        table.insert((message.0, key), ())?;
        self.remember(table, key, print, message.0)?;
        Ok(true)
    }

    /// Adds a stored key to memory, unless `find` can already reach it.
    fn remember(
        &mut self,
        table: &impl ReadableTable<(u64, &'static str), ()>,
        key: &str,
        print: u64,
        message: u64,
    ) -> Result<(), StoreError> {
        match self.first.get(&print) {
            None => {
                self.first.insert(print, message);
                self.undo.push(Undo::First(print));
            }
            // `find` checks the holder's row, so a key of the holder's own message is found.
            Some(&holder) if holder == message || table.get((holder, key))?.is_some() => {}
            Some(_) if self.clashes.contains_key(key) => {}
            Some(_) => {
                self.clashes.insert(key.to_owned(), message);
                self.undo.push(Undo::Clash(key.to_owned()));
            }
        }
        Ok(())
    }

    /// The transaction committed: what it added stays.
    pub fn keep(&mut self) {
        self.undo.clear();
    }

    /// The transaction aborted: forget what it added.
    pub fn roll_back(&mut self) {
        for undo in self.undo.drain(..).rev() {
            match undo {
                Undo::First(print) => {
                    self.first.remove(&print);
                }
                Undo::Clash(key) => {
                    self.clashes.remove(&key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use redb::{Database, ReadableDatabase, TableDefinition};

    use super::*;

    const T: TableDefinition<(u64, &str), ()> = TableDefinition::new("t");

    fn db() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("t.redb")).unwrap();
        (dir, db)
    }

    /// Inserts each (key, message) in one transaction and commits it.
    fn commit(db: &Database, ids: &mut ProviderIds, rows: &[(&str, u64)]) -> Vec<bool> {
        let txn = db.begin_write().unwrap();
        let fresh = {
            let mut table = txn.open_table(T).unwrap();
            rows.iter()
                .map(|(k, m)| ids.insert(&mut table, k, MessageId(*m)).unwrap())
                .collect()
        };
        txn.commit().unwrap();
        ids.keep();
        fresh
    }

    fn find(db: &Database, ids: &ProviderIds, key: &str) -> Option<u64> {
        let txn = db.begin_read().unwrap();
        let table = txn.open_table(T).unwrap();
        ids.find(&table, key).unwrap().map(|m| m.0)
    }

    #[test]
    fn finds_what_was_stored_and_keeps_the_first_message() {
        let (_dir, db) = db();
        let mut ids = ProviderIds::default();
        let fresh = commit(&db, &mut ids, &[("twilio:SMa", 1), ("twilio:SMb", 2)]);
        assert_eq!(fresh, [true, true]);
        assert_eq!(commit(&db, &mut ids, &[("twilio:SMa", 3)]), [false]);
        assert_eq!(find(&db, &ids, "twilio:SMa"), Some(1));
        assert_eq!(find(&db, &ids, "twilio:SMb"), Some(2));
        assert_eq!(find(&db, &ids, "simulator:SMa"), None);
        assert_eq!(ids.len(), 2);
    }

    #[test]
    fn keys_sharing_a_fingerprint_are_told_apart_and_survive_a_reload() {
        let (_dir, db) = db();
        // Every key clashes.
        let mut ids = ProviderIds::with_fingerprint(|_, _| 7);
        let fresh = commit(
            &db,
            &mut ids,
            &[("p:a", 1), ("p:b", 2), ("p:c", 3), ("p:b", 4)],
        );
        assert_eq!(fresh, [true, true, true, false]);
        assert_eq!(find(&db, &ids, "p:a"), Some(1));
        assert_eq!(find(&db, &ids, "p:b"), Some(2));
        assert_eq!(find(&db, &ids, "p:c"), Some(3));
        assert_eq!(find(&db, &ids, "p:d"), None);
        // A second key of message 1 (which holds the fingerprint) is found through its row.
        assert_eq!(commit(&db, &mut ids, &[("p:e", 1)]), [true]);
        assert_eq!(find(&db, &ids, "p:e"), Some(1));
        assert_eq!(find(&db, &ids, "p:a"), Some(1));

        let txn = db.begin_read().unwrap();
        let table = txn.open_table(T).unwrap();
        let reloaded =
            ProviderIds::load_with(&table, ProviderIds::with_fingerprint(|_, _| 7)).unwrap();
        assert_eq!(reloaded.find(&table, "p:d").unwrap(), None);
        for (key, message) in [("p:a", 1), ("p:b", 2), ("p:c", 3), ("p:e", 1)] {
            assert_eq!(
                reloaded.find(&table, key).unwrap(),
                Some(MessageId(message))
            );
        }
    }

    #[test]
    fn an_aborted_transaction_leaves_nothing_behind() {
        let (_dir, db) = db();
        let mut ids = ProviderIds::with_fingerprint(|_, key| key.len() as u64);
        commit(&db, &mut ids, &[("p:a", 1)]);
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(T).unwrap();
            // A new fingerprint, and a clash with the committed key.
            assert!(ids.insert(&mut table, "p:long", MessageId(2)).unwrap());
            assert!(ids.insert(&mut table, "p:b", MessageId(3)).unwrap());
            assert_eq!(ids.find(&table, "p:b").unwrap(), Some(MessageId(3)));
        }
        txn.abort().unwrap();
        ids.roll_back();
        assert_eq!(ids.len(), 1);
        assert_eq!(find(&db, &ids, "p:a"), Some(1));
        assert_eq!(find(&db, &ids, "p:b"), None);
        assert_eq!(find(&db, &ids, "p:long"), None);
        // Both can be stored again afterwards.
        assert_eq!(
            commit(&db, &mut ids, &[("p:long", 4), ("p:b", 5)]),
            [true, true]
        );
        assert_eq!(find(&db, &ids, "p:b"), Some(5));
    }

    #[test]
    fn load_reads_every_row() {
        let (_dir, db) = db();
        let mut ids = ProviderIds::default();
        let rows: Vec<(String, u64)> = (1..=500)
            .map(|i| (format!("twilio:SM{i:032x}"), i))
            .collect();
        let refs: Vec<(&str, u64)> = rows.iter().map(|(k, m)| (k.as_str(), *m)).collect();
        commit(&db, &mut ids, &refs);
        let txn = db.begin_read().unwrap();
        let table = txn.open_table(T).unwrap();
        let reloaded = ProviderIds::load(&table).unwrap();
        assert_eq!(reloaded.len(), 500);
        for (key, message) in &refs {
            assert_eq!(
                reloaded.find(&table, key).unwrap(),
                Some(MessageId(*message))
            );
        }
    }
}
