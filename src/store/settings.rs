//! Site-wide settings an admin edits, one JSON record per setting: a setting never written
//! reads as its default, and a record gains fields with `#[serde(default)]`.

use redb::{ReadTransaction, WriteTransaction};

use super::codec::{decode, encode};
use super::{SETTINGS, StoreError};
use crate::domain::AwayReasons;

const AWAY_REASONS: &str = "away_reasons";

/// The away reasons agents pick from (empty, free text, until an admin sets them).
pub fn away_reasons(txn: &ReadTransaction) -> Result<AwayReasons, StoreError> {
    match txn.open_table(SETTINGS)?.get(AWAY_REASONS)? {
        Some(v) => decode("settings", v.value()),
        None => Ok(AwayReasons::default()),
    }
}

pub fn put_away_reasons(txn: &WriteTransaction, reasons: &AwayReasons) -> Result<(), StoreError> {
    txn.open_table(SETTINGS)?
        .insert(AWAY_REASONS, encode(reasons).as_slice())?;
    Ok(())
}
