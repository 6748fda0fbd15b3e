//! The transaction a write runs in: redb's, and the in-memory index that commits or rolls
//! back with it.

use std::cell::{RefCell, RefMut};
use std::ops::Deref;

use redb::WriteTransaction;

use super::provider_ids::{ProviderIds, provider_key};
use super::{PROVIDER_IDS, StoreError};
use crate::domain::MessageId;

/// Dereferences to redb's transaction, so table code takes `&WriteTransaction` as before;
/// only code touching provider ids needs a `Txn`.
pub struct Txn<'a> {
    redb: &'a WriteTransaction,
    provider_ids: &'a RefCell<ProviderIds>,
}

impl<'a> Txn<'a> {
    /// The writer keeps or rolls back `provider_ids` with the outcome of `redb`.
    pub(crate) fn new(redb: &'a WriteTransaction, provider_ids: &'a RefCell<ProviderIds>) -> Self {
        Txn { redb, provider_ids }
    }

    /// The message a provider's message id was stored for.
    pub fn provider_message(
        &self,
        provider: &str,
        id: &str,
    ) -> Result<Option<MessageId>, StoreError> {
        let table = self.redb.open_table(PROVIDER_IDS)?;
        self.provider_ids
            .borrow()
            .find(&table, &provider_key(provider, id))
    }

    /// Stores a provider's message id for `message`; one already stored keeps its message.
    pub fn record_provider_id(
        &self,
        provider: &str,
        id: &str,
        message: MessageId,
    ) -> Result<bool, StoreError> {
        let mut table = self.redb.open_table(PROVIDER_IDS)?;
        self.provider_ids
            .borrow_mut()
            .insert(&mut table, &provider_key(provider, id), message)
    }

    /// The index itself, for a batch that looks up many ids with one open table.
    pub(super) fn provider_ids(&self) -> RefMut<'a, ProviderIds> {
        self.provider_ids.borrow_mut()
    }
}

impl Deref for Txn<'_> {
    type Target = WriteTransaction;

    fn deref(&self) -> &WriteTransaction {
        self.redb
    }
}
