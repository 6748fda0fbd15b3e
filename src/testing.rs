//! What the crate's unit tests share: waiting for a condition with a deadline.

use std::time::{Duration, Instant};

/// Polls `waiting` every few milliseconds until it gives `None`, for at most `within`; then
/// panics with what it last said was still awaited.
pub(crate) fn until(within: Duration, mut waiting: impl FnMut() -> Option<String>) {
    let deadline = Instant::now() + within;
    while let Some(awaited) = waiting() {
        assert!(Instant::now() < deadline, "{awaited}");
        std::thread::sleep(Duration::from_millis(5));
    }
}
