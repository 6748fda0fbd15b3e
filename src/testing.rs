//! What the crate's unit tests share: waiting for a condition with a deadline.

use std::time::{Duration, Instant};

/// Polls `check` every few milliseconds until it gives `Ok`, for at most `within`; then
/// panics with the last `Err`, which says what was still awaited.
pub(crate) fn until(within: Duration, mut check: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + within;
    loop {
        let Err(waiting) = check() else {
            return;
        };
        assert!(Instant::now() < deadline, "{waiting}");
        std::thread::sleep(Duration::from_millis(5));
    }
}
