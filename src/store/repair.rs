//! Log records that pass their checksum but cannot be decoded (written by a build that knows
//! a write this one does not, or damaged before they were framed). Opening the store refuses
//! them, naming the record, because applying the log past a write it cannot read would build
//! a state nobody acknowledged; `parley check --repair` instead sets each one aside into a
//! file of its own beside the store, so nothing that was on disk is thrown away, and applies
//! the rest.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::StoreError;
use super::logged::Logged;
use super::wal::Record;

/// One record set aside by a repair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetAside {
    pub epoch: u64,
    pub seq: u64,
    /// The file holding the record's payload, byte for byte.
    pub file: PathBuf,
    /// Why it could not be decoded.
    pub reason: String,
}

/// Where a repair puts what it sets aside, and what it did so far.
pub(super) struct SetAsideIn {
    dir: PathBuf,
    /// The log's file name, which each set-aside file starts with.
    stem: String,
    pub(super) done: Vec<SetAside>,
}

impl SetAsideIn {
    /// Next to the store at `db_path` (`parley.redb` → `parley.wal.set-aside.<epoch>.<seq>`).
    pub(super) fn beside(db_path: &Path) -> SetAsideIn {
        let wal = db_path.with_extension("wal");
        SetAsideIn {
            dir: wal
                .parent()
                .map(Path::to_owned)
                .unwrap_or_else(|| PathBuf::from(".")),
            stem: wal
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "parley.wal".into()),
            done: Vec::new(),
        }
    }

    /// Writes the record to its file and waits until the file is on disk: the transaction
    /// that skips the record commits only after that, so the record is never only gone.
    fn keep(
        &mut self,
        epoch: u64,
        seq: u64,
        bytes: &[u8],
        reason: String,
    ) -> Result<(), StoreError> {
        let file = self
            .dir
            .join(format!("{}.set-aside.{epoch}.{seq}", self.stem));
        let io =
            |e: std::io::Error| StoreError::Redb(format!("cannot write {}: {e}", file.display()));
        let mut f = File::create(&file).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
        self.done.push(SetAside {
            epoch,
            seq,
            file,
            reason,
        });
        Ok(())
    }
}

/// The log records the store does not hold yet, as the replay at open reads them.
pub(super) struct Pending<'a> {
    pub(super) records: &'a [Record],
    /// Set when repairing: undecodable records go there instead of failing the open.
    pub(super) set_aside: Option<SetAsideIn>,
}

impl Pending<'_> {
    /// The writes in order. An undecodable record is an error naming it, or, when
    /// repairing, is set aside and skipped.
    pub(super) fn decoded(&mut self) -> impl Iterator<Item = Result<Logged, StoreError>> + '_ {
        let set_aside = &mut self.set_aside;
        self.records.iter().filter_map(move |record| {
            let (epoch, seq, bytes) = (record.epoch, record.seq, &record.payload);
            let detail = match Logged::decode(bytes) {
                Ok(write) => return Some(Ok(write)),
                Err(StoreError::Corrupt { detail, .. }) => detail,
                Err(e) => e.to_string(),
            };
            match set_aside {
                Some(place) => match place.keep(epoch, seq, bytes, detail) {
                    Ok(()) => {
                        tracing::warn!(epoch, seq, "set aside an undecodable log record");
                        None
                    }
                    Err(e) => Some(Err(e)),
                },
                None => Some(Err(StoreError::UndecodableLogRecord { epoch, seq, detail })),
            }
        })
    }
}
