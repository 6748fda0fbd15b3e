//! Inbound messages: stored durably first, then handed to the ACD. One task gathers the
//! messages that arrive while the previous batch is logged and stores them together, so many
//! concurrent webhooks cost one log append (on top of the store's own group commit). A
//! provider's webhook is answered as soon as its message is in the log; a second task
//! follows the batches in order as the store applies them, and routes their messages.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use super::outbound::Outbox;
use super::simulator::NAME as SIMULATOR;
use crate::acd::Acd;
use crate::domain::{Consent, ConsentSource, Keyword};
use crate::live::{Hub, PhonePush};
use crate::metrics::{InboundOutcome, Metrics};
use crate::store::{InboundSms, Ingested, Pending, Store, StoreError};

/// Most messages stored in one batch.
const MAX_BATCH: usize = 512;
/// Messages logged (and so acknowledged) but not yet stored and routed, at most: beyond,
/// logging waits for the store. A checkpoint holds the store up for tens of milliseconds,
/// and for up to a few hundred while a backup shares the disk; counted in batches (64),
/// this bound stopped the acknowledgements with it, at 2,000 webhooks a second for 425 ms.
/// 2,048 messages ride out a second of that at 2,000 a second. Not more: a start after a
/// crash applies them all again before it serves, about 60 µs each at 5 million messages
/// (8,192 made such a start take 1.02 s; README, Benchmark).
const MAX_UNROUTED: usize = 2048;

/// Who waits for a message, and for what.
enum Reply {
    /// That it is durable: a provider, which then considers it delivered.
    Durable(oneshot::Sender<Result<(), StoreError>>),
    /// That it is stored, and how: the simulator, which shows the message id.
    Stored(oneshot::Sender<Result<Ingested, StoreError>>),
}

impl Reply {
    fn fail(self, e: &StoreError) {
        let e = StoreError::BatchFailed(e.to_string());
        let _ = match self {
            Reply::Durable(tx) => tx.send(Err(e)).is_ok(),
            Reply::Stored(tx) => tx.send(Err(e)).is_ok(),
        };
    }
}

/// What the inbound task takes, in order.
enum HandedIn {
    Message(InboundSms, Reply),
    /// Told once every message handed in before it is stored and routed.
    Marker(oneshot::Sender<()>),
}

/// Where providers hand in customers' messages.
#[derive(Clone)]
pub struct Inbound {
    tx: mpsc::Sender<HandedIn>,
}

impl Inbound {
    /// Stores one message (deduplicated by provider id) and routes it. Returns once the
    /// message is durable, so a webhook can acknowledge it; it is stored and routed a
    /// moment later, in order with every other.
    pub async fn receive(&self, sms: InboundSms) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.hand_in(sms, Reply::Durable(tx)).await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// [`receive`](Self::receive), returning once the message is stored, with its outcome.
    pub async fn receive_stored(&self, sms: InboundSms) -> Result<Ingested, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.hand_in(sms, Reply::Stored(tx)).await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Returns once every message handed in before is stored and routed (as a provider's
    /// acknowledgement used to say; tests and a stop wait for it).
    pub async fn routed(&self) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(HandedIn::Marker(tx))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)
    }

    async fn hand_in(&self, sms: InboundSms, reply: Reply) -> Result<(), StoreError> {
        self.tx
            .send(HandedIn::Message(sms, reply))
            .await
            .map_err(|_| StoreError::Closed)
    }
}

/// What the router follows, in order.
enum Logged {
    /// A batch in the log, on its way into the store.
    Batch {
        answer: Pending<(Vec<Ingested>, Vec<InboundSms>)>,
        /// Each message's reply, gone once answered.
        replies: Vec<Option<Reply>>,
        /// The batch's room among the [`MAX_UNROUTED`] messages, given back once routed.
        _room: OwnedSemaphorePermit,
    },
    Marker(oneshot::Sender<()>),
}

