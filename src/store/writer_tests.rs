//! The writer against a real store: batches that abort, a logged batch made durable
//! without a checkpoint, what a clean stop or a crash leaves for the next start, and an
//! idle store handing its page cache back.

use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTableMetadata as _};

use super::{job, stored_epoch};
use crate::domain::MessageId;
use crate::store::apply_thread::{Applier, Work};
use crate::store::logged::{Applied, Logged};
use crate::store::recent_prints::{PACE, RecentPrints};
use crate::store::wal::Wal;
use crate::store::writer_stats::Counters;
use crate::store::{InboundSms, Ingested, MESSAGES, Store, StoreError};

/// A new store, created as the server creates it, closed and opened again as a bare database.
fn new_store(path: &std::path::Path) -> Database {
    let (store, thread) = Store::open(path).unwrap();
    drop(store);
    thread.join().unwrap();
    Database::create(path).unwrap()
}

/// Runs an apply thread's loop over `work`, queued all at once, to its end; returns its
/// counters.
fn apply_all(db: &Database, recent: RecentPrints, work: Vec<Work>) -> Counters {
    let (queue, queued) = std::sync::mpsc::channel();
    work.into_iter().for_each(|w| queue.send(w).unwrap());
    drop(queue);
    let (counters, broken) = (
        Counters::default(),
        std::sync::atomic::AtomicBool::new(false),
    );
    let (answers, _) = std::sync::mpsc::channel();
    Applier::new(db, recent, &counters, None, &broken, answers)
        .run(&queued, &tokio::sync::Notify::new());
    counters
}

/// The writer's logged batch became durable without a checkpoint (redb makes a pending
/// commit durable when it closes, as after a failed final checkpoint): the next open must
/// not apply its records again. A message without a provider id would be stored twice.
#[test]
fn a_logged_batch_made_durable_without_a_checkpoint_is_not_applied_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    let db = Arc::new(new_store(&path));
    let read = db.begin_read().unwrap();
    let epoch = stored_epoch(&read).unwrap();
    let recent = RecentPrints::load(&read, PACE).unwrap();
    drop(read);
    let (mut wal, pending) = Wal::open(&path.with_extension("wal"), epoch).unwrap();
    assert!(pending.is_empty());
    let at = chrono::Utc::now();
    let write = Logged::Inbound(vec![InboundSms::texted("+14155550181", "hello", at)]);
    let record = write.encode().unwrap();
    wal.append(std::slice::from_ref(&record)).unwrap();
    let (job, _, answer) = job(Some(record), 1, move |txn| {
        write
            .apply(txn)
            .map(|applied| matches!(applied, Applied::Inbound(..)))
    });
    apply_all(
        &db,
        recent,
        vec![Work::Logged {
            jobs: vec![job],
            through: wal.position(),
        }],
    );
    assert!(answer.blocking_recv().unwrap().unwrap());
    // Durable now, in the same epoch.
    db.begin_write().unwrap().commit().unwrap();
    drop(db);

    let (store, thread) = Store::open(&path).unwrap();
    let messages = store
        .read_blocking(|txn| Ok(txn.open_table(MESSAGES)?.len()?))
        .unwrap();
    drop(store);
    thread.join().unwrap();
    assert_eq!(messages, 1);
}

/// A provider id stored by a batch that then aborts is not kept: the retry of that
/// message must be stored, not taken for a duplicate.
#[tokio::test]
async fn an_aborted_batch_takes_its_provider_ids_back() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _writer) = Store::open(&dir.path().join("t.redb")).unwrap();
    // Hold the writer in a batch of its own, so the next two writes share one.
    let (release, held) = std::sync::mpsc::channel::<()>();
    let (running, started) = std::sync::mpsc::channel::<()>();
    let blocker = store
        .submit(move |_| {
            running.send(()).ok();
            held.recv().ok();
            Ok(())
        })
        .unwrap();
    started.recv().unwrap();
    let stored = store
        .submit(|txn| txn.record_provider_id("twilio", "SM1", MessageId(1)))
        .unwrap();
    let failing = store
        .submit(|_| Err::<(), _>(StoreError::Redb("disk on fire".into())))
        .unwrap();
    release.send(()).unwrap();
    blocker.await.unwrap().unwrap();
    assert!(matches!(
        stored.await.unwrap(),
        Err(StoreError::BatchFailed(_))
    ));
    assert!(failing.await.unwrap().is_err());

    let again = store
        .write(|txn| {
            let before = txn.provider_message("twilio", "SM1")?;
            let fresh = txn.record_provider_id("twilio", "SM1", MessageId(2))?;
            Ok((before, fresh, txn.provider_message("twilio", "SM1")?))
        })
        .await
        .unwrap();
    assert_eq!(again, (None, true, Some(MessageId(2))));
}

