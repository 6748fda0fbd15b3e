//! API tokens: read-only access to the JSON API for integrations and the benchmark, acting as
//! their user. Stored by the SHA-256 of the token, like sessions.

use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::{API_TOKENS, StoreError};
use crate::domain::UserId;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ApiToken {
    pub user: UserId,
    /// What the token is for, so an admin can tell tokens apart.
    pub label: String,
    pub created_at: DateTime<Utc>,
}

pub fn put_api_token(
    txn: &WriteTransaction,
    token_hash: &str,
    token: &ApiToken,
) -> Result<(), StoreError> {
    txn.open_table(API_TOKENS)?
        .insert(token_hash, encode(token).as_slice())?;
    Ok(())
}

pub fn api_token(txn: &ReadTransaction, token_hash: &str) -> Result<Option<ApiToken>, StoreError> {
    match txn.open_table(API_TOKENS)?.get(token_hash)? {
        Some(v) => decode("api_tokens", v.value()).map(Some),
        None => Ok(None),
    }
}

/// Every token as `(hash, record)`, oldest first. The hash is only an opaque id for revoking:
/// the token itself is never stored.
pub fn all_api_tokens(txn: &ReadTransaction) -> Result<Vec<(String, ApiToken)>, StoreError> {
    let mut out = Vec::new();
    for row in txn.open_table(API_TOKENS)?.iter()? {
        let (k, v) = row?;
        out.push((k.value().to_owned(), decode("api_tokens", v.value())?));
    }
    out.sort_by(|a: &(String, ApiToken), b| {
        a.1.created_at.cmp(&b.1.created_at).then(a.0.cmp(&b.0))
    });
    Ok(out)
}

/// Revokes a token, returning what it was (`None`: no such token). Requests read the token
/// from the store each time, so it stops working with this commit.
pub fn delete_api_token(
    txn: &WriteTransaction,
    token_hash: &str,
) -> Result<Option<ApiToken>, StoreError> {
    match txn.open_table(API_TOKENS)?.remove(token_hash)? {
        Some(v) => decode("api_tokens", v.value()).map(Some),
        None => Ok(None),
    }
}
