//! Online backup: a consistent copy of the store while it serves.
//!
//! A redb read transaction is a snapshot that never holds up the writer, so the copy is read
//! from one of them, table by table and row by row (the list of tables is `tables.rs`'s
//! [`each_table`], shared with `init` and `parley check`), into a new redb file. The writer
//! goes on committing meanwhile; the snapshot only keeps the pages it sees from being reused
//! until it ends (the vendored redb reuses at once every page written and freed again after
//! it began, vendor/README.md). The copy is a clean store of its own: its `meta` gets a
//! fresh log epoch, so no write-ahead log, the original's included, can ever be applied to
//! it. The snapshot is taken once every write acknowledged before the backup began is
//! applied (an inbound message is acknowledged once it is in the log, a moment before that).
//!
//! The copy runs at a lower CPU priority (as indexing does), commits a slice of rows at a
//! time and reaches the disk a few megabytes at a time (`writeback.rs`), so the server's own
//! syncs are not queued behind it.

use std::fs::File;
use std::path::{Path, PathBuf};

use redb::backends::FileBackend;
use redb::{
    Database, Key, MultimapTableDefinition, ReadOnlyDatabase, ReadTransaction, ReadableDatabase,
    ReadableMultimapTable as _, ReadableTable as _, ReadableTableMetadata as _, TableDefinition,
    Value, WriteTransaction,
};

use super::tables::{TableVisitor, each_table};
use super::writeback::PacedWrites;
use super::{MESSAGES, META, SCHEMA_VERSION, Store, StoreError, USERS, WORKITEMS};

/// A backup just written: the file, open at its start, and its size.
pub struct Backup {
    pub file: File,
    pub bytes: u64,
    /// Rows copied, over every table.
    pub rows: u64,
}

impl Store {
    /// Writes a consistent copy of the store to a file in `dir` and returns it open. The file
    /// is unlinked as soon as it is opened, so it leaves nothing behind in `dir`, whatever
    /// happens to the copy, the download or the process. Blocking.
    pub fn backup(&self, dir: &Path) -> Result<Backup, StoreError> {
        let path = dir.join(format!(".parley-backup-{}.redb", random_suffix()));
        let file = create_new(&path);
        let removed = std::fs::remove_file(&path);
        let file = file?;
        removed.map_err(|e| StoreError::Redb(format!("{}: {e}", path.display())))?;
        let written = self.backup_into(&file)?;
        Ok(Backup {
            file,
            bytes: written.bytes,
            rows: written.rows,
        })
    }

    /// Writes a consistent copy of the store as a new file at `path` (refused if it
    /// exists). Blocking.
    pub fn backup_to(&self, path: &Path) -> Result<BackupWritten, StoreError> {
        self.backup_into(&create_new(path)?)
    }

    /// Writes a consistent copy of the store into `file`, which must be empty and open for
    /// reading and writing (`parley backup` hands the running server the file it made).
    /// Blocking.
    pub fn backup_into(&self, file: &File) -> Result<BackupWritten, StoreError> {
        self.backup_in_slices(file, COMMIT_EVERY)
    }

    /// [`backup_into`](Self::backup_into), committing every `commit_every` bytes of rows.
    pub(super) fn backup_in_slices(
        &self,
        file: &File,
        commit_every: u64,
    ) -> Result<BackupWritten, StoreError> {
        let io = |e: std::io::Error| StoreError::Redb(format!("the backup file: {e}"));
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() || meta.len() != 0 {
            return Err(StoreError::Redb(
                "a backup is written only into a new, empty file".into(),
            ));
        }
        self.applied_blocking()?;
        let snapshot = self.snapshot()?;
        let db = Database::builder()
            .set_cache_size(COPY_CACHE_BYTES)
            .create_with_backend(FileBackend::new(file.try_clone().map_err(io)?)?)?;
        let copied = copy_into(&snapshot, db, file, commit_every);
        drop(snapshot);
        let rows = copied?;
        Ok(BackupWritten {
            bytes: file.metadata().map_err(io)?.len(),
            rows,
        })
    }
}

/// What a backup wrote: the file's size and the rows copied, over every table.
#[derive(Clone, Copy, Debug)]
pub struct BackupWritten {
    pub bytes: u64,
    pub rows: u64,
}

fn random_suffix() -> String {
    let mut bytes = [0u8; 8];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

/// A new file at `path`, open for reading and writing and readable by its owner only (a
/// backup holds every password hash); an existing file is never opened (or written) instead.
pub(super) fn create_new(path: &Path) -> Result<File, StoreError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| StoreError::Redb(format!("cannot create {}: {e}", path.display())))
}

/// Bytes of rows copied per write transaction of the copy. Each commit syncs the copy, and
/// the server's log syncs wait behind that sync on the same disk: at 2,000 webhooks a
/// second, 32 MiB slices doubled the answers' p99 during a backup; with 8 MiB it stays as
/// it is without one.
const COMMIT_EVERY: u64 = 8 << 20;
/// The copy's page cache: it is written in order and never read back, so it needs only
/// room for a slice.
const COPY_CACHE_BYTES: usize = 16 << 20;

