//! The process's allocator, mimalloc, the calls that make it give memory back, and
//! how much memory the process holds.
//!
//! Every webhook makes many small, short-lived allocations on several threads, which glibc's
//! malloc serves slowly; with mimalloc's per-thread heaps the load bench's durable webhook rate
//! rose by about a quarter (README, Benchmark). Built without transparent huge pages (the
//! `no_thp` feature): with them the kernel filled mimalloc's regions out to 2 MiB pages in the
//! background, and an idle server's memory grew by tens of MB (BENCHMARK-LOG.md, 2026-12-05).

use std::ffi::c_long;
use std::sync::Mutex;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v3's `mi_option_purge_delay` (its `mi_option_t` enum; the bindings' constants
/// follow v2's numbering and lack it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Store writers at work (see [`AtWork`]), and the purge delay mimalloc started with (its
/// default, a second, or `MIMALLOC_PURGE_DELAY`) once one has been.
static AT_WORK: Mutex<(usize, Option<c_long>)> = Mutex::new((0, None));

/// Held by a store writer while it has work. While none does, memory freed back to
/// mimalloc's arenas goes back to the system at once; while one does, it waits for
/// mimalloc's purge delay. By default a free only marks it to go a second later, and it goes
/// when some thread next allocates on a slow path or collects: on a server gone quiet none
/// does, and what its last work freed (a start's indexing, merges, exiting threads) stayed.
/// At once all the time, every large free costs a `madvise` and its next use page faults:
/// about a tenth of the webhooks' rate under load, and the crash trials ran 3.6 times as
/// long (README, design notes).
pub struct AtWork(());

impl AtWork {
    pub fn begin() -> AtWork {
        change(true);
        AtWork(())
    }
}

impl Drop for AtWork {
    fn drop(&mut self) {
        change(false);
    }
}

/// Counts a writer in (`begin`) or out, and sets the purge delay when the count leaves or
/// reaches 0.
fn change(begin: bool) {
    let mut at_work = AT_WORK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(delay) = count(&mut at_work, begin, || purge_delay(None)) {
        purge_delay(Some(delay));
    }
}

/// The count's step: the purge delay to set, if it changes (`current` reads it).
fn count(
    (writers, busy): &mut (usize, Option<c_long>),
    begin: bool,
    current: impl FnOnce() -> c_long,
) -> Option<c_long> {
    if begin {
        *writers += 1;
        let busy = *busy.get_or_insert_with(current);
        (*writers == 1).then_some(busy)
    } else {
        *writers = writers.saturating_sub(1);
        (*writers == 0).then_some(0)
    }
}

/// Sets mimalloc's purge delay in milliseconds to `set`, if given; returns it as it was.
fn purge_delay(set: Option<c_long>) -> c_long {
    // The crate's unsafe calls are the FFI calls in this file. Sound: these get and set an
    // integer option of mimalloc's, internally synchronized, and pass no pointer.
    #[allow(unsafe_code)]
    unsafe {
        let was = libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY);
        if let Some(delay) = set {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, delay);
        }
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
    // Sound: `mi_collect` takes only a
    // bool, passes no pointer either way, and works on the calling thread's own heap and
    // mimalloc's internally locked arenas; no Rust invariant rests on what it does.
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
    use super::{AT_WORK, count, purge_delay, release_free_memory, resident};

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

        // Held so that no store writer of another test changes the delay meanwhile.
        let at_work = AT_WORK.lock().unwrap_or_else(|e| e.into_inner());
        let was = purge_delay(Some(0));
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
        purge_delay(Some(was));
        drop(at_work);
        // Otherwise they stay resident until a purge a second later, which itself waits for
        // a thread to allocate on a slow path or collect.
        assert!(
            freed >= 32 << 20,
            "only {freed} bytes went back without a collect"
        );
    }

    #[test]
    fn freed_memory_waits_only_while_a_writer_is_at_work() {
        let mut state = (0, None);
        // The first writer at work reads the delay mimalloc started with and sets it.
        assert_eq!(count(&mut state, true, || 1000), Some(1000));
        assert_eq!(count(&mut state, true, || unreachable!()), None);
        assert_eq!(count(&mut state, false, || unreachable!()), None);
        // The last one to go idle makes freed memory go at once.
        assert_eq!(count(&mut state, false, || unreachable!()), Some(0));
        // Later, the delay it started with again, not the 0 set meanwhile.
        assert_eq!(count(&mut state, true, || 0), Some(1000));
    }
}
