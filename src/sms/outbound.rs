//! Agents' replies and the outbox: every outbound message is stored (with an outbox entry) in
//! the same transaction as the agent's request, then sent by one task that holds each number to
//! its rate and retries transient failures with exponential backoff. Each send is claimed in the
//! store before the provider is called, so none is ever sent twice, also across a crash.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::Notify;

use super::provider::{OutboundSms, Providers, SendError};
use super::rate::Bucket;
use crate::clock::Clock;
use crate::domain::{Consent, E164, Message, MessageId, UserId, WorkitemId, WorkitemState};
use crate::live::{AgentPush, Hub};
use crate::store::{self, Claim, OutboxEntry, PreparedSend, SendOutcome, Store, StoreError};
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
    #[error("the customer opted out of messages on {} ({})", .0.since.format("%Y-%m-%d %H:%M UTC"), .0.source.kind())]
    OptedOut(Consent),
    #[error("{0}")]
    QuietHours(String),
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
            if let Some(consent) = store::opted_out_in(txn, &w.customer)? {
                return Ok(Err(ReplyError::OptedOut(consent)));
            }
            if let Err(e) = quiet_hours_for_reply(txn, &w, at)? {
                return Ok(Err(ReplyError::QuietHours(e.to_string())));
            }
            store::insert_outbound(txn, workitem, agent, &body, at).map(Ok)
        })
        .await??;
    outbox.wake();
    Ok(message)
}

/// A conversation we started is held to the campaign's sending hours until the customer
/// answers; a reply to a customer who wrote is never held back.
fn quiet_hours_for_reply(
    txn: &redb::WriteTransaction,
    w: &crate::domain::Workitem,
    at: DateTime<Utc>,
) -> Result<Result<(), super::compose::ComposeError>, StoreError> {
    if !w.outbound {
        return Ok(Ok(()));
    }
    let Some(campaign) = w
        .campaign
        .map(|c| store::campaign_in(txn, c))
        .transpose()?
        .flatten()
    else {
        return Ok(Ok(()));
    };
    if store::customer_has_written(txn, w.id)? {
        return Ok(Ok(()));
    }
    let contact = store::contact_in(txn, w.contact)?;
    Ok(super::compose::check_quiet_hours(
        &campaign,
        contact.as_ref(),
        at,
    ))
}

pub fn spawn(
    store: Store,
    providers: Providers,
    hub: Arc<Hub>,
    clock: Clock,
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
        let now = self.clock.now();
        let updated = self
            .store
            .write(move |txn| store::record_send(txn, id, &outcome, now))
            .await?;
        if let Some(m) = updated {
            self.push_status(&m).await;
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