/// Copies every table of `snapshot` into `db` (whose file `file` is), a slice of rows per
/// transaction, on a thread of lower priority; gives the copy an epoch of its own, and
/// closes it once durable. Returns the rows copied.
fn copy_into(
    snapshot: &ReadTransaction,
    db: Database,
    file: &File,
    commit_every: u64,
) -> Result<u64, StoreError> {
    crate::background::run_as("backup", || {
        let mut copy = Copy {
            from: snapshot,
            to: &db,
            rows: 0,
            in_slice: 0,
            commit_every,
            paced: PacedWrites::new(file),
        };
        each_table(&mut copy)?;
        let rows = copy.rows;
        let txn = db.begin_write()?;
        super::writer::record_new_epoch(&txn)?;
        txn.commit()?;
        drop(db);
        Ok(rows)
    })
}

/// Copies each table it visits from a snapshot into the copy, row by row. A commit of one
/// large transaction held the server's own syncs up for over a second at 500,000 messages,
/// so the rows go in slices of [`COMMIT_EVERY`] bytes, one transaction each; the bytes also
/// count toward the next flush.
struct Copy<'a> {
    from: &'a ReadTransaction,
    to: &'a Database,
    rows: u64,
    in_slice: u64,
    commit_every: u64,
    paced: PacedWrites<'a>,
}

impl Copy<'_> {
    /// Counts a row of `bytes` copied; true once the slice is full.
    fn copied(&mut self, bytes: usize) -> Result<bool, StoreError> {
        self.rows += 1;
        self.in_slice += bytes as u64;
        self.paced
            .wrote(bytes as u64)
            .map_err(|e| StoreError::Redb(format!("cannot write the backup: {e}")))?;
        Ok(self.in_slice >= self.commit_every)
    }

    /// Runs `fill` in a transaction of its own, committed, until it says the table is done.
    fn in_slices(
        &mut self,
        mut fill: impl FnMut(&WriteTransaction, &mut Self) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        loop {
            let txn = self.to.begin_write()?;
            let done = fill(&txn, self)?;
            txn.commit()?;
            self.in_slice = 0;
            if done {
                return Ok(());
            }
        }
    }
}

impl TableVisitor for Copy<'_> {
    fn table<K: Key + 'static, V: Value + 'static>(
        &mut self,
        def: TableDefinition<'static, K, V>,
    ) -> Result<(), StoreError> {
        let from = self.from.open_table(def)?;
        let mut rows = from.iter()?;
        self.in_slices(|txn, copy| {
            let mut to = txn.open_table(def)?;
            for row in rows.by_ref() {
                let (k, v) = row?;
                let (k, v) = (k.value(), v.value());
                to.insert(&k, &v)?;
                if copy.copied(K::as_bytes(&k).as_ref().len() + V::as_bytes(&v).as_ref().len())? {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    }

    fn multimap<K: Key + 'static, V: Key + 'static>(
        &mut self,
        def: MultimapTableDefinition<'static, K, V>,
    ) -> Result<(), StoreError> {
        let from = self.from.open_multimap_table(def)?;
        let mut rows = from.iter()?;
        // A slice ends between keys: a key's values are few.
        self.in_slices(|txn, copy| {
            let mut to = txn.open_multimap_table(def)?;
            for row in rows.by_ref() {
                let (k, values) = row?;
                let k = k.value();
                let mut full = false;
                for v in values {
                    let v = v?;
                    let v = v.value();
                    to.insert(&k, &v)?;
                    full |= copy
                        .copied(K::as_bytes(&k).as_ref().len() + V::as_bytes(&v).as_ref().len())?;
                }
                if full {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    }
}

/// What a backup file holds, read without changing it.
#[derive(Clone, Debug)]
pub struct BackupInfo {
    pub path: PathBuf,
    pub schema: u64,
    pub users: u64,
    pub workitems: u64,
    pub messages: u64,
}

/// Reads `path` as a Parley store (read-only): refused, with the reason, when it is not one
/// or was written by a newer Parley.
pub fn backup_info(path: &Path) -> Result<BackupInfo, String> {
    let not_ours = |why: String| format!("{} is not a Parley backup: {why}", path.display());
    let db =
        ReadOnlyDatabase::open(path).map_err(|e| not_ours(redb::Error::from(e).to_string()))?;
    let read = || -> Result<BackupInfo, StoreError> {
        let txn = db.begin_read()?;
        let schema = txn
            .open_table(META)?
            .get("schema_version")?
            .map(|v| v.value())
            .ok_or_else(|| StoreError::Corrupt {
                table: "meta",
                detail: "no schema version".into(),
            })?;
        Ok(BackupInfo {
            path: path.to_owned(),
            schema,
            users: txn.open_table(USERS)?.len()?,
            workitems: txn.open_table(WORKITEMS)?.len()?,
            messages: txn.open_table(MESSAGES)?.len()?,
        })
    };
    let info = read().map_err(|e| not_ours(e.to_string()))?;
    if info.schema > SCHEMA_VERSION {
        return Err(format!(
            "{} was written by a newer Parley (schema {}, this build knows {SCHEMA_VERSION})",
            path.display(),
            info.schema
        ));
    }
    Ok(info)
}
