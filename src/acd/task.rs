//! The ACD task: feeds commands to the engine, persists each routing step in order, and pushes
//! what agents must see. It never waits on the disk itself: writes are queued in order and only
//! the callers who need durability (accept, terminate) wait for them.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{mpsc, watch};

use super::engine::Engine;
use super::types::{Effect, Phase, Routable};
use super::{Acd, AcdCallError, Command};
use crate::clock::Clock;
use crate::config::AcdConfig;
use crate::domain::{EventKind, QueueId, UserId, WorkitemId, WorkitemState};
use crate::live::{AgentPush, Hub, OfferCard, WorkitemCard};
use crate::metrics::Metrics;
use crate::store::{self, Store, StoreError};
use crate::tasks::{Shutdown, Tasks};

/// Everything an agent's workspace shows about their routing, with the cards to draw it.
#[derive(Clone, Debug)]
pub struct AgentSnapshot {
    pub view: super::AgentView,
    pub offers: Vec<OfferCard>,
    pub active: Vec<WorkitemCard>,
}

struct AcdTask {
    engine: Engine,
    cards: HashMap<WorkitemId, WorkitemCard>,
    queue_names: HashMap<QueueId, String>,
    store: Store,
    hub: Arc<Hub>,
    clock: Clock,
    floor_version: watch::Sender<u64>,
    metrics: Arc<Metrics>,
    /// When each offer out now was made, for the offer latency.
    offered_at: HashMap<WorkitemId, DateTime<Utc>>,
}

/// Rebuilds routing state from the store and starts the task.
pub fn spawn(
    config: &AcdConfig,
    store: Store,
    hub: Arc<Hub>,
    clock: Clock,
    metrics: Arc<Metrics>,
    shutdown: Shutdown,
    tasks: &mut Tasks,
) -> Result<Acd, StoreError> {
    let now = clock.now();
    let mut engine = Engine::new(
        config.default_capacity,
        Duration::seconds(config.default_offer_timeout_secs as i64),
        Duration::seconds(config.lapse_cooldown_secs as i64),
    );
    let (queues, settings, open, contacts, users) = store.read_blocking(|txn| {
        let open = store::open_workitems(txn)?;
        let mut names = HashMap::new();
        for w in &open {
            if let Some(c) = store::contact(txn, w.contact)? {
                names.insert(w.id, c.display_name());
            }
        }
        let users: Vec<UserId> = store::all_users(txn)?.iter().map(|u| u.id).collect();
        Ok((
            store::all_queues(txn)?,
            store::all_agent_settings(txn)?,
            open,
            names,
            users,
        ))
    })?;

    let queue_names: HashMap<QueueId, String> =
        queues.iter().map(|q| (q.id, q.name.clone())).collect();
    for q in &queues {
        engine.set_offer_timeout(q.id, Duration::seconds(q.offer_timeout_secs as i64));
    }
    for (agent, s) in &settings {
        engine.configure_agent(*agent, &s.queues, s.capacity, now);
    }
    let mut task = AcdTask {
        engine,
        cards: HashMap::new(),
        queue_names: HashMap::new(),
        store,
        hub,
        clock,
        floor_version: watch::Sender::new(0),
        metrics,
        offered_at: HashMap::new(),
    };
    let mut requeued = 0;
    for w in open {
        let name = contacts
            .get(&w.id)
            .cloned()
            .unwrap_or_else(|| w.customer.to_string());
        let queue_name = queue_names.get(&w.queue).cloned().unwrap_or_default();
        task.cards
            .insert(w.id, WorkitemCard::new(&w, name, queue_name));
        let routable = routable(&w);
        match (w.state, w.agent) {
            (WorkitemState::Active, Some(agent)) => {
                task.engine.restore_active(routable, agent, now)
            }
            (state, agent) => {
                // An offer made before the restart is void: nobody is connected yet.
                if let (WorkitemState::Offered, Some(agent)) = (state, agent) {
                    task.persist(
                        w.id,
                        EventKind::Withdrawn {
                            agent,
                            reason: "restart".into(),
                        },
                    );
                }
                requeued += 1;
                task.engine.enqueue(routable, now);
            }
        }
    }
    tracing::info!(
        requeued,
        active = task.cards.len() - requeued,
        "routing state rebuilt from the store"
    );
    // Everyone starts Offline (keeping their accepted work); the record of their states
    // says so too.
    task.engine.settle_busy();
    let states: Vec<(UserId, bool)> = users
        .iter()
        .map(|u| (*u, task.engine.is_busy(*u)))
        .collect();
    task.store
        .submit(move |txn| store::close_presence_at_restart(txn, &states, now))?;
    let (tx, rx) = mpsc::unbounded_channel();
    task.queue_names = queue_names;
    let floor_version = task.floor_version.subscribe();
    tasks.spawn("acd", task.run(rx, shutdown));
    Ok(Acd { tx, floor_version })
}

