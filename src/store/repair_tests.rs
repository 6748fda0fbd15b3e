//! A log record that passes its checksum but cannot be decoded: the open refuses it, naming
//! it; the repair sets it aside into a file, byte for byte, and applies the others.

use chrono::{TimeZone, Utc};
use redb::ReadableTableMetadata as _;

use super::logged::Logged;
use super::wal::Wal;
use super::*;

fn inbound(from: &str, sid: &str) -> Vec<u8> {
    let at = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap();
    Logged::Inbound(vec![InboundSms {
        provider_id: Some(sid.into()),
        ..InboundSms::texted(from, "hello", at)
    }])
    .encode()
    .unwrap()
}

fn messages(store: &Store) -> u64 {
    store
        .read_blocking(|txn| Ok(txn.open_table(MESSAGES)?.len()?))
        .unwrap()
}

#[test]
fn an_undecodable_record_refuses_the_open_and_the_repair_sets_it_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    // As a crash leaves it, on a new store (epoch 0): framed and checksummed like any record.
    let garbage = b"{\"NotAWrite\": [1, 2, 3]}".to_vec();
    assert!(Logged::decode(&garbage).is_err());
    let (mut wal, _) = Wal::open(&path.with_extension("wal"), 0).unwrap();
    wal.append(&[
        inbound("+14155550181", "SM1"),
        garbage.clone(),
        inbound("+14155550182", "SM2"),
    ])
    .unwrap();
    drop(wal);

    let refused = Store::open(&path).err().expect("the open is refused");
    assert!(
        matches!(
            refused,
            StoreError::UndecodableLogRecord {
                epoch: 0,
                seq: 2,
                ..
            }
        ),
        "{refused:?}"
    );
    let message = refused.to_string();
    assert!(message.contains("record 2 of epoch 0"), "{message}");
    assert!(message.contains("parley check --repair"), "{message}");

    let (store, writer, set_aside) = Store::open_repairing(&path).unwrap();
    let file = dir.path().join("parley.wal.set-aside.0.2");
    assert_eq!(set_aside.len(), 1);
    assert_eq!((set_aside[0].epoch, set_aside[0].seq), (0, 2));
    assert_eq!(set_aside[0].file, file);
    assert_eq!(std::fs::read(&file).unwrap(), garbage);
    assert_eq!(
        messages(&store),
        2,
        "the records on either side are applied"
    );
    drop(store);
    writer.join().unwrap();

    // The store is whole again: it opens without the repair, with nothing applied twice.
    let (store, writer) = Store::open(&path).unwrap();
    assert_eq!(messages(&store), 2);
    drop(store);
    writer.join().unwrap();
}
