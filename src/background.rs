//! Work at a lower CPU priority: search indexing and password hashing. Indexing and merging
//! segments are the server's largest CPU users after HTTP itself, and nothing waits on them;
//! on a small box they would otherwise take turns on the cores with the store writer, the ACD
//! and the request handlers, and every webhook waiting behind them pays in latency. Threads
//! inherit the priority of the thread that starts them, so tantivy's indexing and merge
//! threads started from here run lower too. Password hashing (`passwords`) runs here for the
//! same reason.

/// Linux nice value: a thread at 10 gets about a tenth of a core that a busy normal thread
/// also wants, and all of an idle one.
const NICE: i32 = 10;

/// Runs `f` on a thread of its own called `name` (as profilers and `top -H` show it), at the
/// lower priority, and returns what it returns. A panic in `f`, or no thread to be had,
/// panics the caller (the indexer reports it and stops; the store keeps every change for the
/// next start).
pub fn run_as<T: Send>(name: &str, f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name(name.into())
            .spawn_scoped(scope, || {
                lower_priority();
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
}
