//! The indexer against a real store and index in a temp dir.

use chrono::{TimeZone, Utc};
use tantivy::Term;

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
        reached: opened.reached,
    };
    catch_up_by(&mut state, &opened.search, 1).unwrap();
    // The contact and the two messages (no survey answers).
    assert_eq!(opened.search.num_docs(), 3);
    assert_eq!(opened.search.indexed_seq(), state.reached.seq);
    assert_eq!(
        state.reached.seq,
        store.read_blocking(crate::store::last_change_seq).unwrap()
    );
}

/// Texts from `from`, creating its contact on the first message; returns the contact's id.
async fn contact_texting(store: &Store, from: &'static str) -> u64 {
    let ingested = store
        .write(move |txn| {
            let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
            ingest_inbound(txn, &InboundSms::texted(from, "hello", at))
        })
        .await
        .unwrap();
    let Ingested::Stored { workitem, .. } = ingested else {
        panic!("duplicate");
    };
    workitem.contact.0
}

async fn rename(store: &Store, contact: u64, first: &'static str) {
    store
        .write(move |txn| {
            crate::store::set_contact_name(txn, crate::domain::ContactId(contact), first, "")
        })
        .await
        .unwrap()
        .unwrap();
}

/// Documents whose `field` holds `term`.
fn count(search: &SearchIndex, term: tantivy::Term) -> usize {
    let query = tantivy::query::TermQuery::new(term, tantivy::schema::IndexRecordOption::Basic);
    search
        .reader()
        .searcher()
        .search(&query, &tantivy::collector::Count)
        .unwrap()
}

fn caught_up(state: &mut State, search: &SearchIndex) {
    catch_up(state, search).unwrap();
}

#[tokio::test]
async fn contacts_new_to_the_index_are_marked_and_an_edited_contact_is_indexed_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _writer) = Store::open(&dir.path().join("parley.redb")).unwrap();
    let opened = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    assert_eq!(opened.reached.contacts, 0);
    let search = opened.search.clone();
    let mut state = State {
        writer: opened.writer,
        reached: opened.reached,
    };
    let first = contact_texting(&store, "+14155550101").await;
    caught_up(&mut state, &search);
    assert_eq!(state.reached.contacts, first);

    // Renamed, and a second contact created and renamed before the indexer looks again.
    rename(&store, first, "Zelda").await;
    let second = contact_texting(&store, "+14155550102").await;
    rename(&store, second, "Yorick").await;
    caught_up(&mut state, &search);
    assert_eq!(state.reached.contacts, second);
    let f = *search.fields();
    for (id, name) in [(first, "zelda"), (second, "yorick")] {
        let key = DocKind::Contact.key(id);
        assert_eq!(count(&search, key_term(&key, &f)), 1, "{key}");
        assert_eq!(count(&search, Term::from_field_text(f.text, name)), 1);
    }

    // The mark is in the commit: a new start does not take the next contact for one the
    // index holds, nor an edited one for a new one.
    drop(state);
    drop(search);
    let opened = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    assert_eq!(opened.rebuild, None);
    assert_eq!(opened.reached.contacts, second);
    let search = opened.search.clone();
    let mut state = State {
        writer: opened.writer,
        reached: opened.reached,
    };
    rename(&store, second, "Xavier").await;
    let third = contact_texting(&store, "+14155550103").await;
    caught_up(&mut state, &search);
    assert_eq!(state.reached.contacts, third);
    let key = DocKind::Contact.key(second);
    assert_eq!(count(&search, key_term(&key, &f)), 1);
    assert_eq!(count(&search, Term::from_field_text(f.text, "yorick")), 0);
    assert_eq!(count(&search, Term::from_field_text(f.text, "xavier")), 1);
    assert_eq!(
        count(&search, key_term(&DocKind::Contact.key(third), &f)),
        1
    );
}

#[tokio::test]
async fn an_index_committed_before_the_mark_takes_every_stored_contact_for_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _writer) = Store::open(&dir.path().join("parley.redb")).unwrap();
    let opened = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    let mut writer = opened.writer;
    let mut prepared = writer.prepare_commit().unwrap();
    prepared.set_payload(&format!(
        r#"{{"schema":{},"seq":0}}"#,
        crate::search::SCHEMA_VERSION
    ));
    prepared.commit().unwrap();
    drop(writer);
    let newest = contact_texting(&store, "+14155550101").await;
    let opened = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    assert_eq!(opened.rebuild, None);
    assert_eq!(opened.reached.contacts, newest);
}

/// Segments merged away leave the reader without a commit after the merge: the reader maps
/// every segment it holds, and the pages a merge read of a deleted segment would otherwise
/// stay in the server's memory until the next message.
#[tokio::test]
async fn the_reader_lets_go_of_segments_merged_away() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _writer) = Store::open(&dir.path().join("parley.redb")).unwrap();
    let opened = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    let search = opened.search.clone();
    let mut state = State {
        writer: opened.writer,
        reached: opened.reached,
    };
    // Merged only when asked below, so that no merge lands before the last commit.
    state
        .writer
        .set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
    for body in ["one apple", "two pears", "three plums"] {
        text(&store, body).await;
        caught_up(&mut state, &search);
    }
    let segments = || search.reader().searcher().segment_readers().len();
    assert!(segments() >= 3, "{} segments", segments());
    let ids = search.index().searchable_segment_ids().unwrap();
    state.writer.merge(&ids).wait().unwrap();
    crate::testing::until(Duration::from_secs(30), || {
        let n = segments();
        (n != 1).then(|| format!("the reader still holds {n} segments"))
    });
    assert_eq!(search.num_docs(), 3 + 1);
}