/// A clean stop writes the fingerprints held in memory to their table: the next start reads
/// none back, and every provider id stored before is still known.
#[tokio::test]
async fn a_clean_stop_leaves_no_fingerprint_to_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.redb");
    let texts = |n: u64| InboundSms {
        provider: "twilio",
        provider_id: Some(format!("SM{n}")),
        ..InboundSms::texted("+14155550181", "hello", chrono::Utc::now())
    };
    // Through the write-ahead log, as webhooks are.
    async fn ingest(store: &Store, sms: InboundSms) -> Ingested {
        store.ingest(vec![sms]).await.unwrap().0.remove(0)
    }
    let (store, thread) = Store::open(&path).unwrap();
    for n in 1..=5 {
        let stored = ingest(&store, texts(n)).await;
        assert!(matches!(stored, Ingested::Stored { .. }));
    }
    drop(store);
    thread.join().unwrap();

    let db = Database::open(&path).unwrap();
    let held = RecentPrints::load(&db.begin_read().unwrap(), PACE)
        .unwrap()
        .held();
    assert_eq!(held, 0, "a start reads nothing back");
    drop(db);
    let (store, _thread) = Store::open(&path).unwrap();
    for n in 1..=5 {
        let again = ingest(&store, texts(n)).await;
        assert!(matches!(again, Ingested::Duplicate(_)), "SM{n}");
    }
    assert!(matches!(
        ingest(&store, texts(6)).await,
        Ingested::Stored { .. }
    ));
}

/// The apply thread gathers what queued up behind a transaction into the next one only up
/// to [`MAX_APPLIED`](super::MAX_APPLIED) messages: each caller is answered when its
/// transaction commits, so one transaction of everything queued held them all up together.
#[test]
fn a_transaction_gathers_a_bounded_number_of_messages() {
    let dir = tempfile::tempdir().unwrap();
    let db = new_store(&dir.path().join("parley.redb"));
    let recent = RecentPrints::load(&db.begin_read().unwrap(), PACE).unwrap();

    let (mut work, mut answers) = (Vec::new(), Vec::new());
    // Four logged batches of 100 messages each, queued behind one another...
    for seq in 1..=4 {
        let (job, _, answer) = job(Some(Vec::new()), 100, |_| Ok(()));
        answers.push(answer);
        work.push(Work::Logged {
            jobs: vec![job],
            through: (1, seq),
        });
    }
    // ... and 300 single writes.
    for _ in 0..300 {
        let (job, _, answer) = job(None, 1, |_| Ok(()));
        answers.push(answer);
        work.push(Work::Durable(vec![job]));
    }
    let counters = apply_all(&db, recent, work);
    for answer in answers {
        answer.blocking_recv().unwrap().unwrap();
    }
    let stats = counters.batch_stats();
    assert_eq!(stats.writes, 304);
    // 100 + 100 + 100 (the third tips it over 256), 100; then 256 and 44 single writes.
    assert_eq!(stats.commits, 4, "transactions: {stats:?}");
}

