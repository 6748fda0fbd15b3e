//! The timeline's order, range and paging, and which details a contact may see, on a real
//! store in a temp dir.

use chrono::{DateTime, Duration, TimeZone, Utc};
use redb::{Database, ReadableDatabase};

use super::super::codec::{get_json, put_json};
use super::super::{
    InboundSms, Ingested, SURVEY_RESPONSES, Txn, WORKITEMS, WORKITEMS_BY_CONTACT, add_note,
    ingest_inbound, insert_past_reply, route_step,
};
use super::*;
use crate::domain::{Answer, EventKind, NoteId, SurveyId, SurveyResponse, UserId, WorkitemState};

const ALICE: UserId = UserId(7);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

fn hours(h: i64) -> DateTime<Utc> {
    t0() + Duration::hours(h)
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: Database,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("t.redb")).unwrap();
        super::super::init(&db).unwrap();
        Fixture { _dir: dir, db }
    }

    fn write<R>(&self, f: impl FnOnce(&Txn) -> R) -> R {
        let txn = self.db.begin_write().unwrap();
        let out = f(&Txn::new(&txn));
        txn.commit().unwrap();
        out
    }

    /// A customer's text at `at`; returns the workitem and contact it landed in.
    fn text(&self, from: &str, body: &str, at: DateTime<Utc>) -> (WorkitemId, ContactId) {
        let sms = InboundSms::texted(from, body, at);
        match self.write(|txn| ingest_inbound(txn, &sms).unwrap()) {
            Ingested::Stored { workitem, .. } => (workitem.id, workitem.contact),
            Ingested::Duplicate(_) => panic!("duplicate"),
        }
    }

    fn terminate(&self, w: WorkitemId, at: DateTime<Utc>) {
        self.write(|txn| {
            route_step(txn, w, at, EventKind::Accepted { agent: ALICE }).unwrap();
            route_step(
                txn,
                w,
                at,
                EventKind::Terminated {
                    agent: Some(ALICE),
                    wrap_up: None,
                },
            )
            .unwrap();
        });
    }

    fn note(&self, contact: ContactId, body: &str, at: DateTime<Utc>) -> NoteId {
        let note = Note {
            id: NoteId(0),
            contact,
            workitem: None,
            author: ALICE,
            author_name: "Alice".into(),
            body: body.into(),
            at,
        };
        self.write(|txn| add_note(txn, note).unwrap()).id
    }

    fn answers(&self, w: WorkitemId, at: DateTime<Utc>) {
        let response = SurveyResponse {
            survey: SurveyId(1),
            answers: [(1, Answer::Rating(4))].into_iter().collect(),
            updated_at: at,
            updated_by: ALICE,
        };
        self.write(|txn| {
            put_json(
                &mut txn.open_table(SURVEY_RESPONSES).unwrap(),
                w.0,
                &response,
            )
            .unwrap()
        });
    }

    fn page(&self, q: HistoryQuery) -> HistoryPage {
        history_page(&self.db.begin_read().unwrap(), q).unwrap()
    }

    fn detail(&self, contact: ContactId, kind: HistoryKind, id: u64) -> Option<HistoryDetail> {
        history_detail(&self.db.begin_read().unwrap(), contact, kind, id).unwrap()
    }
}

fn query(contact: ContactId) -> HistoryQuery {
    HistoryQuery {
        contact,
        since: None,
        offset: 0,
        limit: 50,
        notes: true,
    }
}

fn keys(page: &HistoryPage) -> Vec<(HistoryKind, u64)> {
    page.entries.iter().map(|e| (e.kind, e.id)).collect()
}

/// Two workitems, two notes (one at the same instant as the second workitem) and survey
/// answers for the first workitem, plus another customer's conversation.
struct Story {
    f: Fixture,
    contact: ContactId,
    first: WorkitemId,
    second: WorkitemId,
    early_note: NoteId,
    tied_note: NoteId,
}

fn story() -> Story {
    let f = Fixture::new();
    let (first, contact) = f.text("+14155550101", "Where is my parcel?", hours(0));
    f.terminate(first, hours(0) + Duration::minutes(5));
    let early_note = f.note(contact, "Parcel 1234", hours(1));
    let (second, again) = f.text("+14155550101", "Still waiting", hours(2));
    assert_eq!(again, contact);
    let tied_note = f.note(contact, "Called the courier", hours(2));
    f.answers(first, hours(3));
    let (_, other) = f.text("+14155550199", "Someone else", hours(2));
    assert_ne!(other, contact);
    Story {
        f,
        contact,
        first,
        second,
        early_note,
        tied_note,
    }
}

#[test]
fn the_timeline_is_newest_first_across_workitems_notes_and_answers() {
    let s = story();
    let page = s.f.page(query(s.contact));
    assert_eq!(page.total, 5);
    assert_eq!(
        keys(&page),
        [
            (HistoryKind::Survey, s.first.0),
            (HistoryKind::Workitem, s.second.0),
            (HistoryKind::Note, s.tied_note.0),
            (HistoryKind::Note, s.early_note.0),
            (HistoryKind::Workitem, s.first.0),
        ]
    );
    let HistoryItem::Workitem(w) = &page.entries[4].item else {
        panic!("a workitem");
    };
    assert_eq!(w.workitem.preview, "Where is my parcel?");
    assert_eq!(w.workitem.state, WorkitemState::Terminated);
    assert_eq!(w.started, Some(Direction::In));
    assert_eq!(w.messages, 1);
    assert_eq!(page.entries[0].at, hours(3));
}

