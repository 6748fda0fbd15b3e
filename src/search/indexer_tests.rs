//! The indexer against a real store and index in a temp dir.

use chrono::{TimeZone, Utc};

use super::*;
use crate::domain::{EventKind, UserId, WorkitemId};
use crate::store::{InboundSms, Ingested, Store, ingest_inbound, route_step};

async fn text(store: &Store, body: &'static str) -> WorkitemId {
    let ingested = store
        .write(move |txn| {
            let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
            ingest_inbound(txn, &InboundSms::texted("+14155550101", body, at))
        })
        .await
        .unwrap();
    let Ingested::Stored { workitem, .. } = ingested else {
        panic!("duplicate");
    };
    workitem.id
}

#[tokio::test]
async fn a_message_reindexed_with_its_workitem_before_its_own_change_is_indexed_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _writer) = Store::open(&dir.path().join("parley.redb")).unwrap();
    let opened = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    let w = text(&store, "first apples").await;
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 5).unwrap();
    store
        .write(move |txn| route_step(txn, w, at, EventKind::Accepted { agent: UserId(7) }))
        .await
        .unwrap();
    assert_eq!(text(&store, "second bananas").await, w);

    // One change per snapshot: the workitem's reindex reads a snapshot that already holds
    // the second message, whose own change is read after it.
    let mut state = State {
        writer: opened.writer,
        seq: opened.seq,
    };
    catch_up_by(&mut state, &opened.search, 1).unwrap();
    // The contact and the two messages (no survey answers).
    assert_eq!(opened.search.num_docs(), 3);
    assert_eq!(opened.search.indexed_seq(), state.seq);
    assert_eq!(
        state.seq,
        store.read_blocking(crate::store::last_change_seq).unwrap()
    );
}
