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
//! The log is two regions of one file, each holding one epoch, a random number the store
//! records in `meta` with the checkpoint that starts it; an epoch's records count from 1.
//! While the store commits a checkpoint the log goes on in the other region, so writes are
//! acknowledged during it: the new epoch's region starts with a link record (sequence 0)
//! naming the epoch and last record it follows. The region of the older epoch is written
//! again only once the checkpoint that ends it is durable. A record: magic, epoch, sequence
//! number, payload length, CRC-32 of those and the payload, then the payload.
//!
//! At start the store's own epoch is read from its region, followed by the epoch linked to
//! its last record, if any: reading stops at the first record that is torn, fails its CRC,
//! or is not the next of that epoch. So a store put back from an older copy, or one whose
//! log belongs to another store, never gets writes that were not made on top of exactly
//! its state; and a clean stop leaves the log empty.
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
/// Each epoch's records go to one of two regions of this size: far more than a checkpoint
/// interval's records (see `log_thread.rs`), so that appends go on while a slow checkpoint
/// commits.
pub const REGION: u64 = 32 << 20;
/// Written as zeros when the log is created, so appends overwrite allocated blocks and an
/// `fdatasync` has no file size or extent to commit.
const PREALLOCATE: u64 = 2 * REGION;
/// The payload of a link record: the epoch and sequence number of the record it follows.
const LINK: usize = 16;

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
    /// The epoch new records carry.
    epoch: u64,
    /// Where its region starts.
    region: u64,
    /// Where the next record goes, from the region's start.
    end: u64,
    /// The last sequence number used in this epoch.
    seq: u64,
    /// The epoch and last record this one follows, until its first append writes the link.
    link: Option<(u64, u64)>,
}

/// One record read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub epoch: u64,
    pub seq: u64,
    pub payload: Vec<u8>,
}

/// Why an append did not happen.
#[derive(Debug)]
pub enum AppendError {
    /// The region has no room left for it (it never fits when it is larger than a region).
    NoRoom,
    Io(io::Error),
}

