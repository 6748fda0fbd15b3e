//! Time, passed in rather than read from the system, so tests can move it by hand.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

#[derive(Clone, Default)]
pub enum Clock {
    #[default]
    System,
    /// A clock that moves only when a test advances it.
    Manual(Arc<ManualClock>),
}

pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    moved: watch::Sender<()>,
}

impl Clock {
    /// A manual clock starting at `start`, and the handle that moves it.
    pub fn manual(start: DateTime<Utc>) -> (Clock, Arc<ManualClock>) {
        let (moved, _) = watch::channel(());
        let manual = Arc::new(ManualClock {
            now: Mutex::new(start),
            moved,
        });
        (Clock::Manual(manual.clone()), manual)
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Manual(m) => m.now(),
        }
    }

    /// Resolves once the clock reads `deadline` or later.
    pub async fn sleep_until(&self, deadline: DateTime<Utc>) {
        match self {
            Clock::System => {
                let wait = (deadline - Utc::now()).to_std().unwrap_or_default();
                tokio::time::sleep(wait).await;
            }
            Clock::Manual(m) => {
                let mut moved = m.moved.subscribe();
                while m.now() < deadline {
                    if moved.changed().await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

impl ManualClock {
    pub fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn advance(&self, by: chrono::Duration) {
        {
            let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
            *now += by;
        }
        self.moved.send_replace(());
    }
}

/// An RFC 3339 time as UTC, for unit tests.
#[cfg(test)]
pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}
