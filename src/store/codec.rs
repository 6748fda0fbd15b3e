//! JSON values and id counters.

use redb::{ReadableTable, Table, WriteTransaction};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{META, StoreError};

/// Reads and decodes one JSON record.
pub fn get_json<T: DeserializeOwned>(
    table: &impl ReadableTable<u64, &'static [u8]>,
    name: &'static str,
    key: u64,
) -> Result<Option<T>, StoreError> {
    match table.get(key)? {
        Some(v) => decode(name, v.value()).map(Some),
        None => Ok(None),
    }
}

pub fn decode<T: DeserializeOwned>(name: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        table: name,
        detail: e.to_string(),
    })
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Our records are plain data (no maps with non-string keys), so this cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// Encodes and inserts one JSON record.
pub(crate) fn put_json<T: Serialize>(
    table: &mut Table<u64, &'static [u8]>,
    key: u64,
    value: &T,
) -> Result<(), StoreError> {
    table.insert(key, encode(value).as_slice())?;
    Ok(())
}

/// Allocates the next id of a kind (ids start at 1 and never repeat).
pub fn next_id(txn: &WriteTransaction, kind: &str) -> Result<u64, StoreError> {
    let mut meta = txn.open_table(META)?;
    let key = format!("next_{kind}");
    let id = meta.get(key.as_str())?.map(|v| v.value()).unwrap_or(1);
    meta.insert(key.as_str(), id + 1)?;
    Ok(id)
}

/// Reads every record of a table (small tables only: users, queues, campaigns).
pub fn all_json<T: DeserializeOwned>(
    table: &impl ReadableTable<u64, &'static [u8]>,
    name: &'static str,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for row in table.iter()? {
        let (_, v) = row?;
        out.push(decode(name, v.value())?);
    }
    Ok(out)
}
