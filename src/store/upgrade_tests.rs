//! Opening a store written by an older schema upgrades it, and its provider ids are found.

use redb::ReadableTableMetadata;

use super::*;
use crate::domain::MessageId;

/// A store at `path` as schema `version` left it, with what `fill` writes.
fn older_store(path: &Path, version: u64, fill: impl FnOnce(&WriteTransaction)) {
    let db = Database::create(path).unwrap();
    let txn = db.begin_write().unwrap();
    txn.open_table(META)
        .unwrap()
        .insert("schema_version", version)
        .unwrap();
    fill(&txn);
    txn.commit().unwrap();
}

/// The messages stored under Twilio's ids SM1, SM2 and SM3.
async fn twilio_sm1_to_sm3(store: &Store) -> [Option<MessageId>; 3] {
    store
        .write(|txn| {
            Ok([
                txn.provider_message("twilio", "SM1")?,
                txn.provider_message("twilio", "SM2")?,
                txn.provider_message("twilio", "SM3")?,
            ])
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn schema_1_provider_ids_move_to_the_table_keyed_by_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    older_store(&path, 1, |txn| {
        let mut old = txn.open_table(PROVIDER_IDS_V1).unwrap();
        old.insert("twilio:SM2", 7).unwrap();
        old.insert("twilio:SM1", 9).unwrap();
    });
    let (store, _writer) = Store::open(&path).unwrap();
    assert_eq!(
        twilio_sm1_to_sm3(&store).await,
        [Some(MessageId(9)), Some(MessageId(7)), None]
    );
    store
        .read(|txn| {
            let version = txn
                .open_table(META)?
                .get("schema_version")?
                .map(|v| v.value());
            assert_eq!(version, Some(SCHEMA_VERSION));
            assert_eq!(txn.open_table(PROVIDER_IDS)?.len()?, 2);
            assert!(txn.open_table(PROVIDER_IDS_V1).is_err(), "old table kept");
            Ok(())
        })
        .await
        .unwrap();
}

/// Schema 3 kept the fingerprints in memory only: opening it builds their table.
#[tokio::test]
async fn schema_3_provider_ids_get_their_fingerprint_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    older_store(&path, 3, |txn| {
        let mut ids = txn.open_table(PROVIDER_IDS).unwrap();
        ids.insert((7, "twilio:SM2"), ()).unwrap();
        ids.insert((9, "twilio:SM1"), ()).unwrap();
    });
    let (store, _writer) = Store::open(&path).unwrap();
    assert_eq!(
        twilio_sm1_to_sm3(&store).await,
        [Some(MessageId(9)), Some(MessageId(7)), None]
    );
    let prints = store
        .read(|txn| Ok(txn.open_table(PROVIDER_PRINTS)?.len()?))
        .await
        .unwrap();
    assert_eq!(prints, 2);
}

/// Schema 4 wrote every fingerprint to its table: opening it marks them all as there,
/// and the ids stored after are found whether their fingerprints are in memory or not.
#[tokio::test]
async fn schema_4_fingerprints_are_all_in_their_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    older_store(&path, 4, |txn| {
        let mut meta = txn.open_table(META).unwrap();
        meta.insert("next_message", 10).unwrap();
        let mut index = provider_ids::ProviderIndex::open(txn, None).unwrap();
        index.insert("twilio:SM1", MessageId(9)).unwrap();
        index.insert("twilio:SM2", MessageId(7)).unwrap();
    });
    let (store, writer) = Store::open(&path).unwrap();
    let mark = store
        .read(|txn| Ok(txn.open_table(META)?.get(recent_prints::PENDING_FROM)?))
        .await
        .unwrap()
        .map(|v| v.value());
    assert_eq!(mark, Some(10));
    store
        .write(|txn| txn.record_provider_id("twilio", "SM3", MessageId(10)))
        .await
        .unwrap();
    assert_eq!(
        twilio_sm1_to_sm3(&store).await,
        [Some(MessageId(9)), Some(MessageId(7)), Some(MessageId(10))]
    );
    drop(store);
    tokio::task::spawn_blocking(move || writer.join().unwrap())
        .await
        .unwrap();
    // Started again: the clean stop wrote SM3's fingerprint, held in memory until then, to
    // its table and moved the mark past it.
    let (store, _writer) = Store::open(&path).unwrap();
    let table = || async {
        store
            .read(|txn| {
                let mark = txn.open_table(META)?.get(recent_prints::PENDING_FROM)?;
                Ok((
                    txn.open_table(PROVIDER_PRINTS)?.len()?,
                    mark.map(|v| v.value()),
                ))
            })
            .await
            .unwrap()
    };
    assert_eq!(table().await, (3, Some(11)));
    assert_eq!(
        twilio_sm1_to_sm3(&store).await,
        [Some(MessageId(9)), Some(MessageId(7)), Some(MessageId(10))]
    );
}

/// Schema 5 read the fingerprints its table lacked back from the ids: opening it lists them
/// by message, and a start reads them back from that list.
#[tokio::test]
async fn schema_5_pending_fingerprints_are_listed_by_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    older_store(&path, 5, |txn| {
        let mut meta = txn.open_table(META).unwrap();
        meta.insert("next_message", 10).unwrap();
        meta.insert(recent_prints::PENDING_FROM, 8).unwrap();
        let mut ids = txn.open_table(PROVIDER_IDS).unwrap();
        ids.insert((7, "twilio:SM2"), ()).unwrap();
        ids.insert((9, "twilio:SM1"), ()).unwrap();
        let print = provider_ids::fingerprint("twilio:SM2");
        txn.open_table(PROVIDER_PRINTS)
            .unwrap()
            .insert((print, 7), ())
            .unwrap();
    });
    let (store, _writer) = Store::open(&path).unwrap();
    let pending = store
        .read(|txn| {
            let rows = txn.open_table(PROVIDER_PRINTS_PENDING)?;
            let rows: Result<Vec<_>, _> = rows.iter()?.map(|r| r.map(|r| r.0.value())).collect();
            Ok(rows?)
        })
        .await
        .unwrap();
    assert_eq!(pending, [(9, provider_ids::fingerprint("twilio:SM1"))]);
    assert_eq!(
        twilio_sm1_to_sm3(&store).await,
        [Some(MessageId(9)), Some(MessageId(7)), None]
    );
    // (The ids name no stored message here; the fingerprints are what is checked.)
    let report = store.read_blocking(check::check_store).unwrap();
    let prints = |lines: &[String]| lines.iter().any(|l| l.starts_with("provider_id_prints"));
    assert!(prints(&report.passed), "{:?}", report.passed);
    assert!(!prints(&report.problems), "{:?}", report.problems);
}
