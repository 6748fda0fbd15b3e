//! How the ACD task carries out the engine's decisions: each routing step persisted in order
//! and pushed to whoever must see it, and presence changes recorded for reports.

use super::AcdTask;
use crate::acd::types::{Effect, TransferTarget, WithdrawReason};
use crate::domain::{
    EventKind, Presence, PresenceChange, UserId, WorkitemId, WorkitemState, transfer_text,
};
use crate::live::{AgentPush, OfferCard};
use crate::metrics::OfferOutcome;
use crate::store;

impl AcdTask {
    /// Persists and pushes each effect in order. Returns the durability receivers of the
    /// writes, for callers that must answer only once their step is on disk.
    pub(super) fn apply(&mut self, effects: Vec<Effect>) -> Vec<store::Pending<()>> {
        let mut durable = Vec::new();
        for effect in effects {
            match effect {
                Effect::Offered {
                    agent,
                    workitem,
                    expires_at,
                } => {
                    self.metrics.offers_made.inc();
                    self.offered_at.insert(workitem, self.clock.now());
                    durable.push(self.persist(workitem, EventKind::Offered { agent }));
                    if let Some(card) = self.cards.get(&workitem) {
                        let mut card = card.clone();
                        card.state = WorkitemState::Offered;
                        self.hub.push_agent(
                            agent,
                            AgentPush::Offer(OfferCard {
                                workitem: card,
                                expires_at,
                            }),
                        );
                    }
                }
                Effect::Withdrawn {
                    agent,
                    workitem,
                    reason,
                } => {
                    self.offer_ended(
                        workitem,
                        match reason {
                            WithdrawReason::TimedOut => OfferOutcome::TimedOut,
                            WithdrawReason::Rejected => OfferOutcome::Rejected,
                            WithdrawReason::AgentLeft => OfferOutcome::Withdrawn,
                        },
                    );
                    let kind = match reason {
                        WithdrawReason::TimedOut => EventKind::TimedOut { agent },
                        WithdrawReason::Rejected => EventKind::Rejected { agent },
                        WithdrawReason::AgentLeft => EventKind::Withdrawn {
                            agent,
                            reason: "agent left".into(),
                        },
                    };
                    durable.push(self.persist(workitem, kind));
                    self.hub
                        .push_agent(agent, AgentPush::OfferWithdrawn { workitem, reason });
                }
                Effect::Accepted { agent, workitem } => {
                    self.offer_ended(workitem, OfferOutcome::Accepted);
                    durable.push(self.persist(workitem, EventKind::Accepted { agent }));
                    if let Some(card) = self.cards.get(&workitem) {
                        let mut card = card.clone();
                        card.state = WorkitemState::Active;
                        self.hub
                            .push_agent(agent, AgentPush::Assigned { workitem: card });
                    }
                }
                Effect::Terminated {
                    agent,
                    workitem,
                    wrap_up,
                } => {
                    durable.push(self.persist(
                        workitem,
                        EventKind::Terminated {
                            agent: Some(agent),
                            wrap_up,
                        },
                    ));
                    self.hub
                        .push_agent(agent, AgentPush::Terminated { workitem });
                }
                Effect::Returned {
                    agent,
                    workitem,
                    reason,
                } => {
                    durable.push(self.persist(
                        workitem,
                        EventKind::Withdrawn {
                            agent,
                            reason: format!("back to the queue: {reason}"),
                        },
                    ));
                    self.hub
                        .push_agent(agent, AgentPush::Terminated { workitem });
                }
                Effect::PresenceChanged { agent, changed } => {
                    let view = self.engine.view(agent);
                    if changed {
                        let busy = self.engine.is_busy(agent);
                        self.log_presence(agent, view.presence, view.away_reason.clone(), busy);
                    }
                    self.hub.push_agent(agent, AgentPush::Presence { view });
                }
                Effect::HandedOff {
                    from,
                    workitem,
                    transfer,
                } => {
                    let queue = match (transfer.target, self.engine.queue_of(workitem)) {
                        (_, Some(q)) => q,
                        (TransferTarget::Queue(q), None) => q,
                        (TransferTarget::Agent(_), None) => continue,
                    };
                    let to_agent = match transfer.target {
                        TransferTarget::Agent(a) => Some(a),
                        TransferTarget::Queue(_) => None,
                    };
                    durable.push(self.persist(
                        workitem,
                        EventKind::Transferred {
                            by: transfer.by,
                            from,
                            queue,
                            to_agent,
                            note: transfer.note.clone(),
                        },
                    ));
                    let queue_name = self.queue_names.get(&queue).cloned();
                    if let Some(card) = self.cards.get_mut(&workitem) {
                        card.queue = queue;
                        card.queue_name = queue_name.unwrap_or_default();
                        card.handover = Some(transfer_text(
                            &transfer.by_name,
                            &transfer.target_name,
                            transfer.note.as_deref(),
                        ));
                    }
                    let why = format!("Transferred to {}", transfer.target_name);
                    self.hub
                        .push_agent(from, AgentPush::Removed { workitem, why });
                }
                Effect::BusyChanged { agent, busy } => {
                    let view = self.engine.view(agent);
                    self.log_presence(agent, view.presence, view.away_reason, busy);
                }
                Effect::TakenOver {
                    from,
                    workitem,
                    by,
                    by_name,
                } => {
                    durable.push(self.persist(workitem, EventKind::TakenOver { by, from }));
                    let why = format!("{by_name} took over this conversation");
                    self.hub
                        .push_agent(from, AgentPush::Removed { workitem, why });
                    if let Some(card) = self.cards.get(&workitem) {
                        let mut card = card.clone();
                        card.state = WorkitemState::Active;
                        self.hub
                            .push_agent(by, AgentPush::Assigned { workitem: card });
                    }
                }
            }
        }
        durable
    }

