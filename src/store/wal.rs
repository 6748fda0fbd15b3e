//! The write-ahead log of the busiest writes (inbound messages, routing steps, the search
//! indexer's pruning of the change log).
//!
//! A redb commit that is durable writes every page the transaction changed, about twenty
//! scattered 4 KiB pages for one inbound message, and waits for all of them: on a virtio
//! disk that costs several times one fsync. A batch of logged writes instead commits to redb
//! without waiting for the disk and appends its records here with one `fdatasync`; the store
//! commits durably now and then (a checkpoint), and after a crash the records the store does
//! not yet hold are applied again, in order, to the state of its last durable commit.
//!
//! Every durable commit starts a new epoch, a random number it records in `meta`; the records
//! written after it carry that epoch and count from 1. A record: magic, epoch, sequence
//! number, payload length, CRC-32 of those and the payload, then the payload. Each epoch's
//! records are written from the start of the file, so it stays the size of one checkpoint
//! interval. At start only the records of the store's own epoch are applied: reading stops
//! at the first record that is torn, fails its CRC, or is not the next of that epoch. So a
//! store put back from an older copy, or one whose log belongs to another store, never gets
//! writes that were not made on top of exactly its state; and a clean stop leaves the log
//! empty.
//!
//! Each append starts on a fresh 4 KiB block (the last one is padded with zeros): a disk
//! that tears a write inside a block can then only damage the records being appended, never
//! one already acknowledged. The store records in the same transaction as each logged batch
//! how far it has applied the log (see `writer.rs`), so a record the store already holds is
//! never applied twice, however that transaction became durable.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt as _;
use std::path::Path;

const MAGIC: u32 = 0x5057_4c32; // "PWL2"
const HEADER: usize = 4 + 8 + 8 + 4 + 4;
/// Appends start on a multiple of this: the block a disk writes whole, or tears.
const BLOCK: u64 = 4096;
/// Written as zeros when the log is created, so appends overwrite allocated blocks and an
/// `fdatasync` has no file size or extent to commit.
const PREALLOCATE: u64 = 16 << 20;
/// Larger payloads are refused on write (a length past the end of the file ends the log on
/// read).
const MAX_RECORD: usize = 64 << 20;

/// What the log is written to: a file, or a simulated disk in fault-injection tests.
pub trait LogFile: Send + 'static {
    fn size(&self) -> io::Result<u64>;
    fn read_at(&self, buf: &mut [u8], at: u64) -> io::Result<()>;
    fn write_at(&self, buf: &[u8], at: u64) -> io::Result<()>;
    /// Returns once what was written is on disk (`fdatasync`).
    fn sync(&self) -> io::Result<()>;
}

impl LogFile for File {
    fn size(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }

    fn read_at(&self, buf: &mut [u8], at: u64) -> io::Result<()> {
        self.read_exact_at(buf, at)
    }

    fn write_at(&self, buf: &[u8], at: u64) -> io::Result<()> {
        self.write_all_at(buf, at)
    }

    fn sync(&self) -> io::Result<()> {
        self.sync_data()
    }
}

pub struct Wal {
    file: Box<dyn LogFile>,
    /// The epoch of the store's last durable commit, which new records carry.
    epoch: u64,
    /// Where the next record goes.
    end: u64,
    /// The last sequence number used in this epoch.
    seq: u64,
}

impl Wal {
    /// Opens (or creates) the log and returns the payloads of `epoch`'s records, in order.
    pub fn open(path: &Path, epoch: u64) -> io::Result<(Wal, Vec<Vec<u8>>)> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let new = file.metadata()?.len() < PREALLOCATE;
        let opened = Wal::on(Box::new(file), epoch)?;
        // A new file's name is durable only once its directory is.
        if let Some(dir) = path.parent().filter(|d| new && !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(opened)
    }

    /// The log in `file`, as [`open`](Self::open).
    pub fn on(file: Box<dyn LogFile>, epoch: u64) -> io::Result<(Wal, Vec<Vec<u8>>)> {
        let len = file.size()?;
        let pending = read_records(file.as_ref(), len, epoch)?;
        if len < PREALLOCATE {
            file.write_at(&vec![0; (PREALLOCATE - len) as usize], len)?;
            file.sync()?;
        }
        // The caller checkpoints before the first append: reading went only as far as the
        // records were whole, and a new epoch keeps anything beyond from ever joining them.
        let wal = Wal {
            file,
            epoch,
            end: 0,
            seq: 0,
        };
        Ok((wal, pending))
    }

