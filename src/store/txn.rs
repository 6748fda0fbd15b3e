//! The transaction a write runs in: redb's, with the lookups of provider ids on top.

use std::cell::RefCell;
use std::ops::Deref;

use redb::WriteTransaction;

use super::StoreError;
use super::provider_ids::{ProviderIndex, provider_key};
use super::recent_prints::RecentPrints;
use crate::domain::MessageId;

/// Dereferences to redb's transaction, so table code takes `&WriteTransaction` as before;
/// only code touching provider ids needs a `Txn`.
pub struct Txn<'a> {
    redb: &'a WriteTransaction,
    recent: Option<&'a RefCell<RecentPrints>>,
}

impl<'a> Txn<'a> {
    /// A transaction whose provider ids go straight to their tables, for tests of the
    /// tables' code.
    #[cfg(test)]
    pub(crate) fn new(redb: &'a WriteTransaction) -> Self {
        Txn { redb, recent: None }
    }

    /// A transaction of the writer's, which holds the newest fingerprints in memory.
    pub(super) fn with_recent(
        redb: &'a WriteTransaction,
        recent: &'a RefCell<RecentPrints>,
    ) -> Self {
        Txn {
            redb,
            recent: Some(recent),
        }
    }

    /// The message a provider's message id was stored for.
    pub fn provider_message(
        &self,
        provider: &str,
        id: &str,
    ) -> Result<Option<MessageId>, StoreError> {
        ProviderIndex::open(self.redb, self.recent)?.find(&provider_key(provider, id))
    }

    /// Stores a provider's message id for `message`; one already stored keeps its message.
    pub fn record_provider_id(
        &self,
        provider: &str,
        id: &str,
        message: MessageId,
    ) -> Result<bool, StoreError> {
        ProviderIndex::open(self.redb, self.recent)?.insert(&provider_key(provider, id), message)
    }

    /// The index itself, for a batch that looks up many ids with its tables open once.
    pub(super) fn provider_index(&self) -> Result<ProviderIndex<'a>, StoreError> {
        ProviderIndex::open(self.redb, self.recent)
    }
}

impl Deref for Txn<'_> {
    type Target = WriteTransaction;

    fn deref(&self) -> &WriteTransaction {
        self.redb
    }
}
