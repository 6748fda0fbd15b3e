//! A workitem's events: customer messages read from the messages, in order with the stored
//! events, on a real store in a temp dir.

use chrono::{DateTime, Duration, TimeZone, Utc};
use redb::{Database, ReadableDatabase};

use super::super::{InboundSms, Ingested, Txn, ingest_inbound};
use super::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

fn text(db: &Database, body: &str, at: DateTime<Utc>) -> (WorkitemId, MessageId) {
    let sms = InboundSms::texted("+14155550101", body, at);
    let txn = db.begin_write().unwrap();
    // Simulator texts carry no provider id, so the index stays empty.
    let Ingested::Stored {
        workitem, message, ..
    } = ingest_inbound(&Txn::new(&txn), &sms).unwrap()
    else {
        panic!("duplicate");
    };
    txn.commit().unwrap();
    (workitem.id, message.id)
}

#[test]
fn customer_messages_are_events_in_order_and_never_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::create(dir.path().join("t.redb")).unwrap();
    super::super::init(&db).unwrap();
    let (w, first) = text(&db, "hello", t0());
    // An older data dir also stored an event for each customer message.
    let txn = db.begin_write().unwrap();
    append_event(&txn, w, t0(), EventKind::MessageIn { message: first }).unwrap();
    txn.commit().unwrap();
    let later = t0() + Duration::seconds(5);
    let (same, stop) = text(&db, "STOP", later);
    assert_eq!(same, w);

    let events = events_of(&db.begin_read().unwrap(), w).unwrap();
    let kinds: Vec<&EventKind> = events.iter().map(|e| &e.kind).collect();
    assert!(matches!(kinds[0], EventKind::Queued { .. }), "{kinds:?}");
    assert_eq!(kinds[1], &EventKind::MessageIn { message: first });
    // The message comes before what it caused at the same instant.
    assert_eq!(kinds[2], &EventKind::MessageIn { message: stop });
    assert!(
        kinds[3..]
            .iter()
            .any(|k| matches!(k, EventKind::Keyword { word, .. } if word == "STOP")),
        "{kinds:?}"
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| matches!(k, EventKind::MessageIn { .. }))
            .count(),
        2,
        "{kinds:?}"
    );
    assert!(events.iter().all(|e| e.workitem == w));
    assert_eq!(events[1].id, None, "read from the message, not stored");
    assert!(events.windows(2).all(|p| p[0].at <= p[1].at));
}

#[test]
fn a_termination_stores_its_wrap_up_code_and_has_the_messages_reindexed() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::create(dir.path().join("t.redb")).unwrap();
    super::super::init(&db).unwrap();
    let (coded, _) = text(&db, "hello", t0());
    let step = |w: WorkitemId, kind: EventKind| {
        let seq = || super::super::last_change_seq(&db.begin_read().unwrap()).unwrap();
        let before = seq();
        let txn = db.begin_write().unwrap();
        let stepped = route_step(&txn, w, t0(), kind).unwrap().unwrap();
        txn.commit().unwrap();
        (stepped, seq() > before)
    };
    let agent = Some(UserId(7));
    let (w, reindexed) = step(
        coded,
        EventKind::Terminated {
            agent,
            wrap_up: Some("Sale".into()),
        },
    );
    assert_eq!((w.wrap_up.as_deref(), reindexed), (Some("Sale"), true));
    // Without a code nothing searchable changed.
    let (plain, _) = text(&db, "hi", t0() + Duration::seconds(1));
    assert_ne!(plain, coded);
    let (w, reindexed) = step(
        plain,
        EventKind::Terminated {
            agent,
            wrap_up: None,
        },
    );
    assert_eq!((w.wrap_up, reindexed), (None, false));
}