impl Wal {
    /// Opens (or creates) the log and returns the records of `epoch` and of the epoch linked
    /// to it, in order.
    pub fn open(path: &Path, epoch: u64) -> io::Result<(Wal, Vec<Record>)> {
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
    pub fn on(file: Box<dyn LogFile>, epoch: u64) -> io::Result<(Wal, Vec<Record>)> {
        let len = file.size()?;
        let pending = read_chain(file.as_ref(), len, epoch)?;
        if len < PREALLOCATE {
            file.write_at(&vec![0; (PREALLOCATE - len) as usize], len)?;
            file.sync()?;
        }
        // The caller checkpoints before the first append: reading went only as far as the
        // records were whole, and a new epoch keeps anything beyond from ever joining them.
        let wal = Wal {
            file,
            epoch,
            region: 0,
            end: 0,
            seq: 0,
            link: None,
        };
        Ok((wal, pending))
    }

    /// Bytes written in this epoch.
    pub fn written(&self) -> u64 {
        self.end
    }

    /// The epoch and sequence number of the last record appended: what a batch records in
    /// the store as applied.
    pub fn position(&self) -> (u64, u64) {
        (self.epoch, self.seq)
    }

    /// Appends the payloads as consecutive records from a fresh block of the epoch's region
    /// and waits until they are on disk.
    pub fn append(&mut self, payloads: &[Vec<u8>]) -> Result<(), AppendError> {
        let mut buf = Vec::new();
        if let Some((epoch, seq)) = self.link {
            let mut link = Vec::with_capacity(LINK);
            link.extend_from_slice(&epoch.to_le_bytes());
            link.extend_from_slice(&seq.to_le_bytes());
            encode(&mut buf, self.epoch, 0, &link);
        }
        let mut seq = self.seq;
        for payload in payloads {
            if payload.len() as u64 > REGION {
                return Err(AppendError::NoRoom);
            }
            seq += 1;
            encode(&mut buf, self.epoch, seq, payload);
        }
        buf.resize(align_up(buf.len() as u64) as usize, 0);
        if self.end + buf.len() as u64 > REGION {
            return Err(AppendError::NoRoom);
        }
        let at = self.region + self.end;
        self.file.write_at(&buf, at).map_err(AppendError::Io)?;
        self.file.sync().map_err(AppendError::Io)?;
        self.link = None;
        self.seq = seq;
        self.end += buf.len() as u64;
        Ok(())
    }

    /// At a clean stop, after the last checkpoint: the log reads as empty, so even a store
    /// put back from a copy of that epoch gets nothing from it.
    pub fn clear(&mut self) -> io::Result<()> {
        for region in [0, REGION] {
            self.file.write_at(&[0; HEADER], region)?;
        }
        self.file.sync()?;
        self.end = 0;
        self.seq = 0;
        self.link = None;
        Ok(())
    }

    /// The store committed durably with `epoch` and holds every record so far: the next
    /// record starts the file again.
    pub fn checkpointed(&mut self, epoch: u64) {
        self.epoch = epoch;
        self.region = 0;
        self.end = 0;
        self.seq = 0;
        self.link = None;
    }

    /// New records carry `epoch`, in the other region, after the ones so far: for the
    /// checkpoint of `epoch`, which the store commits while the log goes on. The region it
    /// leaves must not be switched back to before that checkpoint is durable.
    pub fn switch(&mut self, epoch: u64) {
        self.link = Some((self.epoch, self.seq));
        self.epoch = epoch;
        self.region = REGION - self.region;
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

/// `epoch`'s records (from whichever region it starts), then those of the epoch linked to
/// its last record.
fn read_chain(file: &dyn LogFile, len: u64, epoch: u64) -> io::Result<Vec<Record>> {
    let mut out = Vec::new();
    for region in [0, REGION] {
        let (link, records) = read_region(file, len, region, epoch)?;
        if link.is_some() || !records.is_empty() {
            out = records;
            break;
        }
    }
    let last = out.last().map_or(0, |r| r.seq);
    for region in [0, REGION] {
        let mut head = [0u8; HEADER + LINK];
        if region + head.len() as u64 > len {
            continue;
        }
        file.read_at(&mut head, region)?;
        let Some(next) = decode_head(&head[..HEADER]) else {
            continue;
        };
        let link = &head[HEADER..];
        let follows = next.seq == 0
            && next.size == LINK
            && checksum(&head[..24], link) == next.crc
            && u64_at(link, 0) == epoch
            && u64_at(link, 8) == last;
        if follows {
            out.extend(read_region(file, len, region, next.epoch)?.1);
            break;
        }
    }
    Ok(out)
}

struct Head {
    epoch: u64,
    seq: u64,
    size: usize,
    crc: u32,
}

fn u64_at(bytes: &[u8], i: usize) -> u64 {
    let mut b = [0; 8];
    b.copy_from_slice(&bytes[i..i + 8]);
    u64::from_le_bytes(b)
}

fn u32_at(bytes: &[u8], i: usize) -> u32 {
    let mut b = [0; 4];
    b.copy_from_slice(&bytes[i..i + 4]);
    u32::from_le_bytes(b)
}

/// A record's header, if it starts with the magic number.
fn decode_head(head: &[u8]) -> Option<Head> {
    (u32_at(head, 0) == MAGIC).then(|| Head {
        epoch: u64_at(head, 4),
        seq: u64_at(head, 12),
        size: u32_at(head, 20) as usize,
        crc: u32_at(head, 24),
    })
}

/// The unbroken run of `epoch`'s records from the start of the region, read one record at a
/// time (after a clean stop, only the first header), and the link record it starts with, if
/// any. Zeros after a record pad its append to the block's end: the next append starts on
/// the next block.
fn read_region(
    file: &dyn LogFile,
    len: u64,
    region: u64,
    epoch: u64,
) -> io::Result<(Option<Vec<u8>>, Vec<Record>)> {
    let mut link = None;
    let mut out = Vec::new();
    let end = len.min(region + REGION);
    let mut at = region;
    let mut head = [0u8; HEADER];
    while at + HEADER as u64 <= end {
        file.read_at(&mut head, at)?;
        if u32_at(&head, 0) == 0 && !at.is_multiple_of(BLOCK) {
            at = align_up(at);
            continue;
        }
        let Some(h) = decode_head(&head) else {
            break;
        };
        let first = at == region;
        let next = out.len() as u64 + 1;
        let fits = at + (HEADER + h.size) as u64 <= end;
        let in_order = h.seq == next || (first && h.seq == 0 && h.size == LINK);
        if h.epoch != epoch || !in_order || !fits {
            break;
        }
        let mut payload = vec![0; h.size];
        file.read_at(&mut payload, at + HEADER as u64)?;
        if checksum(&head[..24], &payload) != h.crc {
            break;
        }
        at += (HEADER + h.size) as u64;
        if h.seq == 0 {
            link = Some(payload);
            continue;
        }
        out.push(Record {
            epoch,
            seq: h.seq,
            payload,
        });
    }
    Ok((link, out))
}

#[cfg(test)]
#[path = "wal_tests.rs"]
mod tests;
