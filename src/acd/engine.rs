//! The routing engine: a plain state machine with the time passed in. It decides who gets
//! which offer; the task around it (`task.rs`) persists the resulting steps and pushes them.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, HashSet};

use crate::domain::{QueueId, UserId, WorkitemId};
use chrono::{DateTime, Duration, Utc};

use super::types::*;

struct Item {
    routable: Routable,
    phase: Phase,
    /// Agents who let this offer lapse or rejected it, skipped until the time given.
    skip_until: HashMap<UserId, DateTime<Utc>>,
}

impl Item {
    fn waiting_key(&self) -> WaitingKey {
        (
            Reverse(self.routable.priority),
            self.routable.created_at,
            self.routable.id,
        )
    }
}

/// Order of waiting workitems: higher priority first, then oldest, then lowest id.
type WaitingKey = (Reverse<i32>, DateTime<Utc>, WorkitemId);

struct Agent {
    presence: Presence,
    away_reason: Option<String>,
    /// When the presence (or away reason) last changed.
    state_since: DateTime<Utc>,
    queues: HashSet<QueueId>,
    capacity: u32,
    /// Open workspace tabs (SSE streams); offers go only to agents with at least one.
    connections: u32,
    /// Since when the agent has had nothing new: set when they become Available, get an offer
    /// or finish a workitem. The oldest value wins the next offer.
    idle_since: DateTime<Utc>,
    offers: HashSet<WorkitemId>,
    active: HashSet<WorkitemId>,
    /// Whether the agent was last reported holding active work (see `busy_change`).
    busy: bool,
}

impl Agent {
    fn new(now: DateTime<Utc>, capacity: u32) -> Agent {
        Agent {
            presence: Presence::Offline,
            away_reason: None,
            state_since: now,
            queues: HashSet::new(),
            capacity,
            connections: 0,
            idle_since: now,
            offers: HashSet::new(),
            active: HashSet::new(),
            busy: false,
        }
    }

    fn has_room(&self) -> bool {
        self.presence == Presence::Available
            && self.connections > 0
            && ((self.offers.len() + self.active.len()) as u32) < self.capacity
    }
}

pub struct Engine {
    agents: HashMap<UserId, Agent>,
    items: HashMap<WorkitemId, Item>,
    waiting: BTreeSet<WaitingKey>,
    /// When each pending offer lapses, soonest first (kept apart so timers cost O(log n)).
    offer_deadlines: BTreeSet<(DateTime<Utc>, WorkitemId)>,
    /// When a skipped agent becomes eligible again for a waiting workitem.
    skip_ends: BTreeSet<(DateTime<Utc>, WorkitemId)>,
    offer_timeouts: HashMap<QueueId, Duration>,
    default_offer_timeout: Duration,
    default_capacity: u32,
    skip_for: Duration,
}

impl Engine {
    pub fn new(default_capacity: u32, default_offer_timeout: Duration, skip_for: Duration) -> Self {
        Engine {
            agents: HashMap::new(),
            items: HashMap::new(),
            waiting: BTreeSet::new(),
            offer_deadlines: BTreeSet::new(),
            skip_ends: BTreeSet::new(),
            offer_timeouts: HashMap::new(),
            default_offer_timeout,
            default_capacity,
            skip_for,
        }
    }

    pub fn set_offer_timeout(&mut self, queue: QueueId, timeout: Duration) {
        self.offer_timeouts.insert(queue, timeout);
    }

    /// Sets an agent's queues and capacity (creating the agent if new), then routes.
    pub fn configure_agent(
        &mut self,
        agent: UserId,
        queues: &[QueueId],
        capacity: Option<u32>,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        let default = self.default_capacity;
        let a = self
            .agents
            .entry(agent)
            .or_insert_with(|| Agent::new(now, default));
        a.queues = queues.iter().copied().collect();
        a.capacity = capacity.unwrap_or(default).max(1);
        self.route(now)
    }

    /// Restores an accepted workitem at start-up.
    pub fn restore_active(&mut self, routable: Routable, agent: UserId, now: DateTime<Utc>) {
        let default = self.default_capacity;
        self.agents
            .entry(agent)
            .or_insert_with(|| Agent::new(now, default))
            .active
            .insert(routable.id);
        self.items.insert(
            routable.id,
            Item {
                routable,
                phase: Phase::Active { agent },
                skip_until: HashMap::new(),
            },
        );
    }

    /// A new workitem waits for an agent.
    pub fn enqueue(&mut self, routable: Routable, now: DateTime<Utc>) -> Vec<Effect> {
        if self.items.contains_key(&routable.id) {
            return Vec::new();
        }
        let item = Item {
            routable,
            phase: Phase::Queued,
            skip_until: HashMap::new(),
        };
        self.waiting.insert(item.waiting_key());
        self.items.insert(item.routable.id, item);
        self.route(now)
    }

