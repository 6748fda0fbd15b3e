//! A simulated disk for fault-injection tests: files held in memory that remember which of
//! their writes were synced. It can fail one chosen write or sync, and it can lose power at a
//! chosen call: every write not yet synced is then kept whole, dropped, or torn (a random
//! subset of its 512-byte sectors), and the files read as they would after a reboot. redb
//! (through [`StorageBackend`]) and the write-ahead log (through [`LogFile`]) both run on it,
//! so a test can open a real [`Store`](super::Store) on it, crash it anywhere, and open it
//! again on what the disk kept.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use redb::StorageBackend;

use super::wal::LogFile;

/// A sector: the unit a disk writes whole or not at all.
const SECTOR: usize = 512;

/// What goes wrong, counted in writes and syncs over all files of the disk (from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    /// The first write from that call on fails; the data is not written.
    FailWrite(u64),
    /// The first sync from that call on fails; nothing more is on disk than before it.
    FailSync(u64),
    /// Power is lost just before that call: it and every later call fail.
    PowerLoss(u64),
}

#[derive(Clone)]
pub struct SimDisk {
    state: Arc<Mutex<DiskState>>,
}

struct DiskState {
    files: Vec<FileState>,
    calls: u64,
    fault: Fault,
    /// Whether the fault happened.
    fired: bool,
    /// Set at the power loss: what each file holds after it.
    crashed: Option<Vec<Vec<u8>>>,
    rng: StdRng,
}

#[derive(Default)]
struct FileState {
    /// Without "powersafe overwrite" (sqlite's term): a torn write may leave garbage in the
    /// whole of each sector it touches, bytes it did not write included.
    torn_sectors_garbage: bool,
    /// What a reboot would find if nothing more were synced.
    durable: Vec<u8>,
    /// What reads see now.
    current: Vec<u8>,
    /// Writes since the last sync, in order.
    unsynced: Vec<Write>,
}

#[derive(Clone)]
enum Write {
    Data { at: usize, bytes: Vec<u8> },
    Len(usize),
}

impl Write {
    fn apply(&self, to: &mut Vec<u8>) {
        match self {
            Write::Data { at, bytes } => {
                if to.len() < at + bytes.len() {
                    to.resize(at + bytes.len(), 0);
                }
                to[*at..at + bytes.len()].copy_from_slice(bytes);
            }
            Write::Len(len) => to.resize(*len, 0),
        }
    }
}

/// One file of a [`SimDisk`].
#[derive(Clone)]
pub struct SimFile {
    disk: SimDisk,
    index: usize,
}

impl std::fmt::Debug for SimFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SimFile({})", self.index)
    }
}

fn power_lost() -> io::Error {
    io::Error::other("simulated power loss")
}

impl SimDisk {
    /// An empty disk with `files` files; `seed` decides what a power loss keeps.
    pub fn new(files: usize, seed: u64) -> SimDisk {
        SimDisk::settled((0..files).map(|_| (Vec::new(), false)), seed)
    }

    pub fn file(&self, index: usize) -> SimFile {
        SimFile {
            disk: self.clone(),
            index,
        }
    }

    /// File `index` loses powersafe overwrite: a torn write may garble every sector it
    /// touches. (redb assumes the opposite of the store file; the log assumes nothing.)
    pub fn without_powersafe_overwrite(&self, index: usize) {
        self.lock().files[index].torn_sectors_garbage = true;
    }

    pub fn set_fault(&self, fault: Fault) {
        self.lock().fault = fault;
    }

    /// Writes and syncs so far.
    pub fn calls(&self) -> u64 {
        self.lock().calls
    }

    /// Whether the fault set happened.
    pub fn fault_fired(&self) -> bool {
        self.lock().fired
    }

    /// Whether the power was lost.
    pub fn crashed(&self) -> bool {
        self.lock().crashed.is_some()
    }

