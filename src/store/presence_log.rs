//! Every change of an agent's state (Available, Away with its reason, Offline), by agent and
//! time, for reports of time in each state and occupancy.

use chrono::{DateTime, TimeZone, Utc};
use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use super::StoreError;
use super::codec::{decode, encode};
use super::tables::PRESENCE_LOG;
use crate::domain::{Presence, PresenceChange, UserId};

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub fn log_presence(txn: &WriteTransaction, change: &PresenceChange) -> Result<(), StoreError> {
    txn.open_table(PRESENCE_LOG)?.insert(
        (change.agent.0, micros(change.at)),
        encode(change).as_slice(),
    )?;
    Ok(())
}

/// `agent`'s changes from `from` (inclusive) to `to` (exclusive), oldest first, preceded by
/// the last change before `from` (the state the range starts in), if any.
pub fn presence_log(
    txn: &ReadTransaction,
    agent: UserId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<PresenceChange>, StoreError> {
    let table = txn.open_table(PRESENCE_LOG)?;
    let mut out = Vec::new();
    if let Some(row) = table
        .range((agent.0, i64::MIN)..(agent.0, micros(from)))?
        .next_back()
    {
        out.push(decode("presence_log", row?.1.value())?);
    }
    for row in table.range((agent.0, micros(from))..(agent.0, micros(to)))? {
        out.push(decode("presence_log", row?.1.value())?);
    }
    Ok(out)
}

/// After a restart nobody is connected: every agent whose last recorded state is not
/// Offline (with the work they still hold, `busy`) is recorded so at `now` (reason
/// "restart"), so no state runs on across the time the server was down.
pub fn close_presence_at_restart(
    txn: &WriteTransaction,
    agents: &[(UserId, bool)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let end = Utc
        .timestamp_micros(micros(now) + 1)
        .single()
        .unwrap_or(now);
    for &(agent, busy) in agents {
        let last: Option<PresenceChange> = {
            let table = txn.open_table(PRESENCE_LOG)?;
            let row = table
                .range((agent.0, i64::MIN)..(agent.0, micros(end)))?
                .next_back();
            match row {
                Some(r) => Some(decode("presence_log", r?.1.value())?),
                None => None,
            }
        };
        if last.is_some_and(|c| c.presence != Presence::Offline || c.busy != busy) {
            log_presence(
                txn,
                &PresenceChange {
                    agent,
                    at: now,
                    presence: Presence::Offline,
                    reason: Some("restart".into()),
                    busy,
                },
            )?;
        }
    }
    Ok(())
}
