//! Making a store ready to serve: creating it, its tables and upgrades, and applying what
//! the write-ahead log holds beyond it after a crash.

use super::*;

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
) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    let txn = db.begin_write()?;
    {
        let job_txn = Txn::new(&txn);
        for write in pending.decoded() {
            write?.apply(&job_txn)?;
        }
    }
    let epoch = writer::record_new_epoch(&txn)?;
    txn.commit()?;
    wal.checkpointed(epoch);
    if !pending.records.is_empty() {
        tracing::info!(
            writes = pending.records.len(),
            ms = started.elapsed().as_millis() as u64,
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
