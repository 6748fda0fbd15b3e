//! The change log the search index follows. Every write that changes searchable data appends
//! one row in its own transaction, keyed by a store sequence that only grows; the indexer reads
//! rows after the last sequence its index holds, so a crash between a store commit and an index
//! commit loses nothing: the rows are still here at the next start.

use redb::{ReadTransaction, ReadableTable, Table, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::{CHANGES, META, StoreError};
use crate::domain::{ContactId, MessageId, NoteId, WorkitemId};

/// The key in `META` holding the next sequence number.
pub(super) const NEXT_CHANGE: &str = "next_change";

/// One searchable record that was created or changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// A message was stored (recorded once: what search sees of it never changes).
    Message(MessageId),
    Note(NoteId),
    /// The survey answers of this workitem.
    Survey(WorkitemId),
    Contact(ContactId),
    /// The workitem's routing changed (e.g. accepted): its messages carry its agent.
    Workitem(WorkitemId),
}

/// Appends one change to the log inside `txn`.
pub fn record_change(txn: &WriteTransaction, change: Change) -> Result<u64, StoreError> {
    let mut meta = txn.open_table(META)?;
    let mut log = txn.open_table(CHANGES)?;
    let mut next = next_change_seq(&meta)?;
    append(&mut log, &mut next, change)?;
    meta.insert(NEXT_CHANGE, next)?;
    Ok(next - 1)
}

pub(super) fn next_change_seq(
    meta: &impl ReadableTable<&'static str, u64>,
) -> Result<u64, StoreError> {
    Ok(meta.get(NEXT_CHANGE)?.map(|v| v.value()).unwrap_or(1))
}

/// Appends with an already-open log and counter (the inbound batch path).
pub(super) fn append(
    log: &mut Table<u64, &'static [u8]>,
    next: &mut u64,
    change: Change,
) -> Result<(), StoreError> {
    log.insert(*next, encode(&change).as_slice())?;
    *next += 1;
    Ok(())
}

/// Up to `limit` changes after sequence `after`, oldest first.
pub fn changes_after(
    txn: &ReadTransaction,
    after: u64,
    limit: usize,
) -> Result<Vec<(u64, Change)>, StoreError> {
    let mut out = Vec::new();
    for row in txn.open_table(CHANGES)?.range(after.saturating_add(1)..)? {
        if out.len() >= limit {
            break;
        }
        let (seq, value) = row?;
        out.push((seq.value(), decode("changes", value.value())?));
    }
    Ok(out)
}

/// The newest sequence handed out so far (0 when none).
pub fn last_change_seq(txn: &ReadTransaction) -> Result<u64, StoreError> {
    Ok(next_change_seq(&txn.open_table(META)?)? - 1)
}

/// Forgets every change up to and including `seq` (the index holds them).
pub fn prune_changes(txn: &WriteTransaction, seq: u64) -> Result<(), StoreError> {
    txn.open_table(CHANGES)?.retain_in(..=seq, |_, _| false)?;
    Ok(())
}