    pub fn set_presence(
        &mut self,
        agent: UserId,
        presence: Presence,
        away_reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        let default = self.default_capacity;
        let a = self
            .agents
            .entry(agent)
            .or_insert_with(|| Agent::new(now, default));
        if a.presence != Presence::Available && presence == Presence::Available {
            a.idle_since = now;
        }
        let away_reason = if presence == Presence::Away {
            away_reason
        } else {
            None
        };
        let changed = a.presence != presence || a.away_reason != away_reason;
        if changed {
            a.state_since = now;
        }
        a.presence = presence;
        a.away_reason = away_reason;
        let mut effects = vec![Effect::PresenceChanged { agent, changed }];
        if presence != Presence::Available {
            effects.extend(self.withdraw_offers_of(agent, now));
        }
        effects.extend(self.route(now));
        effects
    }

    /// A workspace tab of the agent opened its live stream.
    pub fn connect(&mut self, agent: UserId, now: DateTime<Utc>) -> Vec<Effect> {
        let default = self.default_capacity;
        self.agents
            .entry(agent)
            .or_insert_with(|| Agent::new(now, default))
            .connections += 1;
        self.route(now)
    }

    /// A workspace tab's stream ended; with the last one gone, the agent's offers move on.
    pub fn disconnect(&mut self, agent: UserId, now: DateTime<Utc>) -> Vec<Effect> {
        let Some(a) = self.agents.get_mut(&agent) else {
            return Vec::new();
        };
        a.connections = a.connections.saturating_sub(1);
        if a.connections > 0 {
            return Vec::new();
        }
        let mut effects = self.withdraw_offers_of(agent, now);
        effects.extend(self.route(now));
        effects
    }

    pub fn accept(
        &mut self,
        agent: UserId,
        workitem: WorkitemId,
        _now: DateTime<Utc>,
    ) -> Result<Vec<Effect>, AcdError> {
        let item = self.items.get_mut(&workitem).ok_or(AcdError::NotOffered)?;
        match item.phase {
            Phase::Offered {
                agent: to,
                expires_at,
            } if to == agent => {
                self.offer_deadlines.remove(&(expires_at, workitem));
            }
            _ => return Err(AcdError::NotOffered),
        }
        item.phase = Phase::Active { agent };
        if let Some(a) = self.agents.get_mut(&agent) {
            a.offers.remove(&workitem);
            a.active.insert(workitem);
        }
        let mut effects = vec![Effect::Accepted { agent, workitem }];
        effects.extend(self.busy_change(agent));
        Ok(effects)
    }

    pub fn reject(
        &mut self,
        agent: UserId,
        workitem: WorkitemId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Effect>, AcdError> {
        match self.items.get(&workitem).map(|i| i.phase) {
            Some(Phase::Offered { agent: to, .. }) if to == agent => {}
            _ => return Err(AcdError::NotOffered),
        }
        let mut effects = self.requeue(workitem, agent, WithdrawReason::Rejected, now);
        effects.extend(self.route(now));
        Ok(effects)
    }

    pub fn terminate(
        &mut self,
        agent: UserId,
        workitem: WorkitemId,
        wrap_up: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Effect>, AcdError> {
        match self.items.get(&workitem).map(|i| i.phase) {
            Some(Phase::Active { agent: owner }) if owner == agent => {}
            Some(_) => return Err(AcdError::NotYours),
            None => return Err(AcdError::UnknownWorkitem),
        }
        self.items.remove(&workitem);
        if let Some(a) = self.agents.get_mut(&agent) {
            a.active.remove(&workitem);
            a.idle_since = now;
        }
        let mut effects = vec![Effect::Terminated {
            agent,
            workitem,
            wrap_up,
        }];
        effects.extend(self.busy_change(agent));
        effects.extend(self.route(now));
        Ok(effects)
    }

    /// Expires lapsed offers and ends skips whose time is up.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let mut effects = Vec::new();
        while let Some(&(at, workitem)) = self.offer_deadlines.first() {
            if at > now {
                break;
            }
            self.offer_deadlines.pop_first();
            if let Some(Phase::Offered { agent, .. }) = self.phase(workitem) {
                effects.extend(self.requeue(workitem, agent, WithdrawReason::TimedOut, now));
            }
        }
        while let Some(&(at, _)) = self.skip_ends.first() {
            if at > now {
                break;
            }
            self.skip_ends.pop_first();
        }
        effects.extend(self.route(now));
        effects
    }

    /// The next time `tick` has something to do.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        let offer = self.offer_deadlines.first().map(|(at, _)| *at);
        let skip = self.skip_ends.first().map(|(at, _)| *at);
        offer.into_iter().chain(skip).min()
    }

    /// The queue a workitem is routed in now.
    pub fn queue_of(&self, workitem: WorkitemId) -> Option<QueueId> {
        self.items.get(&workitem).map(|i| i.routable.queue)
    }

