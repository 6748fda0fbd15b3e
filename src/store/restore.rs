//! Putting a backup in place of a data dir's store (`parley restore`), with Parley stopped.
//!
//! The old store is never deleted: it stays beside the new one as
//! `parley-before-restore-<time>.redb`, with its write-ahead log as
//! `parley-before-restore-<time>.wal`, still a pair that opens together. At every step the
//! data dir holds a whole store: the new one replaces the old by a rename.

use std::fs::File;
use std::path::{Path, PathBuf};

use redb::Database;

use super::{BackupInfo, StoreError, backup_info};

/// What a restore did.
#[derive(Clone, Debug)]
pub struct Restored {
    pub info: BackupInfo,
    /// Where the store it replaced went, if there was one.
    pub old_store: Option<PathBuf>,
    /// Where that store's write-ahead log went, if it had one.
    pub old_log: Option<PathBuf>,
}

/// Replaces the store at `db_path` with a copy of the backup `from`. Refused, changing
/// nothing, when a running Parley (or any process) has the store open, or when `from` is not
/// a Parley store this build can open. The backup file itself is only read.
pub fn restore(from: &Path, db_path: &Path) -> Result<Restored, String> {
    let info = backup_info(from)?;
    let dir = db_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // Held to the end: the lock keeps a server from starting on the old store meanwhile.
    let _old = match db_path.exists() {
        true => match Database::builder()
            .create(db_path)
            .map_err(StoreError::from)
        {
            Ok(db) => Some(db),
            Err(StoreError::InUse) => {
                return Err(format!(
                    "Parley is running on {} (its store is open): stop it before restoring; \
                     nothing was changed",
                    dir.display()
                ));
            }
            // A store that does not even open is what a restore is for: it is kept aside.
            Err(e) => {
                tracing::warn!(error = %e, "the store being replaced does not open");
                None
            }
        },
        false => None,
    };
    let stem = db_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "parley".into());
    let incoming = dir.join(format!("{stem}.restoring.redb"));
    let io = |what: &Path, e: std::io::Error| format!("{}: {e}", what.display());
    let copied = std::fs::copy(from, &incoming)
        .and_then(|_| File::open(&incoming)?.sync_all())
        .map_err(|e| io(&incoming, e))
        // The copy must read as well as the original did before it goes in place.
        .and_then(|()| backup_info(&incoming).map(|_| ()));
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&incoming);
        return Err(e);
    }

    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    // Never over an earlier restore's: a second one within the same second gets a number.
    let aside = (0u32..)
        .map(|n| match n {
            0 => dir.join(format!("{stem}-before-restore-{stamp}.redb")),
            n => dir.join(format!("{stem}-before-restore-{stamp}-{n}.redb")),
        })
        .find(|p| !p.exists() && !p.with_extension("wal").exists())
        .unwrap_or_default();
    let old_store = if db_path.exists() {
        // A second name for the old file first, so the store's own name always holds one.
        if std::fs::hard_link(db_path, &aside).is_err() {
            std::fs::copy(db_path, &aside).map_err(|e| io(&aside, e))?;
        }
        Some(aside.clone())
    } else {
        None
    };
    let wal = db_path.with_extension("wal");
    let old_log = if wal.exists() {
        let log_aside = aside.with_extension("wal");
        std::fs::copy(&wal, &log_aside).map_err(|e| io(&log_aside, e))?;
        Some(log_aside)
    } else {
        None
    };
    std::fs::rename(&incoming, db_path).map_err(|e| io(db_path, e))?;
    // The old log belongs to the old store (another epoch: it would never apply anyway).
    if wal.exists() {
        std::fs::remove_file(&wal).map_err(|e| io(&wal, e))?;
    }
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io(dir, e))?;
    Ok(Restored {
        info,
        old_store,
        old_log,
    })
}
