//! Notes on customers: one table of notes and an index by contact.

use redb::{ReadTransaction, WriteTransaction};

use super::codec::{get_json, next_id, put_json};
use super::{Change, NOTES, NOTES_BY_CONTACT, StoreError, record_change};
use crate::domain::{ContactId, Note, NoteId};

/// Stores `note` under a new id (the id it carries is ignored) and returns it as stored.
pub fn add_note(txn: &WriteTransaction, note: Note) -> Result<Note, StoreError> {
    let note = Note {
        id: NoteId(next_id(txn, "note")?),
        ..note
    };
    put_json(&mut txn.open_table(NOTES)?, note.id.0, &note)?;
    txn.open_multimap_table(NOTES_BY_CONTACT)?
        .insert(note.contact.0, note.id.0)?;
    record_change(txn, Change::Note(note.id))?;
    Ok(note)
}

/// Every note on a customer, newest first.
pub fn notes_of(txn: &ReadTransaction, contact: ContactId) -> Result<Vec<Note>, StoreError> {
    let table = txn.open_table(NOTES)?;
    let mut out: Vec<Note> = Vec::new();
    for id in txn.open_multimap_table(NOTES_BY_CONTACT)?.get(contact.0)? {
        if let Some(note) = get_json(&table, "notes", id?.value())? {
            out.push(note);
        }
    }
    // Ids grow with time; the id breaks ties between notes of the same instant.
    out.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
    Ok(out)
}

pub fn note(txn: &ReadTransaction, id: NoteId) -> Result<Option<Note>, StoreError> {
    get_json(&txn.open_table(NOTES)?, "notes", id.0)
}
