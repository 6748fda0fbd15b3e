//! The index's fields. One document per searchable record: a message, a note, a workitem's
//! survey answers, a contact. The text itself is not stored in the index: hits are shown
//! from the store, the source of truth, so the index stays small.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

/// Bumped when the fields change; an index built with another version is rebuilt at start.
/// 2: `wrap_up`, the workitem's wrap-up code on its messages and survey answers.
pub const SCHEMA_VERSION: u32 = 2;

/// What a document is; stored as a number in `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    Message,
    Note,
    Survey,
    Contact,
}

impl DocKind {
    pub const ALL: [DocKind; 4] = [
        DocKind::Message,
        DocKind::Note,
        DocKind::Survey,
        DocKind::Contact,
    ];

    pub fn code(self) -> u64 {
        match self {
            DocKind::Message => 1,
            DocKind::Note => 2,
            DocKind::Survey => 3,
            DocKind::Contact => 4,
        }
    }

    pub fn from_code(code: u64) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The unique key of one record's document, used to replace it.
    pub fn key(self, id: u64) -> String {
        let prefix = match self {
            DocKind::Message => "m",
            DocKind::Note => "n",
            DocKind::Survey => "s",
            DocKind::Contact => "c",
        };
        format!("{prefix}{id}")
    }
}

/// Direction codes in the `direction` field (0 = not a message).
pub const DIRECTION_IN: u64 = 1;
pub const DIRECTION_OUT: u64 = 2;

/// Handles to every field.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    /// Replace key (`m12`, `n3`, ...): a record's new version deletes its old document.
    pub key: Field,
    pub kind: Field,
    /// The record's id within its kind (a survey's is its workitem's).
    pub id: Field,
    pub contact: Field,
    /// 0 for contacts and notes written outside a workitem.
    pub workitem: Field,
    /// Milliseconds since the epoch: range filters and newest-first order.
    pub at: Field,
    pub queue: Field,
    pub campaign: Field,
    pub agent: Field,
    pub direction: Field,
    /// The workitem's wrap-up code, lower-cased, as one untokenized term (absent: none).
    pub wrap_up: Field,
    pub text: Field,
}

impl Fields {
    pub fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let fields = Fields {
            key: b.add_text_field("key", STRING),
            kind: b.add_u64_field("kind", INDEXED | STORED),
            id: b.add_u64_field("id", STORED),
            contact: b.add_u64_field("contact", INDEXED | STORED),
            workitem: b.add_u64_field("workitem", INDEXED | STORED),
            at: b.add_i64_field("at", INDEXED | STORED | FAST),
            queue: b.add_u64_field("queue", INDEXED),
            campaign: b.add_u64_field("campaign", INDEXED),
            agent: b.add_u64_field("agent", INDEXED),
            direction: b.add_u64_field("direction", INDEXED | STORED),
            wrap_up: b.add_text_field("wrap_up", STRING),
            // English stemming: "refund" also finds "refunds" and "refunded".
            text: b.add_text_field(
                "text",
                TextOptions::default().set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer("en_stem")
                        .set_index_option(IndexRecordOption::WithFreqsAndPositions),
                ),
            ),
        };
        (b.build(), fields)
    }

    /// Looks the fields up in an opened index's schema; `None` when it is not ours.
    pub fn of(schema: &Schema) -> Option<Fields> {
        let f = |name: &str| schema.get_field(name).ok();
        Some(Fields {
            key: f("key")?,
            kind: f("kind")?,
            id: f("id")?,
            contact: f("contact")?,
            workitem: f("workitem")?,
            at: f("at")?,
            queue: f("queue")?,
            campaign: f("campaign")?,
            agent: f("agent")?,
            direction: f("direction")?,
            wrap_up: f("wrap_up")?,
            text: f("text")?,
        })
    }
}
