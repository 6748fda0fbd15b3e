//! Work at a lower CPU priority: search indexing and password hashing. Indexing and merging
//! segments are the server's largest CPU users after HTTP itself, and nothing waits on them;
//! on a small box they would otherwise take turns on the cores with the store writer, the ACD
//! and the request handlers, and every webhook waiting behind them pays in latency. Threads
//! inherit the priority of the thread that starts them, so tantivy's indexing and merge
//! threads started from here run lower too. Password hashing (`passwords`) runs here for the
//! same reason.
//!
//! A backup is lower still: it runs only on CPU time nothing else wants ([`run_when_idle`]).

/// Linux nice value: a thread at 10 gets about a tenth of a core that a busy normal thread
/// also wants, and all of an idle one.
const NICE: i32 = 10;

/// Runs `f` on a thread of its own called `name` (as profilers and `top -H` show it), at the
/// lower priority, and returns what it returns. A panic in `f`, or no thread to be had,
/// panics the caller (the indexer reports it and stops; the store keeps every change for the
/// next start).
pub fn run_as<T: Send>(name: &str, f: impl FnOnce() -> T + Send) -> T {
    run_on_own_thread(name, lower_priority, f)
}

/// [`run_as`], at the idle scheduling class (`SCHED_IDLE`): any other thread that wakes up
/// takes the core at once. At nice 10 a woken request handler could wait a scheduler slice
/// (a few ms) for the thread to give the core up: during a backup at a steady 2,000 webhooks
/// a second their p99 rose from about 4.5 ms to 10.6–11.9 ms, and to 7.5–7.9 ms at this
/// class (growth bench, 500,000 messages, 2026-12-06). The price: on a server busy on every
/// core the work waits for a quiet moment (that backup took 24–30 s instead of 14–17 s
/// while webhooks came as fast as they were answered).
pub fn run_when_idle<T: Send>(name: &str, f: impl FnOnce() -> T + Send) -> T {
    run_on_own_thread(name, idle_class, f)
}

fn run_on_own_thread<T: Send>(name: &str, lower: fn(), f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name(name.into())
            .spawn_scoped(scope, || {
                lower();
                f()
            });
        match worker.map(|handle| handle.join()) {
            Ok(Ok(out)) => out,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(e) => panic!("cannot start a background thread: {e}"),
        }
    })
}

/// Lowers the calling thread's priority to nice 10 (never raises it).
#[cfg(target_os = "linux")]
pub fn lower_priority() {
    // On Linux the nice value belongs to the thread, so this leaves the rest of the process
    // as it is.
    let thread = Some(rustix::thread::gettid());
    // Never raise it: a Parley started with `nice` stays at least that low.
    let current = rustix::process::getpriority_process(thread).unwrap_or(0);
    if current < NICE
        && let Err(e) = rustix::process::setpriority_process(thread, NICE)
    {
        tracing::debug!(error = %e, "cannot lower a background thread's priority");
    }
}

#[cfg(not(target_os = "linux"))]
pub fn lower_priority() {}

/// Moves the calling thread to the idle scheduling class; at nice 19 where that is refused.
#[cfg(target_os = "linux")]
fn idle_class() {
    let param = libc::sched_param { sched_priority: 0 };
    // Sound: `param` is a valid, initialised `sched_param` that outlives the call, which only
    // reads it; pid 0 is the calling thread. No Rust invariant rests on a thread's class.
    #[allow(unsafe_code)]
    let set = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
    if set != 0 {
        tracing::debug!(
            error = %std::io::Error::last_os_error(),
            "cannot move a background thread to the idle class"
        );
        let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19);
    }
}

#[cfg(not(target_os = "linux"))]
fn idle_class() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn the_work_runs_lower_and_the_caller_stays_as_it_was() {
        let own = || rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let before = own();
        let (inside, spawned) = super::run_as("test", || {
            // A thread started from the work inherits its priority (as tantivy's do).
            let spawned = std::thread::spawn(own).join().unwrap();
            (own(), spawned)
        });
        assert_eq!(inside, before.max(super::NICE));
        assert_eq!(spawned, inside);
        assert_eq!(own(), before);
    }

    /// The calling thread's scheduling policy: field 41 of `/proc/thread-self/stat`.
    fn policy() -> Option<u32> {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
        // The name (field 2) is in parentheses and may hold spaces; count after it.
        let after_name = stat.get(stat.rfind(')')? + 2..)?;
        after_name.split(' ').nth(41 - 3)?.parse().ok()
    }

    #[test]
    fn idle_work_runs_at_the_idle_class_and_the_caller_stays_as_it_was() {
        let before = policy().unwrap();
        assert_ne!(before, libc::SCHED_IDLE as u32);
        let (inside, spawned) = super::run_when_idle("test", || {
            (policy(), std::thread::spawn(policy).join().unwrap())
        });
        assert_eq!(inside, Some(libc::SCHED_IDLE as u32));
        assert_eq!(spawned, inside, "threads it starts inherit the class");
        assert_eq!(policy(), Some(before));
    }
}
