//! Turns store records into index documents, for a change-log row or for a full rebuild.
//! Reads go through one set of opened tables per read transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use redb::{ReadOnlyMultimapTable, ReadOnlyTable, ReadTransaction, ReadableTable};
use tantivy::{TantivyDocument, Term};

use super::schema::{DIRECTION_IN, DIRECTION_OUT, DocKind, Fields};
use crate::domain::{
    Answer, Contact, Direction, Message, Note, SurveyResponse, Workitem, WorkitemId,
};
use crate::store::{
    CONTACTS, Change, MESSAGES, MESSAGES_BY_WORKITEM, NOTES, SURVEY_RESPONSES, StoreError,
    WORKITEMS, decode, get_json,
};

/// One record as the index sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexDoc {
    pub kind: DocKind,
    pub id: u64,
    pub contact: u64,
    pub workitem: u64,
    pub at: DateTime<Utc>,
    pub queue: u64,
    pub campaign: u64,
    pub agent: u64,
    pub direction: u64,
    /// The workitem's wrap-up code.
    pub wrap_up: Option<String>,
    pub text: String,
}

impl IndexDoc {
    pub fn key(&self) -> String {
        self.kind.key(self.id)
    }

    pub fn to_tantivy(&self, f: &Fields) -> TantivyDocument {
        let mut d = TantivyDocument::new();
        d.add_text(f.key, self.key());
        d.add_u64(f.kind, self.kind.code());
        d.add_u64(f.id, self.id);
        d.add_u64(f.contact, self.contact);
        d.add_u64(f.workitem, self.workitem);
        d.add_i64(f.at, self.at.timestamp_millis());
        d.add_u64(f.queue, self.queue);
        d.add_u64(f.campaign, self.campaign);
        d.add_u64(f.agent, self.agent);
        d.add_u64(f.direction, self.direction);
        if let Some(code) = &self.wrap_up {
            d.add_text(f.wrap_up, wrap_up_term(code));
        }
        d.add_text(f.text, &self.text);
        d
    }
}

/// What the indexer does with one record: index a new one, reindex one, or drop it when it
/// is gone.
#[derive(Debug)]
pub enum Update {
    /// A message just stored. What search sees of a message never changes afterwards, so the
    /// index cannot hold it yet, unless a workitem's reindex (which reads the newest snapshot)
    /// already put it there; the indexer keeps track of those.
    Add(IndexDoc),
    /// A record the index may hold already: its older copy is deleted first.
    Put(IndexDoc),
    Delete(String),
}

/// The term naming one document, for deleting its older copy.
pub fn key_term(key: &str, f: &Fields) -> Term {
    Term::from_field_text(f.key, key)
}

/// How a wrap-up code is indexed and looked up: codes differ by more than case.
pub fn wrap_up_term(code: &str) -> String {
    code.trim().to_lowercase()
}

/// The tags a workitem lends to its messages and answers.
#[derive(Clone, Debug, Default)]
struct Tags {
    contact: u64,
    queue: u64,
    campaign: u64,
    /// The agent who accepted it (0 until someone did).
    agent: u64,
    wrap_up: Option<String>,
}

impl Tags {
    fn of(w: &Workitem) -> Tags {
        Tags {
            contact: w.contact.0,
            queue: w.queue.0,
            campaign: w.campaign.map(|c| c.0).unwrap_or(0),
            agent: match w.accepted_at {
                Some(_) => w.agent.map(|a| a.0).unwrap_or(0),
                None => 0,
            },
            wrap_up: w.wrap_up.clone(),
        }
    }
}

/// Opened tables of one read transaction, with a cache of workitem tags (messages of one
/// conversation are read together).
pub struct Source {
    messages: ReadOnlyTable<u64, &'static [u8]>,
    by_workitem: ReadOnlyMultimapTable<u64, u64>,
    notes: ReadOnlyTable<u64, &'static [u8]>,
    surveys: ReadOnlyTable<u64, &'static [u8]>,
    contacts: ReadOnlyTable<u64, &'static [u8]>,
    tags: TagCache,
}

/// Workitem id → tags, read on first use. A `Source` reads one snapshot, so they never go
/// stale while it lives.
struct TagCache {
    workitems: ReadOnlyTable<u64, &'static [u8]>,
    cached: HashMap<u64, Tags>,
}

