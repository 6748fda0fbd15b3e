//! Getting written pages to the disk a little at a time, so that the syncs the server waits
//! on (each write-ahead-log append, each checkpoint) never queue behind a pile of them.
//!
//! - [`EarlyWriteback`]: a logged batch commits to redb without waiting for the disk, so the
//!   pages it changed stay dirty in the kernel until the next checkpoint, whose `fdatasync`
//!   then writes them all while the writer, and every webhook behind it, waits. A thread of
//!   its own flushes the store file about every 100 ms while logged batches come in, so a
//!   checkpoint finds little left to write (measured at 500,000 messages: the longest time
//!   with no webhook answered fell from 52–60 ms to 32–38 ms). Writing a page early is
//!   always safe: the kernel may write any dirty page back at any moment, and redb's commit
//!   protocol never counts on one staying unwritten.
//! - [`PacedWrites`]: written at full speed, a backup leaves hundreds of megabytes dirty,
//!   which the kernel writes back in bulk in front of the server's syncs (measured: 267–339 ms
//!   with no webhook answered at the end of a 570 MB copy). So a long write is flushed a
//!   slice at a time, and rests after each flush for as long as the flush took: the disk
//!   never has more than a slice of it to catch up on, and keeps at least half its time for
//!   the server.

use std::fs::File;
use std::io;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Bytes a paced write puts in the page cache between two flushes.
const SLICE: u64 = 4 << 20;
/// How often the store file is flushed while logged batches come in.
const EARLY_WRITEBACK_EVERY: Duration = Duration::from_millis(100);

/// What is flushed: a file (any handle on it, as `fdatasync` flushes the file, not the
/// handle), or a test's stand-in.
pub trait Flush: Send + 'static {
    fn flush_to_disk(&self) -> io::Result<()>;
}

impl Flush for File {
    fn flush_to_disk(&self) -> io::Result<()> {
        self.sync_data()
    }
}

/// Flushes the store file on a thread of its own, at most every [`EARLY_WRITEBACK_EVERY`],
/// after logged commits. Idle when nothing is written; the thread ends when this is dropped.
pub struct EarlyWriteback {
    wrote: Option<mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EarlyWriteback {
    pub fn start(file: impl Flush) -> io::Result<EarlyWriteback> {
        EarlyWriteback::every(file, EARLY_WRITEBACK_EVERY)
    }

    fn every(file: impl Flush, every: Duration) -> io::Result<EarlyWriteback> {
        let (wrote, written) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("parley-store-writeback".into())
            .spawn(move || {
                while written.recv().is_ok() {
                    // Whatever else is committed meanwhile goes in the same flush. A closed
                    // channel is a writer that has stopped after its last checkpoint, which
                    // left nothing to flush.
                    let until = Instant::now() + every;
                    loop {
                        match written.recv_timeout(until.saturating_duration_since(Instant::now()))
                        {
                            Ok(()) => {}
                            Err(mpsc::RecvTimeoutError::Timeout) => break,
                            Err(mpsc::RecvTimeoutError::Disconnected) => return,
                        }
                    }
                    if let Err(e) = file.flush_to_disk() {
                        // The checkpoint's own sync will meet the same error and say so.
                        tracing::debug!(error = %e, "early writeback of the store failed");
                    }
                }
            })?;
        Ok(EarlyWriteback {
            wrote: Some(wrote),
            thread: Some(thread),
        })
    }

    /// Called after each commit that did not wait for the disk; never blocks.
    pub fn committed(&self) {
        if let Some(wrote) = &self.wrote {
            let _ = wrote.try_send(());
        }
    }
}

impl Drop for EarlyWriteback {
    fn drop(&mut self) {
        drop(self.wrote.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Counts what a long write has put in the page cache and flushes it a slice at a time.
pub struct PacedWrites<'a, F: Flush = File> {
    file: &'a F,
    unflushed: u64,
}

impl<'a, F: Flush> PacedWrites<'a, F> {
    pub fn new(file: &'a F) -> Self {
        PacedWrites { file, unflushed: 0 }
    }

    /// Counts `bytes` just written; once a slice has piled up, flushes it and rests.
    /// Blocking.
    pub fn wrote(&mut self, bytes: u64) -> io::Result<()> {
        self.unflushed += bytes;
        if self.unflushed < SLICE {
            return Ok(());
        }
        self.unflushed = 0;
        let started = Instant::now();
        self.file.flush_to_disk()?;
        std::thread::sleep(started.elapsed());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// A disk that counts its flushes, each taking `takes`.
    #[derive(Clone, Default)]
    struct CountingDisk {
        flushes: Arc<AtomicU32>,
        takes: Duration,
    }

    impl CountingDisk {
        fn flushes(&self) -> u32 {
            self.flushes.load(Ordering::SeqCst)
        }
    }

    impl Flush for CountingDisk {
        fn flush_to_disk(&self) -> io::Result<()> {
            self.flushes.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(self.takes);
            Ok(())
        }
    }

    #[test]
    fn each_slice_is_flushed_and_the_disk_left_alone_as_long_again() {
        let disk = CountingDisk {
            takes: Duration::from_millis(20),
            ..Default::default()
        };
        let mut paced = PacedWrites::new(&disk);
        let started = Instant::now();
        // Three slices and a bit, written a mebibyte at a time.
        for _ in 0..((3 * SLICE) >> 20) + 1 {
            paced.wrote(1 << 20).unwrap();
        }
        assert_eq!(
            disk.flushes(),
            3,
            "one flush per whole slice, none for the rest"
        );
        assert!(
            started.elapsed() >= Duration::from_millis(3 * 2 * 20),
            "each flush is followed by a rest as long: {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn commits_are_flushed_together_and_nothing_when_idle() {
        let disk = CountingDisk::default();
        drop(EarlyWriteback::every(disk.clone(), Duration::from_millis(200)).unwrap());
        assert_eq!(disk.flushes(), 0, "nothing committed, nothing flushed");

        let early = EarlyWriteback::every(disk.clone(), Duration::from_millis(200)).unwrap();
        for _ in 0..1000 {
            early.committed();
        }
        crate::testing::until(Duration::from_secs(10), || {
            (disk.flushes() == 0).then(|| "the commits were never flushed".to_string())
        });
        drop(early);
        // A burst well within one interval is one flush; two if the burst itself was held
        // up past the interval.
        assert!(
            (1..=2).contains(&disk.flushes()),
            "{} flushes for one burst",
            disk.flushes()
        );
    }
}
