//! The outbox's sender: one task sends stored messages in order, holding each number to its
//! campaign's rate and retrying transient failures with exponential backoff. Each send is
//! claimed in the store before the provider is called, so none is ever sent twice, also
//! across a crash.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::outbound::{Outbox, announce_carrier_opt_out};
use super::provider::{OutboundSms, Providers, SendError};
use super::rate::Bucket;
use crate::clock::Clock;
use crate::domain::{E164, Message, MessageId, carrier_code_blocks};
use crate::live::{AgentPush, Hub};
use crate::metrics::{Metrics, SendStatus};
use crate::store::{self, Claim, OutboxEntry, PreparedSend, SendOutcome, Store, StoreError};
use crate::tasks::{Shutdown, Tasks};

/// Attempts before a transiently failing message is given up as failed.
const MAX_ATTEMPTS: u32 = 8;
/// Entries sent per pass before the outbox looks for newer ones.
const BATCH: usize = 32;

pub fn spawn(
    store: Store,
    providers: Providers,
    hub: Arc<Hub>,
    clock: Clock,
    metrics: Arc<Metrics>,
    shutdown: Shutdown,
    tasks: &mut Tasks,
) -> Outbox {
    let outbox = Outbox::default();
    let wake = outbox.wake.clone();
    tasks.spawn("outbox", async move {
        let mut sender = Sender {
            store,
            providers,
            hub,
            clock,
            metrics,
            buckets: HashMap::new(),
        };
        if let Err(e) = sender.fail_interrupted().await {
            tracing::error!(error = %e, "interrupted sends could not be recorded");
        }
        loop {
            let next = match sender.pass().await {
                Ok(next) => next,
                Err(e) => {
                    tracing::error!(error = %e, "outbox pass failed");
                    Some(sender.clock.now() + Duration::seconds(5))
                }
            };
            let clock = sender.clock.clone();
            tokio::select! {
                _ = shutdown.wait() => break,
                _ = wake.notified() => {}
                _ = async {
                    match next {
                        Some(at) => clock.sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                } => {}
            }
        }
        tracing::debug!("outbox stopped");
    });
    outbox
}

struct Sender {
    store: Store,
    providers: Providers,
    hub: Arc<Hub>,
    clock: Clock,
    metrics: Arc<Metrics>,
    /// One per number we send from.
    buckets: HashMap<E164, Bucket>,
}

impl Sender {
    /// Records every send a crash left in flight as failed (never sent again).
    async fn fail_interrupted(&self) -> Result<(), StoreError> {
        let now = self.clock.now();
        let failed = self
            .store
            .write(move |txn| store::fail_interrupted_sends(txn, now))
            .await?;
        for m in failed {
            self.metrics.outbound_sends.get(SendStatus::Failed).inc();
            tracing::warn!(message = %m.id, "send interrupted by a stop; recorded as failed");
            self.push_status(&m).await;
        }
        Ok(())
    }

    /// Sends everything due whose number has rate left; returns when to look again.
    async fn pass(&mut self) -> Result<Option<DateTime<Utc>>, StoreError> {
        // Numbers whose rate is used up, and when each has room again.
        let mut held: HashMap<E164, DateTime<Utc>> = HashMap::new();
        loop {
            let now = self.clock.now();
            let skip: HashSet<E164> = held.keys().cloned().collect();
            let due = self
                .store
                .read(move |txn| store::due_outbox(txn, now, BATCH, &skip))
                .await?;
            let full = due.len() == BATCH;
            let mut progressed = false;
            for (id, entry) in due {
                if entry.from.as_ref().is_some_and(|f| held.contains_key(f)) {
                    continue;
                }
                let Some(prepared) = self
                    .store
                    .read(move |txn| store::prepare_send(txn, id))
                    .await?
                else {
                    let gone = SendOutcome::Failed {
                        error: "message not found".into(),
                        code: None,
                    };
                    self.record(id, gone).await?;
                    progressed = true;
                    continue;
                };
                let number = prepared.workitem.our_number.clone();
                let bucket = self
                    .buckets
                    .entry(number.clone())
                    .or_insert_with(|| Bucket::new(prepared.rate, now));
                if let Err(free_at) = bucket.take(now, prepared.rate) {
                    held.insert(number, free_at);
                    continue;
                }
                self.send_one(id, entry, prepared).await?;
                progressed = true;
            }
            // Held entries come back in the next read only when their number had no `from`
            // recorded; without progress, stop rather than read them again.
            if !full || !progressed {
                break;
            }
        }
        let skip: HashSet<E164> = held.keys().cloned().collect();
        let next_due = self
            .store
            .read(move |txn| store::next_outbox_due(txn, &skip))
            .await?;
        Ok(next_due.into_iter().chain(held.into_values()).min())
    }

    async fn send_one(
        &self,
        id: MessageId,
        entry: OutboxEntry,
        prepared: PreparedSend,
    ) -> Result<(), StoreError> {
        let PreparedSend {
            message,
            workitem,
            provider,
            ..
        } = prepared;
        let Some(provider) = self.providers.pick(provider.as_deref()).cloned() else {
            let missing = SendOutcome::Failed {
                error: format!(
                    "the campaign sends through “{}”, which this server has no credentials for",
                    provider.unwrap_or_default()
                ),
                code: None,
            };
            return self.record(id, missing).await;
        };
        let to = workitem.customer.clone();
        let now = self.clock.now();
        let claim = self
            .store
            .write(move |txn| store::claim_send(txn, id, &to, now))
            .await?;
        match claim {
            Claim::Go => {}
            Claim::OptedOut(m) => {
                self.metrics.outbound_sends.get(SendStatus::OptedOut).inc();
                tracing::info!(message = %id, "not sent: the customer opted out");
                self.push_status(&m).await;
                return Ok(());
            }
            Claim::Skip => return Ok(()),
        }
        let sms = OutboundSms {
            message: id,
            from: workitem.our_number.clone(),
            to: workitem.customer.clone(),
            body: message.body.clone(),
        };
        // Backoff counts from the attempt's start, not from when the provider answered.
        let started = self.clock.now();
        let outcome = match provider.send(&sms).await {
            Ok(receipt) => SendOutcome::Sent {
                provider: provider.name(),
                provider_id: receipt.provider_id,
                status: receipt.status,
            },
            Err(SendError::Transient(error)) if entry.attempts + 1 < MAX_ATTEMPTS => {
                let delay = Duration::seconds(1i64 << entry.attempts.min(8));
                tracing::warn!(message = %id, attempt = entry.attempts + 1, %error, "send failed, will retry");
                SendOutcome::Retry {
                    at: started + delay,
                    error,
                }
            }
            Err(e) => {
                tracing::warn!(message = %id, error = %e, "send failed for good");
                let code = match &e {
                    SendError::Permanent { code, .. } => Some(code.clone()),
                    SendError::Transient(_) | SendError::Uncertain(_) => None,
                };
                SendOutcome::Failed {
                    error: e.to_string(),
                    code,
                }
            }
        };
        self.record(id, outcome).await
    }

    async fn record(&self, id: MessageId, outcome: SendOutcome) -> Result<(), StoreError> {
        let status = match &outcome {
            SendOutcome::Sent { .. } => SendStatus::Sent,
            SendOutcome::Retry { .. } => SendStatus::Retrying,
            SendOutcome::Failed { .. } => SendStatus::Failed,
        };
        self.metrics.outbound_sends.get(status).inc();
        let now = self.clock.now();
        let blocks =
            matches!(&outcome, SendOutcome::Failed { code: Some(c), .. } if carrier_code_blocks(c));
        let updated = self
            .store
            .write(move |txn| store::record_send(txn, id, &outcome, now))
            .await?;
        if let Some(m) = updated {
            self.push_status(&m).await;
            if blocks {
                announce_carrier_opt_out(&self.store, &self.hub, m.workitem).await;
            }
        }
        Ok(())
    }

    /// Shows a message's new status to the agent whose workitem it is in.
    async fn push_status(&self, m: &Message) {
        let workitem = m.workitem;
        let agent = self
            .store
            .read(move |txn| store::workitem(txn, workitem))
            .await
            .ok()
            .flatten()
            .and_then(|w| w.agent);
        if let Some(agent) = agent {
            self.hub.push_agent(
                agent,
                AgentPush::MessageStatus {
                    workitem: m.workitem,
                    message: m.id,
                    status: m.status,
                    error: m.error.clone(),
                },
            );
        }
    }
}
