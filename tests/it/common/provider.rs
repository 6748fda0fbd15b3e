//! A fake SMS provider that records what the server asked it to send.

use super::*;

/// One message a [`FakeProvider`] was asked to send.
#[derive(Clone, Debug)]
pub struct Sent {
    pub message: u64,
    pub from: String,
    pub to: String,
    pub body: String,
    /// The server's (manual) clock when the provider was called.
    pub at: chrono::DateTime<Utc>,
}

/// A provider that records every call; `answers` (consumed first to last) decide the first
/// calls' outcomes, later calls succeed. Calls itself "twilio" so status webhooks find its ids.
pub struct FakeProvider {
    pub sent: std::sync::Mutex<Vec<Sent>>,
    pub answers: std::sync::Mutex<std::collections::VecDeque<parley::sms::SendError>>,
    pub clock: std::sync::OnceLock<Arc<ManualClock>>,
}

impl FakeProvider {
    pub fn new(failures: Vec<parley::sms::SendError>) -> Arc<FakeProvider> {
        Arc::new(FakeProvider {
            sent: Default::default(),
            answers: std::sync::Mutex::new(failures.into()),
            clock: Default::default(),
        })
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    /// Waits until `n` calls were made (or fails at the deadline).
    pub async fn wait_calls(&self, n: usize) -> Vec<Sent> {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let sent = self.sent();
            if sent.len() >= n {
                return sent;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "provider called {} times, expected {n}: {sent:?}",
                sent.len()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl parley::sms::Provider for FakeProvider {
    fn name(&self) -> &'static str {
        "twilio"
    }

    fn send<'a>(
        &'a self,
        sms: &'a parley::sms::OutboundSms,
    ) -> futures_util::future::BoxFuture<'a, Result<parley::sms::SendReceipt, parley::sms::SendError>>
    {
        Box::pin(async move {
            let at = self.clock.get().map_or_else(Utc::now, |c| c.now());
            let mut sent = self.sent.lock().unwrap();
            sent.push(Sent {
                message: sms.message.0,
                from: sms.from.to_string(),
                to: sms.to.to_string(),
                body: sms.body.clone(),
                at,
            });
            let n = sent.len();
            drop(sent);
            match self.answers.lock().unwrap().pop_front() {
                Some(e) => Err(e),
                None => Ok(parley::sms::SendReceipt {
                    provider_id: format!("SMfake{n}"),
                    status: parley::domain::DeliveryStatus::Sent,
                }),
            }
        })
    }
}

impl TestServer {
    /// Boots with a [`FakeProvider`] that reads the server's clock.
    pub async fn start_faked(
        failures: Vec<parley::sms::SendError>,
    ) -> (TestServer, Arc<FakeProvider>) {
        Self::start_faked_with(failures, |_| {}).await
    }

    /// The same, with the config adjusted by `tweak`.
    pub async fn start_faked_with(
        failures: Vec<parley::sms::SendError>,
        tweak: impl FnOnce(&mut Config),
    ) -> (TestServer, Arc<FakeProvider>) {
        let fake = FakeProvider::new(failures);
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let server = Self::start_with(dir, tweak, Some(fake.clone())).await;
        let _ = fake.clock.set(server.clock.clone());
        (server, fake)
    }
}
