//! (c)'s floor: what the disk alone allows at (c)'s pace, for any design that answers a message
//! only once it is durable. On a shared virtual disk a single `fdatasync` now and then takes
//! tens of milliseconds, and every message arriving meanwhile waits for it; this loop shows how
//! much of (c)'s tail that explains, measured on the same disk in the same run.

use std::os::unix::fs::FileExt as _;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::percentile;
use parley::store::SLOW_SYNC;

/// Written as zeros first, so each write overwrites an allocated block (like the store's log).
const FILE_BYTES: u64 = 16 << 20;
const BLOCK: usize = 4096;
/// Sleeping this close to an arrival risks waking late; the loop spins instead.
const SPIN: Duration = Duration::from_micros(200);

pub struct Floor {
    /// Arrival → durable: p50, p95, p99, max.
    pub latency: [Duration; 4],
    pub syncs: usize,
    /// Syncs slower than the store's [`SLOW_SYNC`].
    pub stalls: usize,
    pub slowest_sync: Duration,
}

/// Messages "arrive" `rate` times a second for `duration`. One thread, doing nothing else,
/// answers each after the first 4 KiB write + `fdatasync` that starts at or after its
/// arrival: every message waiting when a sync starts shares it (ideal group commit).
pub fn paced_durable_floor(dir: &Path, rate: u32, duration: Duration) -> std::io::Result<Floor> {
    let path = dir.join("floor.bin");
    let file = std::fs::File::create(&path)?;
    file.write_all_at(&vec![0; FILE_BYTES as usize], 0)?;
    file.sync_all()?;

    let interval = Duration::from_secs(1) / rate;
    let count = (duration.as_secs_f64() * f64::from(rate)).ceil() as usize;
    let t0 = Instant::now() + Duration::from_millis(50);
    let arrival = |i: usize| t0 + interval * i as u32;
    let block = [0xa5u8; BLOCK];
    let mut offset = 0u64;
    let mut latencies = Vec::with_capacity(count);
    let (mut syncs, mut stalls, mut slowest_sync) = (0, 0, Duration::ZERO);
    let mut next = 0;
    while next < count {
        wait_until(arrival(next));
        let started = Instant::now();
        // Every arrival up to now joins this sync.
        let due = ((started - t0).as_nanos() / interval.as_nanos()) as usize + 1;
        let due = due.clamp(next + 1, count);
        file.write_all_at(&block, offset)?;
        file.sync_data()?;
        let done = Instant::now();
        offset = (offset + BLOCK as u64) % FILE_BYTES;
        let took = done - started;
        syncs += 1;
        stalls += usize::from(took > SLOW_SYNC);
        slowest_sync = slowest_sync.max(took);
        latencies.extend((next..due).map(|i| done - arrival(i)));
        next = due;
    }
    drop(file);
    std::fs::remove_file(&path)?;

    latencies.sort();
    Ok(Floor {
        latency: [50.0, 95.0, 99.0, 100.0].map(|p| percentile(&latencies, p)),
        syncs,
        stalls,
        slowest_sync,
    })
}

fn wait_until(at: Instant) {
    loop {
        let now = Instant::now();
        if now >= at {
            return;
        }
        let left = at - now;
        if left > SPIN {
            std::thread::sleep(left - SPIN);
        } else {
            std::hint::spin_loop();
        }
    }
}