/// Starts the inbound tasks. They end when every `Inbound` handle is gone, after answering
/// every message handed in, so a graceful shutdown acknowledges nothing it did not store.
pub fn spawn(
    store: Store,
    acd: Acd,
    hub: Arc<Hub>,
    outbox: Outbox,
    metrics: Arc<Metrics>,
) -> (Inbound, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<HandedIn>(MAX_BATCH * 8);
    // Each batch holds a message at least, so the messages' bound bounds the batches too.
    let (logged_tx, logged_rx) = mpsc::channel::<Logged>(MAX_UNROUTED);
    let unrouted = Arc::new(Semaphore::new(MAX_UNROUTED));
    let router = tokio::spawn(route_in_order(logged_rx, acd, hub, outbox, metrics));
    let task = tokio::spawn(async move {
        let mut handed_in = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut handed_in, MAX_BATCH).await > 0 {
            let mut messages = Vec::with_capacity(handed_in.len());
            let mut replies = Vec::with_capacity(handed_in.len());
            let mut markers = Vec::new();
            for item in handed_in.drain(..) {
                match item {
                    HandedIn::Message(sms, reply) => {
                        messages.push(sms);
                        replies.push(reply);
                    }
                    // Answered after the batch, which holds every message before it.
                    HandedIn::Marker(tx) => markers.push(tx),
                }
            }
            if !messages.is_empty() {
                let Ok(room) = unrouted
                    .clone()
                    .acquire_many_owned(messages.len() as u32)
                    .await
                else {
                    break;
                };
                let batch = log_batch(&store, messages, replies, room).await;
                if let Some(batch) = batch
                    && logged_tx.send(batch).await.is_err()
                {
                    break;
                }
            }
            for marker in markers {
                if logged_tx.send(Logged::Marker(marker)).await.is_err() {
                    break;
                }
            }
        }
        drop(logged_tx);
        let _ = router.await;
        tracing::debug!("inbound stopped");
    });
    (Inbound { tx }, task)
}

/// Appends a batch to the log and answers the providers waiting for it; returns it for the
/// router, unless it failed (then everybody is told).
async fn log_batch(
    store: &Store,
    messages: Vec<InboundSms>,
    replies: Vec<Reply>,
    room: OwnedSemaphorePermit,
) -> Option<Logged> {
    // The batch moves into the transaction and comes back with its results.
    let (logged, answer) = match store.ingest_logged(messages).await {
        Ok(queued) => queued,
        Err(e) => {
            tracing::error!(error = %e, count = replies.len(), "inbound batch not stored");
            replies.into_iter().for_each(|r| r.fail(&e));
            return None;
        }
    };
    let replies = replies
        .into_iter()
        .map(|reply| match reply {
            Reply::Durable(tx) if logged => {
                let _ = tx.send(Ok(()));
                None
            }
            other => Some(other),
        })
        .collect();
    Some(Logged::Batch {
        answer,
        replies,
        _room: room,
    })
}

/// Waits for each logged batch to be stored, in order, and routes its messages.
async fn route_in_order(
    mut logged: mpsc::Receiver<Logged>,
    acd: Acd,
    hub: Arc<Hub>,
    outbox: Outbox,
    metrics: Arc<Metrics>,
) {
    while let Some(next) = logged.recv().await {
        let (answer, replies, _room) = match next {
            Logged::Batch {
                answer,
                replies,
                _room,
            } => (answer, replies, _room),
            Logged::Marker(tx) => {
                let _ = tx.send(());
                continue;
            }
        };
        let stored = answer.await.unwrap_or(Err(StoreError::Closed));
        match stored {
            Ok((results, messages)) => {
                for ((sms, reply), ingested) in messages.iter().zip(replies).zip(results) {
                    let outcome = match ingested {
                        Ingested::Stored { .. } => InboundOutcome::Stored,
                        Ingested::Duplicate(_) => InboundOutcome::Duplicate,
                    };
                    metrics.inbound.get(outcome).inc();
                    route(&acd, &hub, &outbox, sms, &ingested);
                    let _ = match reply {
                        Some(Reply::Durable(tx)) => tx.send(Ok(())).is_ok(),
                        Some(Reply::Stored(tx)) => tx.send(Ok(ingested)).is_ok(),
                        None => true,
                    };
                }
            }
            Err(e) => {
                tracing::error!(error = %e, count = replies.len(), "inbound batch not stored");
                replies.into_iter().flatten().for_each(|r| r.fail(&e));
            }
        }
    }
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
