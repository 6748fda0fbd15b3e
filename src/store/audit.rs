//! The audit log: append-only. Nothing here changes or removes an entry once written.

use chrono::{DateTime, Duration, Utc};
use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use super::codec::{decode, encode};
use super::{AUDIT_LOG, StoreError};
use crate::domain::{AuditEntry, AuditKind};

/// Appends `entry` after the last one.
pub fn append_audit(txn: &WriteTransaction, entry: &AuditEntry) -> Result<u64, StoreError> {
    let mut table = txn.open_table(AUDIT_LOG)?;
    let seq = table.last()?.map(|(k, _)| k.value() + 1).unwrap_or(1);
    table.insert(seq, encode(entry).as_slice())?;
    Ok(seq)
}

/// Which entries to show.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    /// The actor's user name, exactly (lower case).
    pub actor: Option<String>,
    pub kind: Option<AuditKind>,
}

impl AuditFilter {
    fn matches(&self, e: &AuditEntry) -> bool {
        self.from.is_none_or(|f| e.at >= f)
            && self.to.is_none_or(|t| e.at < t)
            && self.actor.as_ref().is_none_or(|a| e.actor_name == *a)
            && self.kind.is_none_or(|k| e.kind == k)
    }
}

/// Entries newest first, with the cursor for the next (older) page when there is one.
pub struct AuditPage {
    pub entries: Vec<(u64, AuditEntry)>,
    pub older: Option<u64>,
}

/// Up to `limit` entries matching `filter`, newest first, older than sequence `before`.
pub fn audit_entries(
    txn: &ReadTransaction,
    filter: &AuditFilter,
    before: Option<u64>,
    limit: usize,
) -> Result<AuditPage, StoreError> {
    let table = txn.open_table(AUDIT_LOG)?;
    let mut entries = Vec::new();
    let mut older = None;
    let range = table.range(..before.unwrap_or(u64::MAX))?;
    // Entries are appended in time order; an hour's slack covers a clock set back a little.
    let stop_before = filter.from.map(|f| f - Duration::hours(1));
    for row in range.rev() {
        let (k, v) = row?;
        let entry: AuditEntry = decode("audit_log", v.value())?;
        if stop_before.is_some_and(|s| entry.at < s) {
            break;
        }
        if !filter.matches(&entry) {
            continue;
        }
        if entries.len() == limit {
            older = entries.last().map(|(seq, _)| *seq);
            break;
        }
        entries.push((k.value(), entry));
    }
    Ok(AuditPage { entries, older })
}