    /// The disk after a reboot: what the power loss kept, or (if it has not happened) what
    /// losing power now would keep. Nothing unsynced remains, and no fault is set.
    pub fn reboot(&self, seed: u64) -> SimDisk {
        let mut state = self.lock();
        if state.crashed.is_none() {
            state.lose_power();
        }
        let kept = state.crashed.clone().unwrap_or_default();
        let files = kept.into_iter().zip(&state.files);
        SimDisk::settled(
            files.map(|(bytes, was)| (bytes, was.torn_sectors_garbage)),
            seed,
        )
    }

    /// The disk as it is, every write kept (a clean stop, or a process crash that the
    /// kernel's page cache outlives); `seed` decides what a later power loss keeps.
    pub fn restart(&self, seed: u64) -> SimDisk {
        let state = self.lock();
        let files = state.files.iter();
        SimDisk::settled(
            files.map(|f| (f.current.clone(), f.torn_sectors_garbage)),
            seed,
        )
    }

    /// A disk whose files hold these bytes, all of them synced, with no fault set.
    fn settled(files: impl Iterator<Item = (Vec<u8>, bool)>, seed: u64) -> SimDisk {
        SimDisk {
            state: Arc::new(Mutex::new(DiskState {
                files: files
                    .map(|(bytes, torn_sectors_garbage)| FileState {
                        torn_sectors_garbage,
                        durable: bytes.clone(),
                        current: bytes,
                        unsynced: Vec::new(),
                    })
                    .collect(),
                calls: 0,
                fault: Fault::None,
                fired: false,
                crashed: None,
                rng: StdRng::seed_from_u64(seed),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, DiskState> {
        // A test thread that panicked while holding it leaves nothing half-done here.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl DiskState {
    fn lose_power(&mut self) {
        let mut kept = Vec::with_capacity(self.files.len());
        for i in 0..self.files.len() {
            let mut bytes = self.files[i].durable.clone();
            let unsynced = std::mem::take(&mut self.files[i].unsynced);
            let garbage = self.files[i].torn_sectors_garbage;
            for write in &unsynced {
                match self.rng.random_range(0..3) {
                    0 => {}
                    1 => write.apply(&mut bytes),
                    _ => self.tear(write, &mut bytes, garbage),
                }
            }
            kept.push(bytes);
        }
        self.crashed = Some(kept);
    }

    /// Applies part of the write: each sector it touches (aligned on the disk, not in the
    /// write) keeps its old bytes, gets the new ones, or, with `garbage` (no powersafe
    /// overwrite), may come out garbage, whatever else it held.
    fn tear(&mut self, write: &Write, to: &mut Vec<u8>, garbage: bool) {
        let Write::Data { at, bytes } = write else {
            if self.rng.random_bool(0.5) {
                write.apply(to);
            }
            return;
        };
        let mut start = 0;
        while start < bytes.len() {
            let sector = (at + start) / SECTOR * SECTOR;
            let end = (sector + SECTOR - at).min(bytes.len());
            match self.rng.random_range(0..if garbage { 3 } else { 2 }) {
                0 => {}
                1 => Write::Data {
                    at: at + start,
                    bytes: bytes[start..end].to_vec(),
                }
                .apply(to),
                _ => {
                    let mut garbage = vec![0u8; SECTOR];
                    self.rng.fill(&mut garbage[..]);
                    Write::Data {
                        at: sector,
                        bytes: garbage,
                    }
                    .apply(to);
                }
            }
            start = end;
        }
    }

    /// Counts a write or sync and says whether it may go ahead.
    fn call(&mut self, is_sync: bool) -> io::Result<()> {
        if self.crashed.is_some() {
            return Err(power_lost());
        }
        self.calls += 1;
        let failed = match self.fault {
            Fault::PowerLoss(n) if self.calls >= n => {
                self.lose_power();
                Err(power_lost())
            }
            Fault::FailWrite(n) if n <= self.calls && !is_sync && !self.fired => {
                Err(io::Error::other("simulated write failure"))
            }
            Fault::FailSync(n) if n <= self.calls && is_sync && !self.fired => {
                Err(io::Error::other("simulated sync failure"))
            }
            _ => Ok(()),
        };
        self.fired |= failed.is_err();
        failed
    }
}

impl SimFile {
    fn read(&self, at: u64, out: &mut [u8]) -> io::Result<()> {
        let state = self.disk.lock();
        if state.crashed.is_some() {
            return Err(power_lost());
        }
        let file = &state.files[self.index].current;
        let at = at as usize;
        let Some(bytes) = file.get(at..at + out.len()) else {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "read past the end of the file",
            ));
        };
        out.copy_from_slice(bytes);
        Ok(())
    }

    fn write(&self, write: Write) -> io::Result<()> {
        let mut state = self.disk.lock();
        state.call(false)?;
        let file = &mut state.files[self.index];
        write.apply(&mut file.current);
        file.unsynced.push(write);
        Ok(())
    }

    fn sync(&self) -> io::Result<()> {
        let mut state = self.disk.lock();
        state.call(true)?;
        let file = &mut state.files[self.index];
        for write in std::mem::take(&mut file.unsynced) {
            write.apply(&mut file.durable);
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        self.disk.lock().files[self.index].current.len() as u64
    }
}

impl StorageBackend for SimFile {
    fn len(&self) -> Result<u64, io::Error> {
        Ok(SimFile::len(self))
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        SimFile::read(self, offset, out)
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        self.write(Write::Len(len as usize))
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        self.sync()
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        SimFile::write(
            self,
            Write::Data {
                at: offset as usize,
                bytes: data.to_vec(),
            },
        )
    }
}

impl LogFile for SimFile {
    fn size(&self) -> io::Result<u64> {
        Ok(SimFile::len(self))
    }

    fn read_at(&self, buf: &mut [u8], at: u64) -> io::Result<()> {
        self.read(at, buf)
    }

    fn write_at(&self, buf: &[u8], at: u64) -> io::Result<()> {
        self.write(Write::Data {
            at: at as usize,
            bytes: buf.to_vec(),
        })
    }

    fn sync(&self) -> io::Result<()> {
        SimFile::sync(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_power_loss_keeps_what_was_synced_and_some_of_the_rest() {
        let disk = SimDisk::new(1, 1);
        disk.without_powersafe_overwrite(0);
        let f = disk.file(0);
        LogFile::write_at(&f, &[1; 1024], 0).unwrap();
        LogFile::sync(&f).unwrap();
        LogFile::write_at(&f, &[2; 1024], 0).unwrap();
        disk.set_fault(Fault::PowerLoss(3));
        assert!(LogFile::write_at(&f, &[3; 10], 0).is_err());
        assert!(disk.crashed());
        let after = disk.reboot(0).file(0);
        let mut buf = [0u8; 1024];
        LogFile::read_at(&after, &mut buf, 0).unwrap();
        // Each sector is wholly the synced data, wholly the unsynced write, or garbage.
        for sector in buf.chunks(SECTOR) {
            let whole = sector.iter().all(|b| *b == sector[0]);
            assert!(!whole || sector[0] == 1 || sector[0] == 2, "{sector:?}");
        }
        // Over many seeds, both outcomes happen.
        let outcomes: std::collections::BTreeSet<u8> = (0..32)
            .map(|seed| {
                let disk = SimDisk::new(1, seed);
                let f = disk.file(0);
                LogFile::write_at(&f, &[1; 512], 0).unwrap();
                LogFile::sync(&f).unwrap();
                LogFile::write_at(&f, &[2; 512], 0).unwrap();
                let mut b = [0u8; 1];
                LogFile::read_at(&disk.reboot(seed).file(0), &mut b, 0).unwrap();
                b[0]
            })
            .collect();
        assert_eq!(outcomes, [1, 2].into());
    }

    #[test]
    fn a_failed_sync_makes_nothing_durable() {
        let kept: std::collections::BTreeSet<u64> = (0..32)
            .map(|seed| {
                let disk = SimDisk::new(1, seed);
                let f = disk.file(0);
                LogFile::write_at(&f, &[7; 512], 0).unwrap();
                disk.set_fault(Fault::FailSync(2));
                assert!(LogFile::sync(&f).is_err());
                assert!(!disk.crashed());
                disk.reboot(seed).file(0).len()
            })
            .collect();
        // The write stayed unsynced: a power loss sometimes drops it.
        assert_eq!(kept, [0, 512].into());
    }
}