/// Bounds the tag cache during a rebuild over millions of messages.
const MAX_CACHED_TAGS: usize = 100_000;

impl TagCache {
    fn get(&mut self, workitem: u64) -> Result<Tags, StoreError> {
        if let Some(t) = self.cached.get(&workitem) {
            return Ok(t.clone());
        }
        let tags = get_json::<Workitem>(&self.workitems, "workitems", workitem)?
            .map(|w| Tags::of(&w))
            .unwrap_or_default();
        if self.cached.len() >= MAX_CACHED_TAGS {
            self.cached.clear();
        }
        self.cached.insert(workitem, tags.clone());
        Ok(tags)
    }

    fn message_doc(&mut self, m: &Message) -> Result<IndexDoc, StoreError> {
        let tags = self.get(m.workitem.0)?;
        Ok(IndexDoc {
            kind: DocKind::Message,
            id: m.id.0,
            contact: tags.contact,
            workitem: m.workitem.0,
            at: m.at,
            queue: tags.queue,
            campaign: tags.campaign,
            agent: m.agent.map(|a| a.0).unwrap_or(tags.agent),
            direction: match m.direction {
                Direction::In => DIRECTION_IN,
                Direction::Out => DIRECTION_OUT,
            },
            wrap_up: tags.wrap_up,
            text: m.body.clone(),
        })
    }

    fn note_doc(&mut self, n: &Note) -> Result<IndexDoc, StoreError> {
        let tags = match n.workitem {
            Some(w) => self.get(w.0)?,
            None => Tags::default(),
        };
        Ok(IndexDoc {
            kind: DocKind::Note,
            id: n.id.0,
            contact: n.contact.0,
            workitem: n.workitem.map(|w| w.0).unwrap_or(0),
            at: n.at,
            queue: tags.queue,
            campaign: tags.campaign,
            agent: n.author.0,
            direction: 0,
            // A workitem's notes are not reindexed when it ends, so none carries its code.
            wrap_up: None,
            text: n.body.clone(),
        })
    }

    fn survey_doc(&mut self, workitem: u64, r: &SurveyResponse) -> Result<IndexDoc, StoreError> {
        let tags = self.get(workitem)?;
        Ok(IndexDoc {
            kind: DocKind::Survey,
            id: workitem,
            contact: tags.contact,
            workitem,
            at: r.updated_at,
            queue: tags.queue,
            campaign: tags.campaign,
            agent: r.updated_by.0,
            direction: 0,
            wrap_up: tags.wrap_up,
            text: survey_text(r),
        })
    }
}

impl Source {
    pub fn open(txn: &ReadTransaction) -> Result<Source, StoreError> {
        Ok(Source {
            messages: txn.open_table(MESSAGES)?,
            by_workitem: txn.open_multimap_table(MESSAGES_BY_WORKITEM)?,
            notes: txn.open_table(NOTES)?,
            surveys: txn.open_table(SURVEY_RESPONSES)?,
            contacts: txn.open_table(CONTACTS)?,
            tags: TagCache {
                workitems: txn.open_table(WORKITEMS)?,
                cached: HashMap::new(),
            },
        })
    }

    /// The documents one change touches.
    pub fn updates(&mut self, change: Change, out: &mut Vec<Update>) -> Result<(), StoreError> {
        match change {
            Change::Message(id) => match get_json::<Message>(&self.messages, "messages", id.0)? {
                Some(m) => out.push(Update::Add(self.tags.message_doc(&m)?)),
                None => out.push(Update::Delete(DocKind::Message.key(id.0))),
            },
            Change::Note(id) => match get_json::<Note>(&self.notes, "notes", id.0)? {
                Some(n) => out.push(Update::Put(self.tags.note_doc(&n)?)),
                None => out.push(Update::Delete(DocKind::Note.key(id.0))),
            },
            Change::Survey(w) => out.push(self.survey_update(w)?),
            Change::Contact(id) => match get_json::<Contact>(&self.contacts, "contacts", id.0)? {
                Some(c) => out.push(Update::Put(contact_doc(&c))),
                None => out.push(Update::Delete(DocKind::Contact.key(id.0))),
            },
            Change::Workitem(w) => {
                for id in self.by_workitem.get(w.0)? {
                    let id = id?.value();
                    if let Some(m) = get_json::<Message>(&self.messages, "messages", id)? {
                        out.push(Update::Put(self.tags.message_doc(&m)?));
                    }
                }
                out.push(self.survey_update(w)?);
            }
        }
        Ok(())
    }