    /// Bytes written since the last checkpoint.
    pub fn written(&self) -> u64 {
        self.end
    }

    /// The epoch and sequence number the last of `n` more records would have: what a batch
    /// of `n` records records in the store as applied.
    pub fn position_after(&self, n: usize) -> (u64, u64) {
        (self.epoch, self.seq + n as u64)
    }

    /// Appends the payloads as consecutive records from a fresh block and waits until they
    /// are on disk.
    pub fn append(&mut self, payloads: &[Vec<u8>]) -> io::Result<()> {
        let mut buf = Vec::with_capacity(payloads.iter().map(|p| p.len() + HEADER).sum());
        let mut seq = self.seq;
        for payload in payloads {
            if payload.len() > MAX_RECORD {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "write-ahead record too large",
                ));
            }
            seq += 1;
            encode(&mut buf, self.epoch, seq, payload);
        }
        buf.resize(align_up(buf.len() as u64) as usize, 0);
        self.file.write_at(&buf, self.end)?;
        self.file.sync()?;
        self.seq = seq;
        self.end += buf.len() as u64;
        Ok(())
    }

    /// At a clean stop, after the last checkpoint: the log reads as empty, so even a store
    /// put back from a copy of that epoch gets nothing from it.
    pub fn clear(&mut self) -> io::Result<()> {
        self.file.write_at(&[0; HEADER], 0)?;
        self.file.sync()?;
        self.end = 0;
        self.seq = 0;
        Ok(())
    }

    /// The store committed durably with `epoch`: it holds every record so far, and the next
    /// record starts the file again.
    pub fn checkpointed(&mut self, epoch: u64) {
        self.epoch = epoch;
        self.end = 0;
        self.seq = 0;
    }
}

/// A fresh epoch for a durable commit to record (never 0, which a new store reads as).
pub fn new_epoch() -> u64 {
    let mut bytes = [0u8; 8];
    rand::fill(&mut bytes);
    u64::from_le_bytes(bytes).max(1)
}

fn encode(buf: &mut Vec<u8>, epoch: u64, seq: u64, payload: &[u8]) {
    let start = buf.len();
    buf.extend_from_slice(&MAGIC.to_le_bytes());
    buf.extend_from_slice(&epoch.to_le_bytes());
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    let crc = checksum(&buf[start..start + 24], payload);
    buf.extend_from_slice(&crc.to_le_bytes());
    buf.extend_from_slice(payload);
}

/// `at` rounded up to the next block boundary.
fn align_up(at: u64) -> u64 {
    at.div_ceil(BLOCK) * BLOCK
}

fn checksum(head: &[u8], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(head);
    h.update(payload);
    h.finalize()
}

