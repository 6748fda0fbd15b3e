//! The engine's view of the floor for the wallboard: built on request from its own state.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Engine, Phase, Presence};
use crate::acd::floor::{Floor, FloorAgent, FloorQueue, FloorWorkitem};
use crate::domain::{QueueId, WorkitemId};

impl Engine {
    /// Every known agent's state and work, and each queue's line, ordered by id; `card` names
    /// a workitem's customer and queue.
    pub fn floor(
        &self,
        now: DateTime<Utc>,
        card: impl Fn(WorkitemId, QueueId) -> (String, String),
    ) -> Floor {
        let mut queues: BTreeMap<QueueId, FloorQueue> = BTreeMap::new();
        fn line(queues: &mut BTreeMap<QueueId, FloorQueue>, id: QueueId) -> &mut FloorQueue {
            queues.entry(id).or_insert(FloorQueue {
                id,
                waiting: 0,
                oldest_waiting: None,
                offers_out: 0,
                available_agents: 0,
            })
        }
        for item in self.items.values() {
            let q = line(&mut queues, item.routable.queue);
            match item.phase {
                Phase::Queued => {
                    q.waiting += 1;
                    let at = item.routable.created_at;
                    q.oldest_waiting = Some(q.oldest_waiting.map_or(at, |o| o.min(at)));
                }
                Phase::Offered { .. } => q.offers_out += 1,
                Phase::Active { .. } => {}
            }
        }
        let mut agents: Vec<FloorAgent> = self
            .agents
            .iter()
            .map(|(id, a)| {
                if a.presence == Presence::Available && a.connections > 0 {
                    for q in &a.queues {
                        line(&mut queues, *q).available_agents += 1;
                    }
                }
                let mut active: Vec<FloorWorkitem> = a
                    .active
                    .iter()
                    .filter_map(|w| self.items.get(w))
                    .map(|item| {
                        let r = &item.routable;
                        let (customer, queue_name) = card(r.id, r.queue);
                        FloorWorkitem {
                            id: r.id,
                            customer,
                            queue: r.queue,
                            queue_name,
                            created_at: r.created_at,
                        }
                    })
                    .collect();
                active.sort_by_key(|w| w.id);
                FloorAgent {
                    id: *id,
                    presence: a.presence,
                    away_reason: a.away_reason.clone(),
                    since: a.state_since,
                    connected: a.connections > 0,
                    capacity: a.capacity,
                    offers: a.offers.len(),
                    active,
                }
            })
            .collect();
        agents.sort_by_key(|a| a.id);
        Floor {
            at: now,
            agents,
            queues: queues.into_values().collect(),
        }
    }
}