    /// Who currently holds a workitem: the agent it is offered to or owned by.
    pub fn phase(&self, workitem: WorkitemId) -> Option<Phase> {
        self.items.get(&workitem).map(|i| i.phase)
    }

    pub fn view(&self, agent: UserId) -> AgentView {
        match self.agents.get(&agent) {
            Some(a) => {
                let mut offers: Vec<_> = a
                    .offers
                    .iter()
                    .filter_map(|w| match self.items.get(w).map(|i| i.phase) {
                        Some(Phase::Offered { expires_at, .. }) => Some((*w, expires_at)),
                        _ => None,
                    })
                    .collect();
                offers.sort();
                let mut active: Vec<_> = a.active.iter().copied().collect();
                active.sort();
                AgentView {
                    presence: a.presence,
                    away_reason: a.away_reason.clone(),
                    capacity: a.capacity,
                    offers,
                    active,
                }
            }
            None => AgentView {
                presence: Presence::Offline,
                away_reason: None,
                capacity: self.default_capacity,
                offers: Vec::new(),
                active: Vec::new(),
            },
        }
    }

    /// Workitems waiting for an agent, in offer order.
    pub fn waiting(&self) -> impl Iterator<Item = WorkitemId> + '_ {
        self.waiting.iter().map(|(_, _, id)| *id)
    }

    fn withdraw_offers_of(&mut self, agent: UserId, now: DateTime<Utc>) -> Vec<Effect> {
        let Some(a) = self.agents.get(&agent) else {
            return Vec::new();
        };
        let mut offers: Vec<WorkitemId> = a.offers.iter().copied().collect();
        offers.sort();
        offers
            .into_iter()
            .flat_map(|w| self.requeue(w, agent, WithdrawReason::AgentLeft, now))
            .collect()
    }

    /// Takes an offer back from `agent` and puts the workitem back in line. An agent who
    /// rejected or let it lapse is skipped for it for a while.
    fn requeue(
        &mut self,
        workitem: WorkitemId,
        agent: UserId,
        reason: WithdrawReason,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        let Some(item) = self.items.get_mut(&workitem) else {
            return Vec::new();
        };
        if let Phase::Offered { expires_at, .. } = item.phase {
            self.offer_deadlines.remove(&(expires_at, workitem));
        }
        item.phase = Phase::Queued;
        if reason != WithdrawReason::AgentLeft {
            let until = now + self.skip_for;
            item.skip_until.insert(agent, until);
            self.skip_ends.insert((until, workitem));
        }
        self.waiting.insert(item.waiting_key());
        if let Some(a) = self.agents.get_mut(&agent) {
            a.offers.remove(&workitem);
        }
        vec![Effect::Withdrawn {
            agent,
            workitem,
            reason,
        }]
    }

    /// Offers waiting workitems, best first, each to the longest-idle eligible agent.
    fn route(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let mut effects = Vec::new();
        if !self.agents.values().any(Agent::has_room) {
            return effects;
        }
        let keys: Vec<WaitingKey> = self.waiting.iter().copied().collect();
        for key in keys {
            let workitem = key.2;
            let Some(item) = self.items.get(&workitem) else {
                self.waiting.remove(&key);
                continue;
            };
            let queue = item.routable.queue;
            let chosen = self
                .agents
                .iter()
                .filter(|(id, a)| {
                    a.has_room()
                        && a.queues.contains(&queue)
                        && item.skip_until.get(id).is_none_or(|until| *until <= now)
                })
                .min_by_key(|(id, a)| (a.idle_since, **id))
                .map(|(id, _)| *id);
            let Some(agent) = chosen else {
                continue;
            };
            self.waiting.remove(&key);
            effects.push(self.offer(workitem, agent, now));
            if !self.agents.values().any(Agent::has_room) {
                break;
            }
        }
        effects
    }

    /// Offers a workitem that is in no one's hands to `agent`, with its queue's timeout.
    fn offer(&mut self, workitem: WorkitemId, agent: UserId, now: DateTime<Utc>) -> Effect {
        let queue = self.items.get(&workitem).map(|i| i.routable.queue);
        let timeout = queue
            .and_then(|q| self.offer_timeouts.get(&q).copied())
            .unwrap_or(self.default_offer_timeout);
        let expires_at = now + timeout;
        if let Some(item) = self.items.get_mut(&workitem) {
            item.phase = Phase::Offered { agent, expires_at };
            self.offer_deadlines.insert((expires_at, workitem));
        }
        if let Some(a) = self.agents.get_mut(&agent) {
            a.offers.insert(workitem);
            a.idle_since = now;
        }
        Effect::Offered {
            agent,
            workitem,
            expires_at,
        }
    }
}

#[path = "engine_floor.rs"]
mod floor;

#[path = "engine_handover.rs"]
mod handover;

#[path = "engine_busy.rs"]
mod busy;

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
