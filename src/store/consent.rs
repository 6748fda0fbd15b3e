//! The consent ledger: every change of a number's consent, kept for ever, and the number's
//! consent now. Every send path reads the latter inside its own transaction.

use redb::{MultimapTable, ReadTransaction, ReadableTable, Table, WriteTransaction};

use super::codec::{decode, encode, next_id};
use super::{CONSENT, CONSENT_BY_PHONE, CONSENT_LEDGER, StoreError};
use crate::domain::{Consent, ConsentEntry, E164};

/// The consent tables, opened once per transaction.
pub(super) struct ConsentTables<'t> {
    current: Table<'t, &'static str, &'static [u8]>,
    ledger: Table<'t, u64, &'static [u8]>,
    by_phone: MultimapTable<'t, &'static str, u64>,
}

impl<'t> ConsentTables<'t> {
    pub(super) fn open(txn: &'t WriteTransaction) -> Result<ConsentTables<'t>, StoreError> {
        Ok(ConsentTables {
            current: txn.open_table(CONSENT)?,
            ledger: txn.open_table(CONSENT_LEDGER)?,
            by_phone: txn.open_multimap_table(CONSENT_BY_PHONE)?,
        })
    }

    pub(super) fn get(&self, phone: &E164) -> Result<Option<Consent>, StoreError> {
        current_of(&self.current, phone)
    }

    /// Records `entry` under ledger id `id` when it changes the number's consent; returns
    /// whether it did (opting out a number already opted out changes nothing).
    pub(super) fn change(&mut self, id: u64, entry: &ConsentEntry) -> Result<bool, StoreError> {
        let now_out = self.get(&entry.phone)?.is_some_and(|c| c.opted_out);
        if now_out == entry.opted_out {
            return Ok(false);
        }
        self.ledger.insert(id, encode(entry).as_slice())?;
        self.by_phone.insert(entry.phone.as_str(), id)?;
        let consent = entry.consent();
        self.current
            .insert(entry.phone.as_str(), encode(&consent).as_slice())?;
        Ok(true)
    }
}

fn current_of(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    phone: &E164,
) -> Result<Option<Consent>, StoreError> {
    match table.get(phone.as_str())? {
        Some(v) => decode("consent", v.value()).map(Some),
        None => Ok(None),
    }
}

/// Records a consent change in its own write (agent, import, API, carrier); returns whether
/// it changed anything.
pub fn change_consent(txn: &WriteTransaction, entry: &ConsentEntry) -> Result<bool, StoreError> {
    let mut tables = ConsentTables::open(txn)?;
    let now_out = tables.get(&entry.phone)?.is_some_and(|c| c.opted_out);
    if now_out == entry.opted_out {
        return Ok(false);
    }
    let id = next_id(txn, "consent")?;
    tables.change(id, entry)
}

/// The number's consent now; `None` if it never changed (messages are welcome).
pub fn consent_of(txn: &ReadTransaction, phone: &E164) -> Result<Option<Consent>, StoreError> {
    current_of(&txn.open_table(CONSENT)?, phone)
}

/// Whether the number opted out, read inside a write (the check every send path makes).
pub fn opted_out_in(txn: &WriteTransaction, phone: &E164) -> Result<Option<Consent>, StoreError> {
    Ok(current_of(&txn.open_table(CONSENT)?, phone)?.filter(|c| c.opted_out))
}

/// Every change of one number's consent, oldest first.
pub fn consent_ledger(
    txn: &ReadTransaction,
    phone: &E164,
) -> Result<Vec<ConsentEntry>, StoreError> {
    let by_phone = txn.open_multimap_table(CONSENT_BY_PHONE)?;
    let ledger = txn.open_table(CONSENT_LEDGER)?;
    let mut out = Vec::new();
    for id in by_phone.get(phone.as_str())? {
        if let Some(v) = ledger.get(id?.value())? {
            out.push(decode("consent_ledger", v.value())?);
        }
    }
    Ok(out)
}

/// Every consent change of every number, oldest first (the CSV export).
pub fn consent_ledger_all(txn: &ReadTransaction) -> Result<Vec<ConsentEntry>, StoreError> {
    let mut out = Vec::new();
    for row in txn.open_table(CONSENT_LEDGER)?.iter()? {
        let (_, v) = row?;
        out.push(decode("consent_ledger", v.value())?);
    }
    Ok(out)
}
