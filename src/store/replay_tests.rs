//! The write-ahead log against the store: what a crash left in the log is applied once, a
//! durable commit holds the logged writes before it, and a store put back from an older copy
//! gets nothing from a log written after it.

use chrono::{TimeZone, Utc};
use redb::ReadableTableMetadata as _;

use super::logged::Logged;
use super::wal::Wal;
use super::*;
use crate::domain::{EventKind, UserId, Workitem, WorkitemId, WorkitemState};

fn sms(from: &str, sid: &str) -> InboundSms {
    let at = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap();
    InboundSms {
        provider_id: Some(sid.into()),
        ..InboundSms::texted(from, "hello", at)
    }
}

/// Messages and workitem 1 after opening (and so replaying) and stopping cleanly.
fn open_and_stop(path: &Path) -> (u64, Option<Workitem>) {
    let (store, writer) = Store::open(path).unwrap();
    let seen = store
        .read_blocking(|txn| {
            let messages = txn.open_table(MESSAGES)?.len()?;
            Ok((messages, workitem(txn, WorkitemId(1))?))
        })
        .unwrap();
    drop(store);
    writer.join().unwrap();
    seen
}

#[test]
fn what_the_log_holds_beyond_the_store_is_applied_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    // As a crash leaves it: the store (a new one, epoch 0) never made these durable, the
    // log did.
    let (mut wal, _) = Wal::open(&path.with_extension("wal"), 0).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 1).unwrap();
    let records = [
        Logged::Inbound(vec![
            sms("+14155550181", "SM1"),
            // A provider's retry inside the same batch.
            sms("+14155550181", "SM1"),
            sms("+14155550182", "SM2"),
            // No provider id: only the log's sequence keeps it from being stored twice.
            InboundSms {
                provider_id: None,
                ..sms("+14155550183", "")
            },
        ]),
        Logged::RouteStep {
            workitem: WorkitemId(1),
            at,
            kind: EventKind::Offered { agent: UserId(5) },
        },
    ];
    let encoded: Vec<Vec<u8>> = records.iter().map(|r| r.encode().unwrap()).collect();
    wal.append(&encoded).unwrap();
    drop(wal);

    let (messages, first) = open_and_stop(&path);
    assert_eq!(messages, 3);
    let first = first.expect("the replayed message opened workitem 1");
    assert_eq!(first.state, WorkitemState::Offered);
    assert_eq!(first.agent, Some(UserId(5)));

    // Opening again applies nothing twice.
    let (messages, _) = open_and_stop(&path);
    assert_eq!(messages, 3);
}

#[tokio::test]
async fn a_durable_write_holds_the_logged_writes_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    let (store, writer) = Store::open(&path).unwrap();
    let (ingested, _) = store
        .ingest(vec![sms("+14155550181", "SM1")])
        .await
        .unwrap();
    assert!(matches!(ingested[0], Ingested::Stored { .. }));
    let epoch = store.read(writer::stored_epoch).await.unwrap();
    let applied = store.read(writer::applied_position).await.unwrap();
    assert_eq!(applied, Some((epoch, 1)));
    // A plain write commits durably, and with it the position of the logged write before
    // it, which a start after a crash then skips; the log goes on in the same epoch.
    store.write(|_| Ok(())).await.unwrap();
    assert_eq!(store.read(writer::stored_epoch).await.unwrap(), epoch);
    assert_eq!(store.read(writer::applied_position).await.unwrap(), applied);
    drop(store);
    writer.join().unwrap();
    let (messages, _) = open_and_stop(&path);
    assert_eq!(messages, 1);
}

#[tokio::test]
async fn a_store_put_back_from_an_older_copy_gets_nothing_from_a_newer_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    let backup = dir.path().join("backup.redb");
    let (store, writer) = Store::open(&path).unwrap();
    store
        .ingest(vec![sms("+14155550181", "SM1")])
        .await
        .unwrap();
    // A durable copy of the store as it is now.
    store.write(|_| Ok(())).await.unwrap();
    std::fs::copy(&path, &backup).unwrap();
    store
        .ingest(vec![sms("+14155550182", "SM2")])
        .await
        .unwrap();
    drop(store);
    writer.join().unwrap();
    std::fs::copy(&backup, &path).unwrap();
    let (messages, _) = open_and_stop(&path);
    assert_eq!(messages, 1, "the log's newer message came back");
}

#[test]
fn a_store_half_made_by_a_crash_while_creating_it_is_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    // What a crash leaves while the first tables are written: not a store yet.
    std::fs::write(path.with_extension("redb.new"), [0xa5; 4096]).unwrap();
    let (messages, _) = open_and_stop(&path);
    assert_eq!(messages, 0);
    assert!(!path.with_extension("redb.new").exists());
}
