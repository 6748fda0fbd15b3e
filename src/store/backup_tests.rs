//! A backup is a whole store of its own: every table copied, a log epoch of its own.

use redb::ReadableTableMetadata as _;

use super::check_tests::store_with_messages;
use super::*;

/// A store in a new temp dir holding a few messages, open.
async fn open_with_messages() -> (tempfile::TempDir, Store, std::thread::JoinHandle<()>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    store_with_messages(&path).await;
    let (store, writer) = Store::open(&path).unwrap();
    (dir, store, writer)
}

#[tokio::test]
async fn a_backup_holds_every_row_and_opens_as_a_store() {
    let (dir, store, writer) = open_with_messages().await;
    let into = dir.path().to_owned();
    let taking = store.clone();
    let backup = tokio::task::spawn_blocking(move || taking.backup(&into))
        .await
        .unwrap()
        .unwrap();
    // Nothing is left in the data dir: the file was unlinked as soon as it was open.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains("backup")),
        "left behind: {names:?}"
    );
    let (rows, epoch) = store
        .read_blocking(|txn| Ok((check_store(txn)?.rows, writer::stored_epoch(txn)?)))
        .unwrap();
    drop(store);
    writer.join().unwrap();

    let copy = dir.path().join("copy.redb");
    let mut file = backup.file;
    std::io::copy(&mut file, &mut std::fs::File::create(&copy).unwrap()).unwrap();
    assert_eq!(std::fs::metadata(&copy).unwrap().len(), backup.bytes);
    let info = backup_info(&copy).unwrap();
    assert_eq!(
        (info.schema, info.messages, info.workitems),
        (SCHEMA_VERSION, 3, 2)
    );

    let (restored, writer) = Store::open(&copy).unwrap();
    let (report, copy_epoch, messages) = restored
        .read_blocking(|txn| {
            Ok((
                check_store(txn)?,
                writer::stored_epoch(txn)?,
                txn.open_table(MESSAGES)?.len()?,
            ))
        })
        .unwrap();
    drop(restored);
    writer.join().unwrap();
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!(report.rows, rows);
    assert_eq!(backup.rows, rows);
    assert_eq!(messages, 3);
    assert_ne!(copy_epoch, epoch, "the copy's log epoch is its own");
}

#[test]
fn a_file_that_is_not_a_store_is_no_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "not a database").unwrap();
    let refused = backup_info(&path).unwrap_err();
    assert!(refused.contains("is not a Parley backup"), "{refused}");
}

#[tokio::test]
async fn a_copy_committed_row_by_row_holds_every_row() {
    let (dir, store, writer) = open_with_messages().await;
    let copy = dir.path().join("copy.redb");
    let (taking, into) = (store.clone(), copy.clone());
    // A slice of one byte: every row (every key of a multimap) is a transaction of its own.
    let copied = tokio::task::spawn_blocking(move || {
        taking.backup_in_slices(&super::backup::create_new(&into)?, 1)
    })
    .await
    .unwrap()
    .unwrap();
    let rows = store
        .read_blocking(|txn| Ok(check_store(txn)?.rows))
        .unwrap();
    drop(store);
    writer.join().unwrap();
    assert_eq!(copied.rows, rows);
    assert_eq!(copied.bytes, std::fs::metadata(&copy).unwrap().len());

    let (restored, writer) = Store::open(&copy).unwrap();
    let report = restored.read_blocking(check_store).unwrap();
    drop(restored);
    writer.join().unwrap();
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!(report.rows, rows);
}

#[tokio::test]
async fn a_backup_is_never_written_over_a_file_that_holds_anything() {
    let (dir, store, writer) = open_with_messages().await;
    let kept = dir.path().join("kept.txt");
    std::fs::write(&kept, "an earlier file").unwrap();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&kept)
        .unwrap();
    let refused = store.backup_into(&file).unwrap_err();
    assert!(refused.to_string().contains("new, empty file"), "{refused}");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "an earlier file");
    drop(store);
    writer.join().unwrap();
}

/// The pages a writer rewrites while a backup's snapshot lives are reused as soon as no
/// snapshot can see them (the vendored redb's addition, vendor/README.md): the file grows by
/// about the pages the snapshot itself sees, not by every page written meanwhile, and the
/// snapshot still reads what it saw.
#[test]
fn a_long_snapshot_pins_only_the_pages_it_sees() {
    const ROWS: u64 = 20_000;
    const TABLE: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("rows");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pinned.redb");
    let db = Database::create(&path).unwrap();
    let write = |round: u64, keys: &mut dyn Iterator<Item = u64>, durable: bool| {
        let mut txn = db.begin_write().unwrap();
        if durable {
            txn.set_quick_repair(true);
        } else {
            txn.set_durability(redb::Durability::None).unwrap();
        }
        {
            let mut table = txn.open_table(TABLE).unwrap();
            for key in keys {
                table.insert(key, [round as u8; 100].as_slice()).unwrap();
            }
        }
        txn.commit().unwrap();
    };
    write(0, &mut (0..ROWS), true);
    // Settle: the rounds below rewrite the table over and over without a snapshot first, so
    // the file has the room a writer working this way needs.
    let rounds = |first: u64, count: u64| {
        for round in first..first + count {
            // Each round rewrites 200 rows spread over the table; every tenth is a checkpoint.
            let mut keys = (0..200).map(|i| (i * 97 + round * 31) % ROWS);
            write(round, &mut keys, round % 10 == 0);
        }
    };
    rounds(1, 400);
    let settled = std::fs::metadata(&path).unwrap().len();
    // The snapshot is taken between checkpoints, with pages written since the last one.
    rounds(401, 5);

    let snapshot = db.begin_read().unwrap();
    let seen: Vec<Vec<u8>> = {
        let table = snapshot.open_table(TABLE).unwrap();
        (0..ROWS)
            .map(|key| table.get(key).unwrap().unwrap().value().to_vec())
            .collect()
    };
    rounds(406, 400);
    let grown = std::fs::metadata(&path).unwrap().len() - settled;
    let table = snapshot.open_table(TABLE).unwrap();
    for key in 0..ROWS {
        assert_eq!(table.get(key).unwrap().unwrap().value(), seen[key as usize]);
    }
    // The table is about 2.4 MB of leaves; the rounds write about 400 × 200 leaf pages.
    assert!(
        grown < 16 << 20,
        "the file grew by {grown} bytes while a snapshot lived (settled at {settled})"
    );
}