#[test]
fn the_range_keeps_items_at_its_start_and_drops_older_ones() {
    let s = story();
    let since = |at| HistoryQuery {
        since: Some(at),
        ..query(s.contact)
    };
    // The early note is exactly at the boundary: inside. The first workitem is older.
    let page = s.f.page(since(hours(1)));
    assert_eq!(page.total, 4);
    assert_eq!(
        keys(&page).last(),
        Some(&(HistoryKind::Note, s.early_note.0))
    );
    // A second later the early note is outside too.
    let page = s.f.page(since(hours(1) + Duration::seconds(1)));
    assert_eq!(page.total, 3);
    assert!(!keys(&page).contains(&(HistoryKind::Note, s.early_note.0)));
    // After everything: nothing.
    assert_eq!(s.f.page(since(hours(4))).total, 0);

    let now = hours(25);
    assert_eq!(HistoryRange::Day.since(now), Some(hours(1)));
    assert_eq!(HistoryRange::All.since(now), None);
    assert_eq!(HistoryRange::parse("90d"), Some(HistoryRange::Quarter));
    assert_eq!(HistoryRange::parse("2d"), None);
}

#[test]
fn pages_cut_the_same_order_and_keep_the_total() {
    let s = story();
    let all = keys(&s.f.page(query(s.contact)));
    let mut paged = Vec::new();
    for offset in [0, 2, 4] {
        let page = s.f.page(HistoryQuery {
            offset,
            limit: 2,
            ..query(s.contact)
        });
        assert_eq!(page.total, 5);
        paged.extend(keys(&page));
    }
    assert_eq!(paged, all);
    let past_the_end = s.f.page(HistoryQuery {
        offset: 10,
        ..query(s.contact)
    });
    assert!(past_the_end.entries.is_empty());
}

#[test]
fn notes_are_left_out_for_users_who_may_not_read_them() {
    let s = story();
    let page = s.f.page(HistoryQuery {
        notes: false,
        ..query(s.contact)
    });
    assert_eq!(page.total, 3);
    assert!(page.entries.iter().all(|e| e.kind != HistoryKind::Note));
}

#[test]
fn details_belong_to_the_contact_only() {
    let s = story();
    let (theirs, other) = s.f.text("+14155550199", "More", hours(2));
    let their_note = s.f.note(other, "Not yours", hours(2));
    assert!(
        s.f.detail(s.contact, HistoryKind::Note, their_note.0)
            .is_none()
    );
    assert!(
        s.f.detail(s.contact, HistoryKind::Workitem, theirs.0)
            .is_none()
    );
    assert!(
        s.f.detail(s.contact, HistoryKind::Survey, theirs.0)
            .is_none()
    );
    assert!(
        s.f.detail(s.contact, HistoryKind::Survey, s.second.0)
            .is_none()
    );
    assert!(s.f.detail(s.contact, HistoryKind::Workitem, 999).is_none());
    match s.f.detail(s.contact, HistoryKind::Note, s.tied_note.0) {
        Some(HistoryDetail::Note(n)) => assert_eq!(n.body, "Called the courier"),
        other => panic!("{other:?}"),
    }
    match s.f.detail(s.contact, HistoryKind::Survey, s.first.0) {
        Some(HistoryDetail::Survey { response, .. }) => {
            assert_eq!(response.answers.get(&1), Some(&Answer::Rating(4)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_workitems_detail_is_its_transcript_oldest_first() {
    let f = Fixture::new();
    let (w, contact) = f.text("+14155550101", "Hi", hours(0));
    f.write(|txn| {
        insert_past_reply(
            txn,
            w,
            ALICE,
            "Hello, how can I help?",
            hours(0) + Duration::minutes(1),
        )
        .unwrap();
    });
    f.text("+14155550101", "My parcel", hours(0) + Duration::minutes(2));
    let Some(HistoryDetail::Workitem { messages, .. }) =
        f.detail(contact, HistoryKind::Workitem, w.0)
    else {
        panic!("a transcript");
    };
    let bodies: Vec<(&str, Direction)> = messages
        .iter()
        .map(|m| (m.body.as_str(), m.direction))
        .collect();
    assert_eq!(
        bodies,
        [
            ("Hi", Direction::In),
            ("Hello, how can I help?", Direction::Out),
            ("My parcel", Direction::In),
        ]
    );
}

#[test]
fn a_conversation_we_started_reads_as_outbound() {
    let f = Fixture::new();
    let (inbound, contact) = f.text("+14155550101", "Hi", hours(0));
    f.terminate(inbound, hours(0));
    // A campaign message: a workitem whose first message went out.
    let outbound = f.write(|txn| {
        let mut w: Workitem = {
            let table = txn.open_table(WORKITEMS).unwrap();
            get_json(&table, "workitems", inbound.0).unwrap().unwrap()
        };
        w.id = WorkitemId(500);
        w.created_at = hours(5);
        w.preview = "Your parcel is on its way".into();
        put_json(&mut txn.open_table(WORKITEMS).unwrap(), w.id.0, &w).unwrap();
        txn.open_multimap_table(WORKITEMS_BY_CONTACT)
            .unwrap()
            .insert(contact.0, w.id.0)
            .unwrap();
        insert_past_reply(txn, w.id, ALICE, "Your parcel is on its way", hours(5)).unwrap();
        w.id
    });
    let page = f.page(query(contact));
    let started: Vec<(u64, Option<Direction>)> = page
        .entries
        .iter()
        .map(|e| match &e.item {
            HistoryItem::Workitem(s) => (s.workitem.id.0, s.started),
            _ => panic!("only workitems"),
        })
        .collect();
    assert_eq!(
        started,
        [
            (outbound.0, Some(Direction::Out)),
            (inbound.0, Some(Direction::In))
        ]
    );
}
