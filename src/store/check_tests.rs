//! The list of tables, the check of a sound store, and a store whose index lost an entry.

use std::collections::BTreeSet;

use chrono::Utc;
use redb::{
    Database, MultimapTableDefinition, MultimapTableHandle as _, TableDefinition, TableHandle as _,
};

use super::tables::{TableVisitor, each_table};
use super::*;

/// The names [`each_table`] visits.
#[derive(Default)]
struct Names(BTreeSet<String>);

impl TableVisitor for Names {
    fn table<K: redb::Key + 'static, V: redb::Value + 'static>(
        &mut self,
        def: TableDefinition<'static, K, V>,
    ) -> Result<(), StoreError> {
        assert!(self.0.insert(def.name().to_owned()), "{} twice", def.name());
        Ok(())
    }

    fn multimap<K: redb::Key + 'static, V: redb::Key + 'static>(
        &mut self,
        def: MultimapTableDefinition<'static, K, V>,
    ) -> Result<(), StoreError> {
        assert!(self.0.insert(def.name().to_owned()), "{} twice", def.name());
        Ok(())
    }
}

/// A store with two conversations (three messages) behind it, stopped.
pub(super) async fn store_with_messages(path: &Path) {
    let (store, writer) = Store::open(path).unwrap();
    let now = Utc::now();
    store
        .ingest(vec![
            InboundSms::texted("+14155550181", "hello", now),
            InboundSms::texted("+14155550181", "are you there?", now),
            InboundSms::texted("+14155550182", "a refund please", now),
        ])
        .await
        .unwrap();
    drop(store);
    tokio::task::spawn_blocking(move || writer.join().unwrap())
        .await
        .unwrap();
}

fn check(path: &Path) -> CheckReport {
    let (store, writer) = Store::open(path).unwrap();
    let report = check_store(&store.snapshot().unwrap()).unwrap();
    drop(store);
    writer.join().unwrap();
    report
}

#[test]
fn every_table_of_a_new_store_is_in_the_one_list() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    let (store, writer) = Store::open(&path).unwrap();
    drop(store);
    writer.join().unwrap();
    let mut listed = Names::default();
    each_table(&mut listed).unwrap();
    let db = Database::open(&path).unwrap();
    let txn = db.begin_read().unwrap();
    let made: BTreeSet<String> = txn
        .list_tables()
        .unwrap()
        .map(|t| t.name().to_owned())
        .chain(
            txn.list_multimap_tables()
                .unwrap()
                .map(|t| t.name().to_owned()),
        )
        .collect();
    assert_eq!(listed.0, made);
}

#[tokio::test]
async fn a_sound_store_passes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    store_with_messages(&path).await;
    let report = tokio::task::spawn_blocking(move || check(&path))
        .await
        .unwrap();
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!(report.searchable.messages, 3);
    assert_eq!(report.searchable.contacts, 2);
    assert!(
        report
            .passed
            .iter()
            .any(|l| l.starts_with("messages_by_workitem agrees with messages (3 entries)")),
        "{:?}",
        report.passed
    );
}

#[tokio::test]
async fn an_index_entry_removed_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    store_with_messages(&path).await;
    {
        // Straight through redb, as damage would leave it.
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        assert!(
            txn.open_multimap_table(MESSAGES_BY_WORKITEM)
                .unwrap()
                .remove(1, 2)
                .unwrap()
        );
        txn.open_table(META)
            .unwrap()
            .insert("next_contact", 2)
            .unwrap();
        txn.commit().unwrap();
    }
    let report = tokio::task::spawn_blocking(move || check(&path))
        .await
        .unwrap();
    assert_eq!(
        report.problems,
        vec![
            "messages_by_workitem: 1 entries missing for rows of messages: workitem 1 → \
             message 2"
                .to_owned(),
            "meta: next_contact is 2, but contacts holds id 2".to_owned(),
        ]
    );
}

/// The newest fingerprints are in memory and listed by message, not in their table: the
/// check expects them there only below the mark the store keeps, and still names a row of
/// either that matches no provider id.
#[tokio::test]
async fn fingerprints_are_expected_in_their_table_only_below_the_mark() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    {
        let (store, writer) = Store::open(&path).unwrap();
        let texts = (1..=3).map(|i| InboundSms {
            provider_id: Some(format!("SM{i}")),
            ..InboundSms::texted("+14155550181", "hello", Utc::now())
        });
        store.ingest(texts.collect()).await.unwrap();
        drop(store);
        tokio::task::spawn_blocking(move || writer.join().unwrap())
            .await
            .unwrap();
    }
    let checked = path.clone();
    let report = tokio::task::spawn_blocking(move || check(&checked))
        .await
        .unwrap();
    assert_eq!(report.problems, Vec::<String>::new());
    // As a crash leaves them: none in the table yet, all pending from the first message.
    let edit = |mark: u64, extra: bool| {
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META)
            .unwrap()
            .insert(recent_prints::PENDING_FROM, mark)
            .unwrap();
        let mut prints = txn.open_table(PROVIDER_PRINTS).unwrap();
        prints.retain(|_, _| false).unwrap();
        if extra {
            prints.insert((7, 3), ()).unwrap();
            txn.open_table(PROVIDER_PRINTS_PENDING)
                .unwrap()
                .insert((5, 9), ())
                .unwrap();
        }
        drop(prints);
        txn.commit().unwrap();
    };
    edit(1, false);
    let checked = path.clone();
    let report = tokio::task::spawn_blocking(move || check(&checked))
        .await
        .unwrap();
    assert_eq!(report.problems, Vec::<String>::new());
    // Messages 1 and 2 below the mark lack their rows; one row of each table matches no id.
    edit(3, true);
    let report = tokio::task::spawn_blocking(move || check(&path))
        .await
        .unwrap();
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    assert!(
        report.problems[0].starts_with("provider_id_prints: 2 entries missing"),
        "{:?}",
        report.problems
    );
    for extra in ["fingerprint 7 → message 3", "fingerprint 9 → message 5"] {
        assert!(
            report.problems[1].contains(extra),
            "{extra}: {:?}",
            report.problems
        );
    }
}