    /// How many records [`Source::all`] reads.
    pub fn count(&self) -> Result<u64, StoreError> {
        use redb::ReadableTableMetadata;
        Ok(self.contacts.len()? + self.notes.len()? + self.surveys.len()? + self.messages.len()?)
    }

    fn survey_update(&mut self, workitem: WorkitemId) -> Result<Update, StoreError> {
        match get_json::<SurveyResponse>(&self.surveys, "survey_responses", workitem.0)? {
            Some(r) => Ok(Update::Put(self.tags.survey_doc(workitem.0, &r)?)),
            None => Ok(Update::Delete(DocKind::Survey.key(workitem.0))),
        }
    }

    /// Every document in the store, for a rebuild: `each` gets them in batches, with how many
    /// records were read so far (see [`Source::count`]).
    pub fn all<E: From<StoreError>>(
        &mut self,
        mut each: impl FnMut(Vec<IndexDoc>, u64) -> Result<(), E>,
    ) -> Result<(), E> {
        const BATCH: usize = 10_000;
        let mut done = 0u64;
        let mut batch = Vec::with_capacity(BATCH);
        for row in self.contacts.iter().map_err(StoreError::from)? {
            let (_, v) = row.map_err(StoreError::from)?;
            batch.push(contact_doc(&decode::<Contact>("contacts", v.value())?));
        }
        for row in self.notes.iter().map_err(StoreError::from)? {
            let (_, v) = row.map_err(StoreError::from)?;
            batch.push(self.tags.note_doc(&decode::<Note>("notes", v.value())?)?);
        }
        for row in self.surveys.iter().map_err(StoreError::from)? {
            let (k, v) = row.map_err(StoreError::from)?;
            let r: SurveyResponse = decode("survey_responses", v.value())?;
            batch.push(self.tags.survey_doc(k.value(), &r)?);
        }
        done += batch.len() as u64;
        for row in self.messages.iter().map_err(StoreError::from)? {
            let (_, v) = row.map_err(StoreError::from)?;
            batch.push(
                self.tags
                    .message_doc(&decode::<Message>("messages", v.value())?)?,
            );
            done += 1;
            if batch.len() >= BATCH {
                each(
                    std::mem::replace(&mut batch, Vec::with_capacity(BATCH)),
                    done,
                )?;
            }
        }
        each(batch, done)
    }
}

/// The words of a survey response: what the agent typed or chose (yes/no and ratings carry
/// no words worth finding).
pub fn survey_text(r: &SurveyResponse) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for answer in r.answers.values() {
        match answer {
            Answer::Text(s) | Answer::Choice(s) => parts.push(s),
            Answer::Choices(v) => parts.extend(v.iter().map(String::as_str)),
            Answer::YesNo(_) | Answer::Rating(_) => {}
        }
    }
    parts.join("\n")
}

/// The words of a contact: names, numbers (also without `+`), email, ids, address, fields.
pub fn contact_text(c: &Contact) -> String {
    let mut parts: Vec<String> = vec![
        c.first_name.clone(),
        c.last_name.clone(),
        c.mobile.to_string(),
        c.email.clone(),
        c.customer_id.clone(),
        c.street.clone(),
        c.city.clone(),
        c.region.clone(),
        c.postal_code.clone(),
        c.country.clone(),
    ];
    parts.extend(c.case_numbers.iter().cloned());
    parts.extend(c.other_phones.iter().map(|p| p.to_string()));
    parts.extend(c.custom_fields.iter().map(|(_, v)| v.clone()));
    parts.retain(|p| !p.is_empty());
    parts.join("\n")
}

fn contact_doc(c: &Contact) -> IndexDoc {
    IndexDoc {
        kind: DocKind::Contact,
        id: c.id.0,
        contact: c.id.0,
        workitem: 0,
        at: c.created_at,
        queue: 0,
        campaign: 0,
        agent: 0,
        direction: 0,
        wrap_up: None,
        text: contact_text(c),
    }
}
