//! A contact's history: one timeline of every workitem, note and survey answer, newest first,
//! read a page at a time; and the detail of one of its items.
//!
//! Campaign messages are outbound messages inside workitems, so they show through their
//! workitem (started outbound when its first message went out).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use redb::ReadTransaction;

use super::codec::get_json;
use super::{
    NOTES, NOTES_BY_CONTACT, SURVEY_RESPONSES, StoreError, WORKITEMS, WORKITEMS_BY_CONTACT,
};
use crate::domain::{
    ContactId, Direction, Message, MessageId, Note, NoteId, Survey, SurveyId, SurveyResponse,
    UserId, Workitem, WorkitemId,
};

/// How far back the timeline goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryRange {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    All,
}

impl HistoryRange {
    /// Every range, in the order the drop-down offers them.
    pub const ALL: [HistoryRange; 6] = [
        HistoryRange::Day,
        HistoryRange::Week,
        HistoryRange::Month,
        HistoryRange::Quarter,
        HistoryRange::Year,
        HistoryRange::All,
    ];

    /// What an agent who never chose sees.
    pub const DEFAULT: HistoryRange = HistoryRange::Month;

    /// The value in URLs, forms and the stored preference.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryRange::Day => "24h",
            HistoryRange::Week => "7d",
            HistoryRange::Month => "30d",
            HistoryRange::Quarter => "90d",
            HistoryRange::Year => "1y",
            HistoryRange::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HistoryRange::Day => "Last 24 hours",
            HistoryRange::Week => "Last 7 days",
            HistoryRange::Month => "Last 30 days",
            HistoryRange::Quarter => "Last 90 days",
            HistoryRange::Year => "Last year",
            HistoryRange::All => "All time",
        }
    }

    pub fn parse(s: &str) -> Option<HistoryRange> {
        HistoryRange::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
    }

    fn length(self) -> Option<Duration> {
        match self {
            HistoryRange::Day => Some(Duration::hours(24)),
            HistoryRange::Week => Some(Duration::days(7)),
            HistoryRange::Month => Some(Duration::days(30)),
            HistoryRange::Quarter => Some(Duration::days(90)),
            HistoryRange::Year => Some(Duration::days(365)),
            HistoryRange::All => None,
        }
    }

    /// The earliest instant the timeline shows at `now` (`None`: no limit). An item exactly
    /// at this instant is inside the range.
    pub fn since(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.length().map(|d| now - d)
    }
}

/// What kind of thing a timeline item is; with its id it names the item in URLs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HistoryKind {
    /// Keyed by the workitem id.
    Workitem,
    /// Keyed by the note id.
    Note,
    /// A workitem's survey answers, keyed by the workitem id.
    Survey,
}

impl HistoryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryKind::Workitem => "workitem",
            HistoryKind::Note => "note",
            HistoryKind::Survey => "survey",
        }
    }

    pub fn parse(s: &str) -> Option<HistoryKind> {
        [
            HistoryKind::Workitem,
            HistoryKind::Note,
            HistoryKind::Survey,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A workitem as the timeline lists it, with the names it refers to.
#[derive(Clone, Debug)]
pub struct WorkitemSummary {
    pub workitem: Workitem,
    pub queue: Option<String>,
    pub campaign: Option<String>,
    pub agent: Option<String>,
    /// The direction of its first message: `Out` for a conversation we started.
    pub started: Option<Direction>,
    /// How many messages it holds.
    pub messages: u64,
}

/// One timeline item.
#[derive(Clone, Debug)]
pub enum HistoryItem {
    Workitem(WorkitemSummary),
    Note(Note),
    Survey {
        workitem: WorkitemId,
        response: SurveyResponse,
        /// The survey's name, if it still exists.
        survey_name: Option<String>,
        /// Who saved the answers.
        by: Option<String>,
    },
}

/// A timeline item with when it happened.
#[derive(Clone, Debug)]
pub struct HistoryEntry {
    pub kind: HistoryKind,
    pub id: u64,
    /// When the workitem started, the note was written or the answers were last saved.
    pub at: DateTime<Utc>,
    pub item: HistoryItem,
}

/// One page of a timeline.
#[derive(Clone, Debug)]
pub struct HistoryPage {
    /// Newest first.
    pub entries: Vec<HistoryEntry>,
    /// How many items the whole timeline (within the range) has.
    pub total: usize,
}

/// What to read of a contact's timeline.
#[derive(Clone, Copy, Debug)]
pub struct HistoryQuery {
    pub contact: ContactId,
    /// Items before this instant are left out.
    pub since: Option<DateTime<Utc>>,
    pub offset: usize,
    pub limit: usize,
    /// Notes show only to users who may read them.
    pub notes: bool,
}

/// A timeline item before its names are looked up: loaded for every item, kept for a page.
enum Raw {
    Workitem(Workitem),
    Note(Note),
    Survey(SurveyResponse),
}

/// One page of the contact's timeline, newest first (ties: workitem, note, survey answers,
/// then the higher id first), and the total count within the range.
pub fn history_page(txn: &ReadTransaction, q: HistoryQuery) -> Result<HistoryPage, StoreError> {
    let workitems = txn.open_table(WORKITEMS)?;
    let responses = txn.open_table(SURVEY_RESPONSES)?;
    let mut all: Vec<(DateTime<Utc>, HistoryKind, u64, Raw)> = Vec::new();
    for id in txn
        .open_multimap_table(WORKITEMS_BY_CONTACT)?
        .get(q.contact.0)?
    {
        let id = id?.value();
        let Some(w) = get_json::<Workitem>(&workitems, "workitems", id)? else {
            continue;
        };
        if let Some(r) = get_json::<SurveyResponse>(&responses, "survey_responses", id)? {
            all.push((r.updated_at, HistoryKind::Survey, id, Raw::Survey(r)));
        }
        all.push((w.created_at, HistoryKind::Workitem, id, Raw::Workitem(w)));
    }
    if q.notes {
        let notes = txn.open_table(NOTES)?;
        for id in txn
            .open_multimap_table(NOTES_BY_CONTACT)?
            .get(q.contact.0)?
        {
            let id = id?.value();
            if let Some(n) = get_json::<Note>(&notes, "notes", id)? {
                all.push((n.at, HistoryKind::Note, id, Raw::Note(n)));
            }
        }
    }
    if let Some(since) = q.since {
        all.retain(|(at, ..)| *at >= since);
    }
    all.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)));
    let total = all.len();
    let mut names = Names::default();
    let mut entries = Vec::new();
    for (at, kind, id, raw) in all.into_iter().skip(q.offset).take(q.limit) {
        let item = match raw {
            Raw::Workitem(w) => HistoryItem::Workitem(summary(txn, &mut names, w)?),
            Raw::Note(n) => HistoryItem::Note(n),
            Raw::Survey(response) => HistoryItem::Survey {
                workitem: WorkitemId(id),
                survey_name: names.survey(txn, response.survey)?,
                by: names.user(txn, response.updated_by)?,
                response,
            },
        };
        entries.push(HistoryEntry { kind, id, at, item });
    }
    Ok(HistoryPage { entries, total })
}

