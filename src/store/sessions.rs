//! Login sessions, stored by the SHA-256 of their token so a leaked database file holds no
//! usable session.

use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::{SESSIONS, StoreError};
use crate::domain::UserId;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    pub user: UserId,
    /// Sent with every state-changing request.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

pub fn put_session(
    txn: &WriteTransaction,
    token_hash: &str,
    session: &Session,
) -> Result<(), StoreError> {
    txn.open_table(SESSIONS)?
        .insert(token_hash, encode(session).as_slice())?;
    Ok(())
}

pub fn session(txn: &ReadTransaction, token_hash: &str) -> Result<Option<Session>, StoreError> {
    match txn.open_table(SESSIONS)?.get(token_hash)? {
        Some(v) => decode("sessions", v.value()).map(Some),
        None => Ok(None),
    }
}

pub fn delete_session(txn: &WriteTransaction, token_hash: &str) -> Result<(), StoreError> {
    txn.open_table(SESSIONS)?.remove(token_hash)?;
    Ok(())
}

/// Removes every session of a user (password change, disabling).
pub fn delete_sessions_of(txn: &WriteTransaction, user: UserId) -> Result<(), StoreError> {
    let mut table = txn.open_table(SESSIONS)?;
    let mut doomed = Vec::new();
    for row in table.iter()? {
        let (k, v) = row?;
        let s: Session = decode("sessions", v.value())?;
        if s.user == user {
            doomed.push(k.value().to_owned());
        }
    }
    for k in doomed {
        table.remove(k.as_str())?;
    }
    Ok(())
}

/// Whether any session is one `over` picks (given its token hash and the session).
pub fn any_session(
    txn: &ReadTransaction,
    over: impl Fn(&str, &Session) -> bool,
) -> Result<bool, StoreError> {
    for row in txn.open_table(SESSIONS)?.iter()? {
        let (k, v) = row?;
        if over(k.value(), &decode::<Session>("sessions", v.value())?) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Removes the sessions `over` picks; their token hashes.
pub fn expire_sessions(
    txn: &WriteTransaction,
    over: impl Fn(&str, &Session) -> bool,
) -> Result<Vec<String>, StoreError> {
    let mut table = txn.open_table(SESSIONS)?;
    let mut doomed = Vec::new();
    for row in table.iter()? {
        let (k, v) = row?;
        let s: Session = decode("sessions", v.value())?;
        if over(k.value(), &s) {
            doomed.push(k.value().to_owned());
        }
    }
    for k in &doomed {
        table.remove(k.as_str())?;
    }
    Ok(doomed)
}

/// Marks the sessions `hashes` as seen at `now` (those that still exist).
pub fn touch_sessions(
    txn: &WriteTransaction,
    hashes: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let mut table = txn.open_table(SESSIONS)?;
    for hash in hashes {
        let found: Option<Session> = match table.get(hash.as_str())? {
            Some(v) => Some(decode("sessions", v.value())?),
            None => None,
        };
        if let Some(mut s) = found {
            s.last_seen = now;
            table.insert(hash.as_str(), encode(&s).as_slice())?;
        }
    }
    Ok(())
}