/// The payloads of `epoch`'s unbroken run of records from the start of the file, read one
/// record at a time (after a clean stop, only the first header). Zeros after a record pad
/// its append to the block's end: the next append starts on the next block.
fn read_records(file: &dyn LogFile, len: u64, epoch: u64) -> io::Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut head = [0u8; HEADER];
    while at + HEADER as u64 <= len {
        file.read_at(&mut head, at)?;
        let u32_at = |i: usize| {
            let mut b = [0; 4];
            b.copy_from_slice(&head[i..i + 4]);
            u32::from_le_bytes(b)
        };
        let u64_at = |i: usize| {
            let mut b = [0; 8];
            b.copy_from_slice(&head[i..i + 8]);
            u64::from_le_bytes(b)
        };
        if u32_at(0) == 0 && at % BLOCK != 0 {
            at = align_up(at);
            continue;
        }
        let size = u32_at(20) as usize;
        let next = out.len() as u64 + 1;
        let fits = at + (HEADER + size) as u64 <= len;
        if u32_at(0) != MAGIC || u64_at(4) != epoch || u64_at(12) != next || !fits {
            break;
        }
        let mut payload = vec![0; size];
        file.read_at(&mut payload, at + HEADER as u64)?;
        if checksum(&head[..24], &payload) != u32_at(24) {
            break;
        }
        out.push(payload);
        at += (HEADER + size) as u64;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payloads(range: std::ops::RangeInclusive<u8>) -> Vec<Vec<u8>> {
        range.map(|i| vec![i; 100 + usize::from(i)]).collect()
    }

    #[test]
    fn the_epochs_records_come_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wal");
        let (mut wal, pending) = Wal::open(&path, 7).unwrap();
        assert!(pending.is_empty());
        wal.append(&payloads(1..=3)).unwrap();
        wal.append(&payloads(4..=5)).unwrap();
        drop(wal);
        let (_, pending) = Wal::open(&path, 7).unwrap();
        assert_eq!(pending, payloads(1..=5));
        // Another epoch's store gets none of them.
        let (_, pending) = Wal::open(&path, 8).unwrap();
        assert!(pending.is_empty());
    }

    #[test]
    fn after_a_checkpoint_the_older_epoch_is_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wal");
        let (mut wal, _) = Wal::open(&path, 7).unwrap();
        wal.append(&payloads(1..=6)).unwrap();
        wal.checkpointed(9);
        // Shorter than what it overwrites: the rest of the older epoch stays in the file.
        wal.append(&[vec![42; 10]]).unwrap();
        drop(wal);
        let (_, pending) = Wal::open(&path, 9).unwrap();
        assert_eq!(pending, vec![vec![42; 10]]);
        let (_, pending) = Wal::open(&path, 7).unwrap();
        assert!(
            pending.is_empty(),
            "the older epoch starts with a record of the newer"
        );
    }

    #[test]
    fn a_torn_or_damaged_record_ends_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wal");
        let (mut wal, _) = Wal::open(&path, 7).unwrap();
        wal.append(&payloads(1..=3)).unwrap();
        drop(wal);
        // Flip one byte of the second record's payload.
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        let second = (HEADER + 101 + HEADER + 10) as u64;
        file.write_all_at(&[0xff], second).unwrap();
        let (_, pending) = Wal::open(&path, 7).unwrap();
        assert_eq!(pending, payloads(1..=1));
    }

    #[test]
    fn a_torn_append_cannot_damage_the_records_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wal");
        let (mut wal, _) = Wal::open(&path, 7).unwrap();
        wal.append(&payloads(1..=1)).unwrap();
        let second = wal.written();
        wal.append(&payloads(2..=2)).unwrap();
        drop(wal);
        // The disk tore the block the second append started in: all of it is garbage.
        let block_start = second / BLOCK * BLOCK;
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        file.write_all_at(&[0xa5; BLOCK as usize], block_start)
            .unwrap();
        let (_, pending) = Wal::open(&path, 7).unwrap();
        assert_eq!(pending, payloads(1..=1));
    }

    #[test]
    fn a_log_cut_anywhere_in_its_last_two_records_keeps_the_whole_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wal");
        let (mut wal, _) = Wal::open(&path, 7).unwrap();
        wal.append(&payloads(1..=2)).unwrap();
        let third = wal.written();
        wal.append(&payloads(3..=4)).unwrap();
        drop(wal);
        let fourth = third + (HEADER + 103) as u64;
        let end = fourth + (HEADER + 104) as u64;
        let whole = std::fs::read(&path).unwrap();
        for cut in third..=end {
            // What never reached the disk reads as the preallocated zeros, or as garbage.
            for fill in [0u8, 0xa5] {
                let mut bytes = whole.clone();
                bytes[cut as usize..end as usize].fill(fill);
                std::fs::write(&path, &bytes).unwrap();
                let (_, pending) = Wal::open(&path, 7).unwrap();
                let kept = if cut == end {
                    4
                } else if cut >= fourth {
                    3
                } else {
                    2
                };
                assert_eq!(pending, payloads(1..=kept), "cut at {cut}, fill {fill:#x}");
            }
        }
    }

    #[test]
    fn a_new_log_is_preallocated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wal");
        Wal::open(&path, 0).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), PREALLOCATE);
    }
}
