//! Reading history in time order, a chunk at a time, for exports that stream any range with
//! constant memory. Workitem and message ids are given in arrival order, so their times rise
//! with their ids; a range's first row is found by binary search over the ids, and a few
//! minutes of slack on each side cover rows whose ids and times crossed in concurrent writes
//! (callers filter on the exact range).

use chrono::{DateTime, Duration, Utc};
use redb::{ReadTransaction, ReadableTable};

use super::StoreError;
use super::codec::decode;
use super::tables::{MESSAGES, SURVEY_RESPONSES, WORKITEMS};
use crate::domain::{Message, SurveyResponse, Workitem, WorkitemId};

/// How far ids and times may cross: concurrent arrivals take their time before their id.
pub const ORDER_SLACK: Duration = Duration::minutes(5);

/// The first id of `table` whose row's time (`time_of`) is at or after `at - ORDER_SLACK`;
/// `None` when every row is older.
fn first_id_from<T: serde::de::DeserializeOwned>(
    txn: &ReadTransaction,
    table: redb::TableDefinition<u64, &[u8]>,
    name: &'static str,
    at: DateTime<Utc>,
    time_of: fn(&T) -> DateTime<Utc>,
) -> Result<Option<u64>, StoreError> {
    let table = txn.open_table(table)?;
    let at = at - ORDER_SLACK;
    let (Some(first), Some(last)) = (table.first()?, table.last()?) else {
        return Ok(None);
    };
    let (mut lo, mut hi) = (first.0.value(), last.0.value());
    let time_at = |key: u64| -> Result<Option<(u64, DateTime<Utc>)>, StoreError> {
        match table.range(key..)?.next() {
            Some(row) => {
                let (k, v) = row?;
                Ok(Some((k.value(), time_of(&decode::<T>(name, v.value())?))))
            }
            None => Ok(None),
        }
    };
    if time_at(hi)?.is_some_and(|(_, t)| t < at) {
        return Ok(None);
    }
    // The first key whose time is not before `at`, in [lo, hi].
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match time_at(mid)? {
            Some((key, t)) if t < at => lo = key + 1,
            _ => hi = mid,
        }
    }
    Ok(time_at(lo)?.map(|(key, _)| key))
}

/// Up to `limit` rows of `table` from id `start` on, with the id to go on from (`None`: the
/// end of the table, or past `until + ORDER_SLACK`).
fn chunk<T: serde::de::DeserializeOwned>(
    txn: &ReadTransaction,
    table: redb::TableDefinition<u64, &[u8]>,
    name: &'static str,
    start: u64,
    limit: usize,
    until: DateTime<Utc>,
    time_of: fn(&T) -> DateTime<Utc>,
) -> Result<(Vec<T>, Option<u64>), StoreError> {
    let table = txn.open_table(table)?;
    let mut rows = Vec::with_capacity(limit);
    for row in table.range(start..)? {
        let (k, v) = row?;
        if rows.len() == limit {
            return Ok((rows, Some(k.value())));
        }
        let value: T = decode(name, v.value())?;
        if time_of(&value) >= until + ORDER_SLACK {
            return Ok((rows, None));
        }
        rows.push(value);
    }
    Ok((rows, None))
}

fn created(w: &Workitem) -> DateTime<Utc> {
    w.created_at
}

fn sent_at(m: &Message) -> DateTime<Utc> {
    m.at
}

/// The first workitem id that may have started at or after `at`.
pub fn first_workitem_from(
    txn: &ReadTransaction,
    at: DateTime<Utc>,
) -> Result<Option<u64>, StoreError> {
    first_id_from(txn, WORKITEMS, "workitems", at, created)
}

/// Workitems from id `start` on, up to `limit`, stopping past those started before `until`.
pub fn workitems_chunk(
    txn: &ReadTransaction,
    start: u64,
    limit: usize,
    until: DateTime<Utc>,
) -> Result<(Vec<Workitem>, Option<u64>), StoreError> {
    chunk(txn, WORKITEMS, "workitems", start, limit, until, created)
}

/// The first message id that may have been sent or received at or after `at`.
pub fn first_message_from(
    txn: &ReadTransaction,
    at: DateTime<Utc>,
) -> Result<Option<u64>, StoreError> {
    first_id_from(txn, MESSAGES, "messages", at, sent_at)
}

/// Messages from id `start` on, up to `limit`, stopping past those before `until`.
pub fn messages_chunk(
    txn: &ReadTransaction,
    start: u64,
    limit: usize,
    until: DateTime<Utc>,
) -> Result<(Vec<Message>, Option<u64>), StoreError> {
    chunk(txn, MESSAGES, "messages", start, limit, until, sent_at)
}

/// The survey answers of the workitems in `ids`, where there are any.
pub fn survey_responses_of(
    txn: &ReadTransaction,
    ids: &[WorkitemId],
) -> Result<Vec<(WorkitemId, SurveyResponse)>, StoreError> {
    let table = txn.open_table(SURVEY_RESPONSES)?;
    let mut out = Vec::new();
    for id in ids {
        if let Some(v) = table.get(id.0)? {
            out.push((*id, decode("survey_responses", v.value())?));
        }
    }
    Ok(out)
}
