//! Inbound messages: stored durably first, then handed to the ACD. One task gathers the
//! messages that arrive while the previous batch commits and stores them together, so many
//! concurrent webhooks cost one transaction (on top of the store's own group commit).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::outbound::Outbox;
use super::simulator::NAME as SIMULATOR;
use crate::acd::Acd;
use crate::domain::{Consent, ConsentSource, Keyword};
use crate::live::{Hub, PhonePush};
use crate::metrics::{InboundOutcome, Metrics};
use crate::store::{InboundSms, Ingested, Store, StoreError};

/// Most messages stored in one batch.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<Ingested, StoreError>>;

/// Where providers hand in customers' messages.
#[derive(Clone)]
pub struct Inbound {
    tx: mpsc::Sender<(InboundSms, Reply)>,
}

impl Inbound {
    /// Stores one message (deduplicated by provider id) and routes it. Returns once the
    /// message is durable, so a webhook can acknowledge it.
    pub async fn receive(&self, sms: InboundSms) -> Result<Ingested, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send((sms, tx))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

/// Starts the inbound task. It ends when every `Inbound` handle is gone, after answering every
/// message handed in, so a graceful shutdown acknowledges nothing it did not store.
pub fn spawn(
    store: Store,
    acd: Acd,
    hub: Arc<Hub>,
    outbox: Outbox,
    metrics: Arc<Metrics>,
) -> (Inbound, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<(InboundSms, Reply)>(MAX_BATCH * 8);
    let task = tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let (messages, replies): (Vec<InboundSms>, Vec<Reply>) = batch.drain(..).unzip();
            // The batch moves into the transaction and comes back with its results.
            let stored = store.ingest(messages).await;
            match stored {
                Ok((results, messages)) => {
                    for ((sms, reply), ingested) in messages.iter().zip(replies).zip(results) {
                        let outcome = match ingested {
                            Ingested::Stored { .. } => InboundOutcome::Stored,
                            Ingested::Duplicate(_) => InboundOutcome::Duplicate,
                        };
                        metrics.inbound.get(outcome).inc();
                        route(&acd, &hub, &outbox, sms, &ingested);
                        let _ = reply.send(Ok(ingested));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, count = replies.len(), "inbound batch not stored");
                    for reply in replies {
                        let _ = reply.send(Err(StoreError::BatchFailed(e.to_string())));
                    }
                }
            }
        }
        tracing::debug!("inbound stopped");
    });
    (Inbound { tx }, task)
}

/// Hands a stored message on: a new conversation to the ACD to route, a message on an open
/// one to its agent, a keyword's answer to the outbox; and, when the simulator sent it, to any
/// simulator tab showing the sender's phone (a real customer's texts never reach that page).
fn route(acd: &Acd, hub: &Hub, outbox: &Outbox, sms: &InboundSms, ingested: &Ingested) {
    let Ingested::Stored {
        message,
        workitem,
        contact,
        new_workitem,
        keyword,
    } = ingested
    else {
        return;
    };
    if sms.provider == SIMULATOR {
        hub.push_phone(
            &sms.from,
            PhonePush {
                direction: message.direction,
                our_number: sms.to.clone(),
                body: message.body.clone(),
                at: message.at,
            },
        );
    }
    if *new_workitem && let Some(contact) = contact {
        acd.enqueue(workitem.clone(), contact.display_name());
    } else if !keyword.as_ref().is_some_and(|k| k.closed) {
        acd.customer_message(workitem.id, message.clone());
    }
    let Some(outcome) = keyword else {
        return;
    };
    if let Some(reply) = &outcome.reply {
        outbox.wake();
        if !outcome.closed {
            acd.customer_message(workitem.id, reply.clone());
        }
    }
    if outcome.consent_changed {
        // Every open workspace learns it, whichever of our numbers the keyword came to.
        let consent = Consent {
            opted_out: matches!(outcome.keyword, Keyword::OptOut(_)),
            since: sms.received_at,
            source: ConsentSource::Keyword {
                word: outcome.keyword.word().to_owned(),
            },
        };
        hub.consent_changed(&sms.from, &consent);
    }
}
