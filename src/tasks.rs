//! The shutdown signal and the set of named background tasks, awaited in order at shutdown.

use std::future::Future;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A cloneable shutdown signal: `trigger` once, every clone sees it.
#[derive(Clone)]
pub struct Shutdown {
    tx: watch::Sender<bool>,
    rx: watch::Receiver<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        let (tx, rx) = watch::channel(false);
        Shutdown { tx, rx }
    }
}

impl Shutdown {
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once `trigger` has been called (at once if it already was).
    pub async fn wait(&self) {
        let mut rx = self.rx.clone();
        // An error means every sender is gone, which only happens after trigger.
        let _ = rx.wait_for(|stopped| *stopped).await;
    }
}

/// Background tasks owned by the server; each is named so shutdown can log what it waits on.
#[derive(Default)]
pub struct Tasks {
    handles: Vec<(&'static str, JoinHandle<()>)>,
}

impl Tasks {
    pub fn spawn(&mut self, name: &'static str, fut: impl Future<Output = ()> + Send + 'static) {
        self.handles.push((name, tokio::spawn(fut)));
    }

    /// Awaits every task in the order it was spawned.
    pub async fn join(self) {
        for (name, handle) in self.handles {
            tracing::debug!(task = name, "waiting for task to stop");
            if let Err(e) = handle.await {
                tracing::error!(task = name, error = %e, "task ended abnormally");
            }
        }
    }
}
