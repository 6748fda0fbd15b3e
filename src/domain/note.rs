//! Notes agents write on a customer, shown to every agent who may read notes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ContactId, NoteId, UserId, WorkitemId};

/// The longest note, in characters (after trimming).
pub const MAX_NOTE_CHARS: usize = 5000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: NoteId,
    /// The customer the note is about; notes belong to the customer, not the conversation.
    pub contact: ContactId,
    /// The workitem the note was written in, when there was one.
    #[serde(default)]
    pub workitem: Option<WorkitemId>,
    pub author: UserId,
    /// The author's name when writing, so the note still reads right if the user is renamed.
    pub author_name: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

/// Why a note's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("Write something before saving the note.")]
    Empty,
    #[error("A note can be at most {MAX_NOTE_CHARS} characters; this one has {0}.")]
    TooLong(usize),
}

/// The text to store for a note: trimmed, 1 to [`MAX_NOTE_CHARS`] characters.
pub fn validate_note_body(body: &str) -> Result<String, NoteError> {
    let body = body.trim();
    let chars = body.chars().count();
    if chars == 0 {
        return Err(NoteError::Empty);
    }
    if chars > MAX_NOTE_CHARS {
        return Err(NoteError::TooLong(chars));
    }
    Ok(body.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_bodies_are_trimmed_and_bounded() {
        assert_eq!(validate_note_body("  hello \n"), Ok("hello".to_owned()));
        assert_eq!(validate_note_body(" \n\t "), Err(NoteError::Empty));
        let max = "é".repeat(MAX_NOTE_CHARS);
        assert_eq!(validate_note_body(&format!(" {max} ")), Ok(max.clone()));
        assert_eq!(
            validate_note_body(&format!("{max}x")),
            Err(NoteError::TooLong(MAX_NOTE_CHARS + 1))
        );
    }
}
