//! Making a store ready to serve: creating it, its tables and upgrades, and applying what
//! the write-ahead log holds beyond it after a crash.

use std::cell::RefCell;
use std::time::Duration;

use logged::Logged;
use recent_prints::RecentPrints;

use super::*;

impl Store {
    /// Opens (or creates) the database file, creates missing tables, checks the schema
    /// version, applies what the write-ahead log holds beyond the store (after a crash), and
    /// starts the writer thread. The thread ends when every handle is dropped.
    pub fn open(path: &Path) -> Result<(Store, std::thread::JoinHandle<()>), StoreError> {
        let (store, thread, _) = Store::open_with(path, false)?;
        Ok((store, thread))
    }

    /// [`Store::open`] that sets each log record it cannot decode aside into a file next to
    /// the store (see `repair.rs`) instead of refusing to open; returns what it set aside.
    pub fn open_repairing(
        path: &Path,
    ) -> Result<(Store, std::thread::JoinHandle<()>, Vec<SetAside>), StoreError> {
        Store::open_with(path, true)
    }

    fn open_with(
        path: &Path,
        repair: bool,
    ) -> Result<(Store, std::thread::JoinHandle<()>, Vec<SetAside>), StoreError> {
        if !path.exists() {
            create(path)
                .map_err(|e| StoreError::Redb(format!("cannot create {}: {e}", path.display())))?;
        }
        let opening = std::time::Instant::now();
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(path)?;
        tracing::debug!(
            ms = opening.elapsed().as_millis() as u64,
            "the store file opened"
        );
        let wal_path = path.with_extension("wal");
        let open_log = |epoch| {
            wal::Wal::open(&wal_path, epoch).map_err(|e| {
                StoreError::Redb(format!(
                    "cannot open the write-ahead log {}: {e}",
                    wal_path.display()
                ))
            })
        };
        let writeback = std::fs::File::open(path)
            .and_then(writeback::EarlyWriteback::start)
            .map_err(|e| StoreError::Redb(format!("{}: {e}", path.display())))?;
        Store::start(
            db,
            open_log,
            repair.then(|| repair::SetAsideIn::beside(path)),
            Some(writeback),
            log_thread::CHECKPOINT_AGE,
            recent_prints::PACE,
        )
    }

    /// [`open`](Self::open) on other storage than files: the simulated disk of the
    /// fault-injection tests.
    pub fn open_on(
        storage: impl redb::StorageBackend,
        log: Box<dyn wal::LogFile>,
    ) -> Result<(Store, std::thread::JoinHandle<()>), StoreError> {
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create_with_backend(storage)?;
        let open_log = |epoch| {
            wal::Wal::on(log, epoch)
                .map_err(|e| StoreError::Redb(format!("cannot open the write-ahead log: {e}")))
        };
        // A checkpoint at every batch the previous one allows, and a generation of
        // fingerprints every few messages, so that crash trials fall between checkpoints
        // and the records logged while they commit, and inside every step of the sweep.
        let pace = recent_prints::Pace {
            generation: 3,
            chunk: 1,
        };
        let (store, thread, _) = Store::start(db, open_log, None, None, Duration::ZERO, pace)?;
        Ok((store, thread))
    }

    fn start(
        db: Database,
        open_log: impl FnOnce(u64) -> Result<(wal::Wal, Vec<wal::Record>), StoreError>,
        set_aside: Option<repair::SetAsideIn>,
        writeback: Option<writeback::EarlyWriteback>,
        checkpoint_age: Duration,
        pace: recent_prints::Pace,
    ) -> Result<(Store, std::thread::JoinHandle<()>, Vec<SetAside>), StoreError> {
        let db = Arc::new(db);
        let checking = std::time::Instant::now();
        init(&db)?;
        // Its commit is the first sync of the store file: after a crash, it waits for
        // whatever the kernel still had to write of it.
        tracing::debug!(
            ms = checking.elapsed().as_millis() as u64,
            "tables and schema checked"
        );
        let read = db.begin_read()?;
        let epoch = writer::stored_epoch(&read)?;
        let applied = writer::applied_position(&read)?;
        // Loaded before the log is replayed: a logged retry must find a message whose
        // fingerprint is held only in memory.
        let started = std::time::Instant::now();
        let recent = RecentPrints::load(&read, pace)?;
        drop(read);
        let (mut wal, records) = open_log(epoch)?;
        let mut log = repair::Pending {
            records: writer::not_applied(&records, applied),
            set_aside,
        };
        if recent.held() > 0 {
            tracing::info!(
                fingerprints = recent.held(),
                ms = started.elapsed().as_millis() as u64,
                "provider ids: the newest fingerprints read back into memory"
            );
        }
        let recent = RefCell::new(recent);
        replay(&db, &mut log, &mut wal, &recent)?;
        let recent = recent.into_inner();
        let set_aside = log.set_aside.map(|s| s.done).unwrap_or_default();
        let (writer, thread) = writer::start(db.clone(), wal, recent, writeback, checkpoint_age)?;
        Ok((Store { db, writer }, thread, set_aside))
    }
}