fn routable(w: &crate::domain::Workitem) -> Routable {
    Routable {
        id: w.id,
        queue: w.queue,
        priority: w.priority,
        created_at: w.created_at,
    }
}

impl AcdTask {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Command>, shutdown: Shutdown) {
        loop {
            let deadline = self.engine.next_deadline();
            let clock = self.clock.clone();
            tokio::select! {
                _ = shutdown.wait() => break,
                cmd = rx.recv() => match cmd {
                    Some(cmd) => {
                        let changes = !cmd.reads_only();
                        self.handle(cmd);
                        if changes {
                            self.floor_version.send_modify(|v| *v += 1);
                        }
                    }
                    None => break,
                },
                _ = async {
                    match deadline {
                        Some(d) => clock.sleep_until(d).await,
                        None => std::future::pending().await,
                    }
                } => {
                    let fx = self.engine.tick(self.clock.now());
                    if !fx.is_empty() {
                        self.floor_version.send_modify(|v| *v += 1);
                    }
                    self.apply(fx);
                }
            }
        }
        tracing::debug!("acd stopped");
    }

    fn handle(&mut self, cmd: Command) {
        let now = self.clock.now();
        match cmd {
            Command::Presence {
                agent,
                presence,
                reason,
                reply,
            } => {
                let fx = self.engine.set_presence(agent, presence, reason, now);
                self.apply(fx);
                let _ = reply.send(self.engine.view(agent));
            }
            Command::Connected { agent } => {
                let fx = self.engine.connect(agent, now);
                self.apply(fx);
            }
            Command::Disconnected { agent } => {
                let fx = self.engine.disconnect(agent, now);
                self.apply(fx);
            }
            Command::Configure { agent, settings } => {
                let fx =
                    self.engine
                        .configure_agent(agent, &settings.queues, settings.capacity, now);
                self.apply(fx);
            }
            Command::Release { agent, reason } => {
                let fx = self.engine.release_agent(agent, &reason, now);
                self.apply(fx);
            }
            Command::QueueChanged { queue } => {
                self.engine.set_offer_timeout(
                    queue.id,
                    Duration::seconds(queue.offer_timeout_secs as i64),
                );
                self.queue_names.insert(queue.id, queue.name);
            }
            Command::Enqueue {
                workitem,
                customer_name,
            } => {
                let queue_name = self
                    .queue_names
                    .get(&workitem.queue)
                    .cloned()
                    .unwrap_or_default();
                let card = WorkitemCard::new(&workitem, customer_name, queue_name);
                self.cards.insert(workitem.id, card);
                let fx = self.engine.enqueue(routable(&workitem), now);
                self.apply(fx);
            }
            Command::Adopt {
                workitem,
                customer_name,
            } => {
                let Some(agent) = workitem.agent else {
                    return;
                };
                let queue_name = self
                    .queue_names
                    .get(&workitem.queue)
                    .cloned()
                    .unwrap_or_default();
                let card = WorkitemCard::new(&workitem, customer_name, queue_name);
                self.cards.insert(workitem.id, card.clone());
                let fx = self.engine.adopt(routable(&workitem), agent, now);
                self.hub
                    .push_agent(agent, AgentPush::Assigned { workitem: card });
                self.apply(fx);
            }
            Command::CustomerMessage { workitem, message } => match self.engine.phase(workitem) {
                Some(Phase::Active { agent } | Phase::Offered { agent, .. }) => {
                    self.hub.push_agent(agent, AgentPush::Message { message });
                }
                Some(Phase::Queued) | None => {
                    self.hub
                        .push_watchers(workitem, AgentPush::Message { message });
                }
            },
            Command::Accept {
                agent,
                workitem,
                reply,
            } => match self.engine.accept(agent, workitem, now) {
                Ok(fx) => {
                    let durable = self.apply(fx);
                    let card = self.cards.get(&workitem).cloned();
                    tokio::spawn(async move {
                        let result = match (wait_durable(durable).await, card) {
                            (Ok(()), Some(mut card)) => {
                                card.state = WorkitemState::Active;
                                Ok(card)
                            }
                            (Ok(()), None) => Err(super::AcdError::UnknownWorkitem.into()),
                            (Err(e), _) => Err(e),
                        };
                        let _ = reply.send(result);
                    });
                }
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
            Command::Reject {
                agent,
                workitem,
                reply,
            } => {
                let result = self
                    .engine
                    .reject(agent, workitem, now)
                    .map(|fx| {
                        self.apply(fx);
                    })
                    .map_err(AcdCallError::from);
                let _ = reply.send(result);
            }
            Command::Terminate {
                agent,
                workitem,
                wrap_up,
                reply,
            } => match self.engine.terminate(agent, workitem, wrap_up, now) {
                Ok(fx) => {
                    let durable = self.apply(fx);
                    self.cards.remove(&workitem);
                    tokio::spawn(async move {
                        let _ = reply.send(wait_durable(durable).await);
                    });
                }
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
            Command::Transfer {
                workitem,
                owner,
                transfer,
                reply,
            } => {
                let result = self.engine.transfer(workitem, owner, transfer, now);
                self.answer_when_durable(result, reply);
            }
            Command::TakeOver {
                workitem,
                by,
                by_name,
                reply,
            } => {
                let result = self.engine.take_over(workitem, by, by_name, now);
                self.answer_when_durable(result, reply);
            }
            Command::Snapshot { agent, reply } => {
                let view = self.engine.view(agent);
                let offers = view
                    .offers
                    .iter()
                    .filter_map(|(w, expires_at)| {
                        self.cards.get(w).map(|c| OfferCard {
                            workitem: c.clone(),
                            expires_at: *expires_at,
                        })
                    })
                    .collect();
                let active = view
                    .active
                    .iter()
                    .filter_map(|w| self.cards.get(w).cloned())
                    .map(|mut c| {
                        c.state = WorkitemState::Active;
                        c
                    })
                    .collect();
                let _ = reply.send(AgentSnapshot {
                    view,
                    offers,
                    active,
                });
            }
            Command::Floor { reply } => {
                let cards = &self.cards;
                let queue_names = &self.queue_names;
                let floor = self.engine.floor(now, |w, q| {
                    let customer = cards
                        .get(&w)
                        .map(|c| c.customer_name.clone())
                        .unwrap_or_default();
                    let queue = queue_names.get(&q).cloned().unwrap_or_default();
                    (customer, queue)
                });
                let _ = reply.send(floor);
            }
        }
    }

    /// Carries out an engine decision and answers once its steps are durable (or refused).
    fn answer_when_durable(
        &mut self,
        result: Result<Vec<Effect>, super::AcdError>,
        reply: tokio::sync::oneshot::Sender<Result<(), AcdCallError>>,
    ) {
        match result {
            Ok(fx) => {
                let durable = self.apply(fx);
                tokio::spawn(async move {
                    let _ = reply.send(wait_durable(durable).await);
                });
            }
            Err(e) => {
                let _ = reply.send(Err(e.into()));
            }
        }
    }
}

/// Waits until every write is durable; the first failure wins.
pub(super) async fn wait_durable(pending: Vec<store::Pending<()>>) -> Result<(), AcdCallError> {
    for p in pending {
        p.await.map_err(|_| StoreError::Closed)??;
    }
    Ok(())
}

#[path = "task_effects.rs"]
mod effects;
