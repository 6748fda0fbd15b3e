//! Agents' replies and the outbox: every outbound message is stored (with an outbox entry) in
//! the same transaction as the agent's request, then sent by one task that retries transient
//! failures with exponential backoff. A crash between sending and recording can resend once;
//! a stored message is never lost.

use std::sync::Arc;

use chrono::Duration;
use tokio::sync::Notify;

use super::provider::{OutboundSms, Provider, SendError};
use crate::clock::Clock;
use crate::domain::{Message, MessageId, UserId, WorkitemId, WorkitemState};
use crate::live::{AgentPush, Hub};
use crate::store::{self, OutboxEntry, SendOutcome, Store, StoreError};
use crate::tasks::{Shutdown, Tasks};

/// Longest SMS body accepted (10 concatenated segments).
pub const MAX_BODY_CHARS: usize = 1600;
/// Attempts before a transiently failing message is given up as failed.
const MAX_ATTEMPTS: u32 = 8;
/// Entries sent per pass before the outbox looks for newer ones.
const BATCH: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is too long ({0} characters; at most {MAX_BODY_CHARS})")]
    TooLong(usize),
    #[error("this workitem is not one of your active workitems")]
    NotYours,
    #[error("no such workitem")]
    UnknownWorkitem,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Wakes the outbox task when a new message is stored.
#[derive(Clone, Default)]
pub struct Outbox {
    wake: Arc<Notify>,
}

impl Outbox {
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Stores an agent's reply on their active workitem and queues it for sending.
pub async fn send_reply(
    store: &Store,
    outbox: &Outbox,
    clock: &Clock,
    agent: UserId,
    workitem: WorkitemId,
    body: &str,
) -> Result<Message, ReplyError> {
    let body = body.trim_end().to_owned();
    if body.trim().is_empty() {
        return Err(ReplyError::Empty);
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(ReplyError::TooLong(chars));
    }
    let at = clock.now();
    let message = store
        .write(move |txn| {
            // Checked inside the transaction: the workitem cannot be terminated in between.
            let table = txn.open_table(store::WORKITEMS)?;
            let Some(w) =
                store::get_json::<crate::domain::Workitem>(&table, "workitems", workitem.0)?
            else {
                return Ok(Err(ReplyError::UnknownWorkitem));
            };
            drop(table);
            if w.state != WorkitemState::Active || w.agent != Some(agent) {
                return Ok(Err(ReplyError::NotYours));
            }
            store::insert_outbound(txn, workitem, agent, &body, at).map(Ok)
        })
        .await??;
    outbox.wake();
    Ok(message)
}

pub fn spawn(
    store: Store,
    provider: Arc<dyn Provider>,
    hub: Arc<Hub>,
    clock: Clock,
    shutdown: Shutdown,
    tasks: &mut Tasks,
) -> Outbox {
    let outbox = Outbox::default();
    let wake = outbox.wake.clone();
    tasks.spawn("outbox", async move {
        let sender = Sender {
            store,
            provider,
            hub,
            clock,
        };
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
    provider: Arc<dyn Provider>,
    hub: Arc<Hub>,
    clock: Clock,
}

impl Sender {
    /// Sends everything due; returns when the next entry falls due, if any is waiting.
    async fn pass(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        loop {
            let now = self.clock.now();
            let due = self
                .store
                .read(move |txn| store::due_outbox(txn, now, BATCH))
                .await?;
            let full = due.len() == BATCH;
            for (id, entry) in due {
                self.send_one(id, entry).await?;
            }
            if !full {
                break;
            }
        }
        self.store.read(store::next_outbox_due).await
    }

    async fn send_one(&self, id: MessageId, entry: OutboxEntry) -> Result<(), StoreError> {
        let found = self
            .store
            .read(move |txn| {
                let Some(m) = store::message(txn, id)? else {
                    return Ok(None);
                };
                Ok(store::workitem(txn, m.workitem)?.map(|w| (m, w)))
            })
            .await?;
        let Some((message, workitem)) = found else {
            // The message is gone: nothing can be sent; drop the entry.
            self.record(
                id,
                SendOutcome::Failed {
                    error: "message not found".into(),
                },
                None,
            )
            .await?;
            return Ok(());
        };
        let sms = OutboundSms {
            message: id,
            from: workitem.our_number.clone(),
            to: workitem.customer.clone(),
            body: message.body.clone(),
        };
        // Backoff counts from the attempt's start, not from when the provider answered.
        let started = self.clock.now();
        let outcome = match self.provider.send(&sms).await {
            Ok(receipt) => SendOutcome::Sent {
                provider: self.provider.name(),
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
                SendOutcome::Failed {
                    error: e.to_string(),
                }
            }
        };
        self.record(id, outcome, workitem.agent).await
    }

    async fn record(
        &self,
        id: MessageId,
        outcome: SendOutcome,
        agent: Option<UserId>,
    ) -> Result<(), StoreError> {
        let updated = self
            .store
            .write(move |txn| store::record_send(txn, id, &outcome))
            .await?;
        if let (Some(m), Some(agent)) = (updated, agent) {
            self.hub.push_agent(
                agent,
                AgentPush::MessageStatus {
                    workitem: m.workitem,
                    message: m.id,
                    status: m.status,
                    error: m.error,
                },
            );
        }
        Ok(())
    }
}
