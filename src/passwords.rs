//! Passwords: argon2id hashing and checking, and new random passwords.
//!
//! Hashing runs on its own threads, at a lower CPU priority. Argon2id spends ~19 MiB and tens
//! of milliseconds of a core per call on purpose; on the shared blocking pool a flood of
//! logins would start one per request, all at once, and every store read (which runs on the
//! same pool) would wait for a core behind them. Here one hash runs per core but one (at
//! least one), so a core stays free for everything else; further logins queue. The hashing
//! threads run at nice 10 (`crate::background`), so a request that wakes up takes its core at
//! once. Measured in the login bench (README).

use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex, OnceLock};

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads' queue: one thread per core but one, started on first use and kept, so
/// a login costs no thread start (a new thread per hash, with its stack and argon2's 19 MiB
/// mapped and unmapped each time, held up the other threads of the process). A process-wide
/// static rather than part of `AppState` because hashing is also called where there is no
/// state (creating users from the CLI and at start-up), and the cores it protects are the
/// process's anyway.
fn queue() -> &'static std::sync::mpsc::Sender<Job> {
    static QUEUE: OnceLock<std::sync::mpsc::Sender<Job>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        // Logins wait here for their turn.
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..permits() {
            let rx = rx.clone();
            let started = std::thread::Builder::new()
                .name(format!("parley-hash-{i}"))
                .spawn(move || hash_jobs(&rx));
            if let Err(e) = started {
                tracing::error!(error = %e, "cannot start a hashing thread");
            }
        }
        tx
    })
}

/// A hashing thread: runs the queued jobs one at a time. When the queue runs dry it gives back
/// what its hashes freed (argon2's 19 MiB each) before it waits, so an idle server does not keep
/// them; a burst of logins reuses them instead (`crate::allocator`).
fn hash_jobs(queue: &Mutex<Receiver<Job>>) {
    crate::background::lower_priority();
    let mut hashed = false;
    loop {
        let next = match queue.lock() {
            Ok(queue) => queue.try_recv(),
            Err(_) => return,
        };
        let job = match next {
            Ok(job) => job,
            Err(TryRecvError::Disconnected) => return,
            Err(TryRecvError::Empty) => {
                if std::mem::take(&mut hashed) {
                    crate::allocator::release_free_memory();
                }
                match queue.lock().map(|queue| queue.recv()) {
                    Ok(Ok(job)) => job,
                    _ => return,
                }
            }
        };
        job();
        hashed = true;
    }
}

fn permits() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_sub(1).max(1)
}

/// Hashes `password` with argon2id (a PHC string).
pub async fn hash_password(password: String) -> Result<String, String> {
    use argon2::password_hash::PasswordHasher;
    run(move || {
        argon2::Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| format!("cannot hash password: {e}"))
    })
    .await
    .map_err(|e| format!("cannot hash password: {e}"))?
}

/// Checks a password against a stored hash. With no hash (unknown user) it still does the
/// same work against a throwaway hash, so response time does not reveal which names exist.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};
    static THROWAWAY: OnceLock<String> = OnceLock::new();
    run(move || {
        let argon = argon2::Argon2::default();
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| {
            THROWAWAY
                .get_or_init(|| {
                    argon
                        .hash_password(random_password().as_bytes())
                        .map(|h| h.to_string())
                        .unwrap_or_default()
                })
                .clone()
        });
        let matches = argon
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        known && matches
    })
    .await
    .unwrap_or(false)
}

/// A new random password: 16 characters from an alphabet without look-alikes (about 93 bits).
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// Runs `work` (hashing) on a hashing thread, at the lower priority, once one is free.
async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    queue()
        .send(job)
        .map_err(|_| "the hashing threads are gone".to_owned())?;
    rx.await.map_err(|_| "the hashing thread failed".to_owned())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_hashes_run_at_once_than_there_are_permits() {
        let permits = super::permits();
        let running = std::sync::Arc::new(AtomicUsize::new(0));
        let most = std::sync::Arc::new(AtomicUsize::new(0));
        let calls = (0..4 * permits).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            super::run(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
            })
        });
        for done in futures_util::future::join_all(calls).await {
            done.unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!(
            most >= 1 && most <= permits,
            "{most} at once, {permits} permits"
        );
    }
}

#[cfg(all(test, target_os = "linux"))]
mod priority_tests {
    #[tokio::test]
    async fn hashing_runs_at_the_lower_priority() {
        let own = || rustix::process::getpriority_process(Some(rustix::thread::gettid()));
        let inside = super::run(move || own().unwrap()).await.unwrap();
        assert!(inside >= 10, "nice {inside}");
        assert!(own().unwrap() < 10, "the caller keeps its priority");
    }
}
