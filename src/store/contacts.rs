//! The mini CRM's writes and the contacts list: editing a contact keeps the mobile number
//! index (`CONTACTS_BY_PHONE`) in step, inside the same transaction.

use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use super::codec::{decode, get_json, next_id, put_json};
use super::*;
use crate::domain::{Contact, ContactId, ContactUpdate};

/// Why a contact was not saved although the store worked.
#[derive(Clone, Debug)]
pub enum ContactRefused {
    /// Another contact already has this mobile number (numbers identify customers).
    MobileTaken { other: Box<Contact> },
    /// The contact does not exist (any more).
    NotFound,
}

/// Replaces a contact's editable fields. The mobile's uniqueness is checked here, inside the
/// write transaction, so two agents saving the same number at once cannot both win; when the
/// mobile changes, the index drops the old number and gains the new one.
pub fn update_contact(
    txn: &WriteTransaction,
    id: ContactId,
    update: ContactUpdate,
) -> Result<Result<Contact, ContactRefused>, StoreError> {
    let mut contacts = txn.open_table(CONTACTS)?;
    let mut by_phone = txn.open_table(CONTACTS_BY_PHONE)?;
    let Some(mut contact): Option<Contact> = get_json(&contacts, "contacts", id.0)? else {
        return Ok(Err(ContactRefused::NotFound));
    };
    let owner = by_phone.get(update.mobile.as_str())?.map(|v| v.value());
    if let Some(other_id) = owner
        && other_id != id.0
        && let Some(other) = get_json::<Contact>(&contacts, "contacts", other_id)?
    {
        return Ok(Err(ContactRefused::MobileTaken {
            other: Box::new(other),
        }));
    }
    let old_mobile = contact.mobile.clone();
    update.apply(&mut contact);
    if old_mobile != contact.mobile {
        // Only drop the old key if it is ours: never unlink another contact's number.
        let old_owner = by_phone.get(old_mobile.as_str())?.map(|v| v.value());
        if old_owner == Some(id.0) {
            by_phone.remove(old_mobile.as_str())?;
        }
    }
    by_phone.insert(contact.mobile.as_str(), id.0)?;
    put_json(&mut contacts, id.0, &contact)?;
    record_change(txn, Change::Contact(id))?;
    Ok(Ok(contact))
}

/// Adds a contact from the contacts page; refused when the mobile already has one.
pub fn create_contact(
    txn: &WriteTransaction,
    update: ContactUpdate,
    now: DateTime<Utc>,
) -> Result<Result<Contact, ContactRefused>, StoreError> {
    let mut contacts = txn.open_table(CONTACTS)?;
    let mut by_phone = txn.open_table(CONTACTS_BY_PHONE)?;
    if let Some(other_id) = by_phone.get(update.mobile.as_str())?.map(|v| v.value())
        && let Some(other) = get_json::<Contact>(&contacts, "contacts", other_id)?
    {
        return Ok(Err(ContactRefused::MobileTaken {
            other: Box::new(other),
        }));
    }
    let contact = update.into_contact(ContactId(next_id(txn, "contact")?), now);
    by_phone.insert(contact.mobile.as_str(), contact.id.0)?;
    put_json(&mut contacts, contact.id.0, &contact)?;
    record_change(txn, Change::Contact(contact.id))?;
    Ok(Ok(contact))
}

/// Whether `contact` matches a lower-cased search text (case-insensitive substring).
fn matches(contact: &Contact, needle: &str) -> bool {
    needle.is_empty()
        || [
            format!("{} {}", contact.first_name, contact.last_name),
            contact.mobile.to_string(),
            contact.email.clone(),
            contact.customer_id.clone(),
        ]
        .iter()
        .any(|hay| hay.to_lowercase().contains(needle))
}

/// One page of contacts matching `query` (name, mobile, email or customer ID; any case),
/// newest first, and how many match in all.
///
/// This scans every contact, which is fine for thousands; full-text search over contacts
/// comes with the search index (tantivy), which will answer this instead.
pub fn search_contacts(
    txn: &ReadTransaction,
    query: &str,
    offset: usize,
    limit: usize,
) -> Result<(Vec<Contact>, usize), StoreError> {
    let needle = query.trim().to_lowercase();
    let mut page = Vec::new();
    let mut total = 0;
    for row in txn.open_table(CONTACTS)?.iter()?.rev() {
        let (_, value) = row?;
        let contact: Contact = decode("contacts", value.value())?;
        if !matches(&contact, &needle) {
            continue;
        }
        if total >= offset && page.len() < limit {
            page.push(contact);
        }
        total += 1;
    }
    Ok((page, total))
}