/// A logged write that shares a batch with a write that is not logged is still appended to
/// the log and answered from it; the other is committed durably before it, in order.
#[test]
fn a_logged_write_beside_a_durable_one_is_answered_from_the_log() {
    use crate::store::log_thread::Logger;
    use crate::store::writer::Request;

    let dir = tempfile::tempdir().unwrap();
    let (wal, pending) = Wal::open(&dir.path().join("t.wal"), 1).unwrap();
    assert!(pending.is_empty());
    // Both queued before the log thread looks: one batch.
    let (requests, requests_rx) = std::sync::mpsc::channel();
    let (durable, _, _durable_answer) = job(None, 1, |_| Ok(()));
    let (logged, mut receipt, _logged_answer) = job(Some(b"a record".to_vec()), 1, |_| Ok(()));
    requests.send(Request::Write(durable)).unwrap();
    requests.send(Request::Write(logged)).unwrap();
    drop(requests);
    let (work, work_rx) = std::sync::mpsc::channel();
    // No apply thread answers: the closing checkpoint is asked for, not waited on.
    let (answers, answers_rx) = std::sync::mpsc::channel();
    drop(answers);
    let (counters, broken) = (
        Counters::default(),
        std::sync::atomic::AtomicBool::new(false),
    );
    Logger::new(
        wal,
        std::time::Duration::from_secs(60),
        &counters,
        work,
        answers_rx,
        &broken,
    )
    .run(&requests_rx);
    assert!(
        receipt.try_recv().is_ok(),
        "the logged write was answered once in the log"
    );
    let handed_on: Vec<(&str, usize)> = work_rx
        .try_iter()
        .filter_map(|w| match w {
            Work::Durable(jobs) => Some(("durable", jobs.len())),
            Work::Logged { jobs, .. } => Some(("logged", jobs.len())),
            _ => None,
        })
        .collect();
    assert_eq!(handed_on, [("durable", 1), ("logged", 1)]);
}

/// A start after a crash loads redb's allocator state as the last durable commit recorded
/// it, whether that was the start before (which applies the log) or a write since. Without
/// that record redb rebuilds the state by walking every table, which took 72 s at 20
/// million messages.
#[tokio::test]
async fn a_start_after_a_crash_does_not_rebuild_the_allocator_state() {
    use crate::store::sim_disk::SimDisk;
    let disk = SimDisk::new(2, 7);
    let (store, thread) = Store::open_on(disk.file(0), Box::new(disk.file(1))).unwrap();
    // The process dies, right after the start and after a write; the kernel keeps every
    // write it made.
    let just_opened = disk.restart(1);
    let reasons = crate::domain::AwayReasons::parse("Lunch", false).unwrap();
    let stored = reasons.clone();
    store
        .write(move |txn| crate::store::settings::put_away_reasons(txn, &stored))
        .await
        .unwrap();
    let written = disk.restart(2);
    drop(store);
    thread.join().unwrap();

    for (crashed, expected) in [(just_opened, None), (written, Some(reasons))] {
        let rebuilt = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let told = rebuilt.clone();
        let db = Database::builder()
            .set_repair_callback(move |_| told.store(true, std::sync::atomic::Ordering::SeqCst))
            .create_with_backend(crashed.file(0))
            .unwrap();
        assert!(
            !rebuilt.load(std::sync::atomic::Ordering::SeqCst),
            "redb rebuilt its allocator state (expected {expected:?})"
        );
        let read = db.begin_read().unwrap();
        let away = crate::store::settings::away_reasons(&read).unwrap();
        assert_eq!(away, expected.unwrap_or_default());
    }
}

/// A store with nothing to write for a few seconds empties redb's page cache, so a server
/// that was busy and then went quiet holds no more than a fresh one; what it stored is
/// read again from the file.
#[test]
fn an_idle_store_empties_its_page_cache_and_reads_on() {
    let dir = tempfile::tempdir().unwrap();
    let (store, thread) = Store::open(&dir.path().join("parley.redb")).unwrap();
    const ROWS: u64 = 20_000;
    let write = store
        .submit(|txn| {
            let mut meta = txn.open_table(crate::store::META)?;
            for i in 0..ROWS {
                meta.insert(format!("test row {i:05}").as_str(), i)?;
            }
            Ok(())
        })
        .unwrap();
    write.blocking_recv().unwrap().unwrap();
    let count = || {
        store
            .read_blocking(|txn| {
                let meta = txn.open_table(crate::store::META)?;
                Ok(meta.range("test row".."test rox")?.count() as u64)
            })
            .unwrap()
    };
    assert_eq!(count(), ROWS);
    let filled = store.page_cache().bytes;
    assert!(
        filled > 256 * 1024,
        "the work filled the cache: {filled} bytes"
    );
    // What stays is at most the few pages redb's last commit keeps in its write buffer.
    crate::testing::until(std::time::Duration::from_secs(30), || {
        let bytes = store.page_cache().bytes;
        (bytes > 32 * 1024).then(|| format!("the idle store still caches {bytes} bytes"))
    });
    assert_eq!(count(), ROWS, "every row is read again from the file");
    drop(store);
    thread.join().unwrap();
}