    /// Counts how an offer ended and how long after it was made.
    fn offer_ended(&mut self, workitem: WorkitemId, outcome: OfferOutcome) {
        let took = self
            .offered_at
            .remove(&workitem)
            .and_then(|at| (self.clock.now() - at).to_std().ok())
            .unwrap_or_default();
        self.metrics.offer_ended(outcome, took);
    }

    /// Stores a change of an agent's state for reports. Not waited for: a change lost in a
    /// crash is followed by the Offline the restart records.
    fn log_presence(&self, agent: UserId, presence: Presence, reason: Option<String>, busy: bool) {
        let change = PresenceChange {
            agent,
            at: self.clock.now(),
            presence,
            reason,
            busy,
        };
        if let Err(e) = self
            .store
            .submit(move |txn| store::log_presence(txn, &change))
        {
            tracing::error!(%agent, error = %e, "cannot record a presence change");
        }
    }

    /// Queues a routing step for the store, in order with every other write.
    pub(super) fn persist(&self, workitem: WorkitemId, kind: EventKind) -> store::Pending<()> {
        let at = self.clock.now();
        tracing::debug!(%workitem, ?kind, "routing step");
        queued(workitem, self.store.submit_route_step(workitem, at, kind))
    }
}

/// A step the store refused to queue answers as failed: whoever waits for it (accept,
/// terminate) must not be told it is stored.
fn queued(
    workitem: WorkitemId,
    submitted: Result<store::Pending<()>, store::StoreError>,
) -> store::Pending<()> {
    submitted.unwrap_or_else(|e| {
        tracing::error!(%workitem, error = %e, "cannot record routing step");
        let (tx, rx) = tokio::sync::oneshot::channel();
        let _ = tx.send(Err(e));
        rx
    })
}

#[cfg(test)]
mod tests {
    use super::queued;
    use crate::domain::WorkitemId;
    use crate::store::StoreError;

    #[tokio::test]
    async fn a_step_the_store_cannot_queue_is_waited_for_as_failed() {
        let pending = queued(WorkitemId(1), Err(StoreError::Closed));
        let waited = super::super::wait_durable(vec![pending]).await;
        assert!(waited.is_err());
    }
}