/// Names looked up once per page.
#[derive(Default)]
struct Names {
    users: HashMap<UserId, Option<String>>,
    surveys: HashMap<SurveyId, Option<String>>,
}

impl Names {
    fn user(&mut self, txn: &ReadTransaction, id: UserId) -> Result<Option<String>, StoreError> {
        if let Some(n) = self.users.get(&id) {
            return Ok(n.clone());
        }
        let name = super::user(txn, id)?.map(|u| u.display_name);
        self.users.insert(id, name.clone());
        Ok(name)
    }

    fn survey(
        &mut self,
        txn: &ReadTransaction,
        id: SurveyId,
    ) -> Result<Option<String>, StoreError> {
        if let Some(n) = self.surveys.get(&id) {
            return Ok(n.clone());
        }
        let name = super::survey(txn, id)?.map(|s| s.name);
        self.surveys.insert(id, name.clone());
        Ok(name)
    }
}

fn summary(
    txn: &ReadTransaction,
    names: &mut Names,
    w: Workitem,
) -> Result<WorkitemSummary, StoreError> {
    let mut ids = txn
        .open_multimap_table(super::MESSAGES_BY_WORKITEM)?
        .get(w.id.0)?;
    let messages = ids.len();
    // Message ids grow with time, and a multimap keeps its values sorted: the first is the
    // conversation's first message.
    let started = match ids.next() {
        Some(first) => super::message(txn, MessageId(first?.value()))?.map(|m| m.direction),
        None => None,
    };
    Ok(WorkitemSummary {
        queue: super::queue(txn, w.queue)?.map(|q| q.name),
        campaign: match w.campaign {
            Some(c) => super::campaign(txn, c)?.map(|c| c.name),
            None => None,
        },
        agent: match w.agent {
            Some(a) => names.user(txn, a)?,
            None => None,
        },
        started,
        messages,
        workitem: w,
    })
}

/// The detail of one timeline item.
#[derive(Clone, Debug)]
pub enum HistoryDetail {
    /// The whole transcript, oldest first, with the names of the agents who wrote.
    Workitem {
        workitem: Workitem,
        messages: Vec<Message>,
        agents: HashMap<UserId, String>,
    },
    Note(Note),
    Survey {
        response: SurveyResponse,
        /// The survey answered, if it still exists.
        survey: Option<Survey>,
        by: Option<String>,
    },
}

/// The detail of one item of the contact's timeline, or `None` when there is no such item
/// or it belongs to another contact.
pub fn history_detail(
    txn: &ReadTransaction,
    contact: ContactId,
    kind: HistoryKind,
    id: u64,
) -> Result<Option<HistoryDetail>, StoreError> {
    if kind == HistoryKind::Note {
        return Ok(super::note(txn, NoteId(id))?
            .filter(|n| n.contact == contact)
            .map(HistoryDetail::Note));
    }
    let Some(workitem) = super::workitem(txn, WorkitemId(id))?.filter(|w| w.contact == contact)
    else {
        return Ok(None);
    };
    let mut names = Names::default();
    if kind == HistoryKind::Survey {
        let Some(response) = super::survey_response(txn, workitem.id)? else {
            return Ok(None);
        };
        return Ok(Some(HistoryDetail::Survey {
            survey: super::survey(txn, response.survey)?,
            by: names.user(txn, response.updated_by)?,
            response,
        }));
    }
    let mut messages = super::messages_of(txn, workitem.id)?;
    messages.sort_by_key(|m| (m.at, m.id));
    let mut agents = HashMap::new();
    for a in messages.iter().filter_map(|m| m.agent) {
        if let Some(name) = names.user(txn, a)? {
            agents.insert(a, name);
        }
    }
    Ok(Some(HistoryDetail::Workitem {
        workitem,
        messages,
        agents,
    }))
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
