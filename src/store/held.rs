//! Provider messages kept aside because no conversation can hold them (see `HeldSms`).

use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use super::codec::{decode, encode};
use super::{HELD_SMS, StoreError};
use crate::domain::HeldSms;

/// Keeps `sms` unless the provider's retry of it is kept already; returns whether it is new.
pub fn hold_sms(txn: &WriteTransaction, sms: &HeldSms) -> Result<bool, StoreError> {
    let key = format!("{}:{}", sms.provider, sms.provider_id);
    let mut table = txn.open_table(HELD_SMS)?;
    if table.get(key.as_str())?.is_some() {
        return Ok(false);
    }
    table.insert(key.as_str(), encode(sms).as_slice())?;
    Ok(true)
}

/// How many are kept, and the newest `limit` of them, newest first. They are few (a site
/// gets them only from short codes and sender IDs), so all are read and sorted.
pub fn held_sms(txn: &ReadTransaction, limit: usize) -> Result<(usize, Vec<HeldSms>), StoreError> {
    let mut all = Vec::new();
    for row in txn.open_table(HELD_SMS)?.iter()? {
        all.push(decode::<HeldSms>("held_sms", row?.1.value())?);
    }
    all.sort_by_key(|h| std::cmp::Reverse(h.received_at));
    let total = all.len();
    all.truncate(limit);
    Ok((total, all))
}
