//! The process's allocator, mimalloc, the calls that make it give memory back, and
//! how much memory the process holds.
//!
//! Every webhook makes many small, short-lived allocations on several threads, which glibc's
//! malloc serves slowly; with mimalloc's per-thread heaps the load bench's durable webhook rate
//! rose by about a quarter (README, Benchmark). Built without transparent huge pages (the
//! `no_thp` feature): with them the kernel filled mimalloc's regions out to 2 MiB pages in the
//! background, and an idle server's memory grew by tens of MB (BENCHMARK-LOG.md, 2026-12-05).

use std::ffi::c_long;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v3's `mi_option_purge_delay` (its `mi_option_t` enum; the bindings' constants
/// follow v2's numbering and lack it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Makes memory freed back to mimalloc's arenas return to the system at once. By default a
/// free only schedules that for a second later, and the purge then waits for some thread to
/// allocate on a slow path or collect: a server gone quiet kept for good what its last work
/// freed. A start after a crash under load idled at 45–50 MB with this, 58–66 MB without;
/// it costs the webhooks about a tenth of their rate (README, design notes). Set when the
/// server starts (`run_with`).
pub fn return_freed_memory_at_once() {
    set_purge_delay(0);
}

/// Sets mimalloc's purge delay, in milliseconds; returns it as it was.
fn set_purge_delay(delay: c_long) -> c_long {
    // The crate's unsafe calls are the FFI calls in this file. Sound: these get and set an
    // integer option of mimalloc's, internally synchronized, and pass no pointer.
    #[allow(unsafe_code)]
    unsafe {
        let was = libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY);
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, delay);
        was
    }
}

/// Returns to the operating system what the calling thread's heap has freed and still keeps
/// for reuse. mimalloc otherwise hands such pages back only as later allocations and frees
/// come round to them, which never happens on a thread that has gone idle: one password
/// hash (argon2's 19 MiB) left about 5 MB resident for good, and a fresh demo idled at
/// 48–50 MB instead of 36–37.
/// Costs a walk of the thread's pages and a few `madvise` calls; call it when a thread goes
/// idle after heavy work, not on a hot path.
pub fn release_free_memory() {
    // Sound: `mi_collect` takes only a bool, passes no pointer either way, and works on the
    // calling thread's own heap and mimalloc's internally locked arenas; no Rust invariant
    // rests on what it does.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
}

/// This process's resident memory of one kind, in bytes, as Linux reports it in
/// `/proc/self/status` (`field`: `VmRSS` for all of it, `RssAnon` for the heap and other
/// anonymous memory); `None` where the system does not report it.
pub fn resident(field: &str) -> Option<u64> {
    status_bytes(&std::fs::read_to_string("/proc/self/status").ok()?, field)
}

/// The memory `field` of a `/proc/PID/status` text (`VmRSS:   1234 kB`), in bytes.
pub fn status_bytes(status: &str, field: &str) -> Option<u64> {
    let value = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?;
    let kib: u64 = value.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::{release_free_memory, resident, set_purge_delay};

    /// This process's anonymous resident memory, in bytes.
    fn resident_anon() -> u64 {
        resident("RssAnon").unwrap_or(0)
    }

    /// Both ways memory goes back, in one test: the option is the whole process's, and the
    /// collect must be seen to work without it.
    #[test]
    fn what_a_thread_frees_goes_back_to_the_system() {
        let collected = std::thread::spawn(|| {
            // 128 MiB in small blocks, written so every page is resident, then freed.
            let blocks: Vec<Vec<u8>> = (0..8192).map(|_| vec![1u8; 16 * 1024]).collect();
            drop(blocks);
            let before = resident_anon();
            release_free_memory();
            before.saturating_sub(resident_anon())
        })
        .join()
        .unwrap_or_default();
        // Without the call mimalloc keeps them for its purge delay, or, on a thread that
        // goes idle, for good.
        assert!(collected >= 64 << 20, "only {collected} bytes went back");

        let was = set_purge_delay(0);
        let freed = std::thread::spawn(|| {
            // 64 MiB in blocks of 4 MiB, each in pages of its own, written so every page is
            // resident, then freed.
            let blocks: Vec<Vec<u8>> = (0..16).map(|_| vec![1u8; 4 << 20]).collect();
            let before = resident_anon();
            drop(blocks);
            before.saturating_sub(resident_anon())
        })
        .join()
        .unwrap_or_default();
        // Not left on for the other tests: the crash trials take 3.6 times as long with it.
        set_purge_delay(was);
        // Otherwise they stay resident until a purge a second later, which itself waits for
        // a thread to allocate on a slow path or collect.
        assert!(
            freed >= 32 << 20,
            "only {freed} bytes went back without a collect"
        );
    }
}
