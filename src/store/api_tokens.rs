//! API tokens: read-only access to the JSON API for integrations and the benchmark, acting as
//! their user. Stored by the SHA-256 of the token, like sessions.

use chrono::{DateTime, Utc};
use redb::{ReadTransaction, WriteTransaction};
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