/// Creates a store under a temporary name and gives it its name once its tables are on
/// disk, so a crash while creating it leaves no half-made store that would refuse to open.
pub(super) fn create(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let new = path.with_extension("redb.new");
    if new.exists() {
        std::fs::remove_file(&new)?;
    }
    init(
        &Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(&new)?,
    )?;
    std::fs::File::open(&new)?.sync_all()?;
    std::fs::rename(&new, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

pub(super) fn init(db: &Database) -> Result<(), StoreError> {
    let txn = db.begin_write()?;
    {
        let mut meta = txn.open_table(META)?;
        let found = meta.get("schema_version")?.map(|v| v.value());
        match found {
            Some(v) if v > SCHEMA_VERSION => {
                return Err(StoreError::NewerSchema {
                    found: v,
                    known: SCHEMA_VERSION,
                });
            }
            Some(SCHEMA_VERSION) => {}
            Some(found) => {
                upgrade_provider_ids(&txn)?;
                if found < 4 {
                    let started = std::time::Instant::now();
                    let rows = provider_ids::build_prints(&txn)?;
                    tracing::info!(
                        rows,
                        ms = started.elapsed().as_millis() as u64,
                        "provider ids: fingerprint table built"
                    );
                }
                meta.insert("schema_version", SCHEMA_VERSION)?;
            }
            None => {
                meta.insert("schema_version", SCHEMA_VERSION)?;
            }
        }
        // Until now every fingerprint went straight to its table.
        if meta.get(recent_prints::PENDING_FROM)?.is_none() {
            let next_message = meta.get("next_message")?.map_or(1, |v| v.value());
            meta.insert(recent_prints::PENDING_FROM, next_message)?;
        }
        drop(meta);
        if found.is_some_and(|v| v < 6) {
            let rows = recent_prints::list_pending(&txn)?;
            tracing::info!(
                rows,
                "provider ids: the newest fingerprints listed by message"
            );
        }
    }
    tables::each_table(&mut tables::CreateMissing(&txn))?;
    stats::rebuild_if_missing(&txn)?;
    txn.commit()?;
    Ok(())
}

/// Applies the logged writes the store's last durable commit does not hold (after a crash),
/// in order, in one durable transaction that starts a new epoch. It commits even when there
/// is nothing to apply, so no leftover of the old epoch can ever follow a new record.
pub(super) fn replay(
    db: &Database,
    pending: &mut repair::Pending,
    wal: &mut wal::Wal,
    recent: &RefCell<RecentPrints>,
) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    let mut txn = db.begin_write()?;
    // Durable, with redb's allocator state, as the writer's own durable commits are: a crash
    // before the writer's first one then needs no rebuild either (see `apply_thread.rs`).
    txn.set_quick_repair(true);
    let mut messages = 0;
    {
        let job_txn = Txn::with_recent(&txn, recent);
        for write in pending.decoded() {
            let write = write?;
            if let Logged::Inbound(batch) = &write {
                messages += batch.len();
            }
            write.apply(&job_txn)?;
        }
    }
    let applied = started.elapsed();
    let epoch = writer::record_new_epoch(&txn)?;
    txn.commit()?;
    // A failure above fails the open, and the fingerprints held go with it.
    recent.borrow_mut().committed();
    wal.checkpointed(epoch);
    if !pending.records.is_empty() {
        let took = started.elapsed();
        tracing::info!(
            writes = pending.records.len(),
            messages,
            ms = took.as_millis() as u64,
            commit_ms = (took - applied).as_millis() as u64,
            "applied the write-ahead log after an unclean stop"
        );
    }
    Ok(())
}

/// Schema 1 → 2: moves each provider id into the table keyed by message, in the transaction
/// that records the new version, so a crash leaves either schema whole.
fn upgrade_provider_ids(txn: &WriteTransaction) -> Result<(), StoreError> {
    let had_v1 = txn
        .list_tables()?
        .any(|t| t.name() == PROVIDER_IDS_V1.name());
    if !had_v1 {
        return Ok(());
    }
    {
        let old = txn.open_table(PROVIDER_IDS_V1)?;
        let mut new = txn.open_table(PROVIDER_IDS)?;
        for row in old.iter()? {
            let (key, message) = row?;
            new.insert((message.value(), key.value()), ())?;
        }
    }
    txn.delete_table(PROVIDER_IDS_V1)?;
    Ok(())
}
