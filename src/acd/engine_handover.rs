//! Moving active workitems between people: a transfer to a queue or a named agent, a
//! supervisor taking one over, and a disabled agent's work going back to its queues. The
//! customer notices nothing; only who answers changes.

use chrono::{DateTime, Utc};

use super::{Agent, Engine, Phase, Presence};
use crate::acd::types::{AcdError, Effect, Transfer, TransferTarget};
use crate::domain::{UserId, WorkitemId};

impl Engine {
    /// Takes an agent out of routing (their account was disabled): Offline, their offers
    /// withdrawn and their active workitems back in line for other agents.
    pub fn release_agent(
        &mut self,
        agent: UserId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        let Some(a) = self.agents.get_mut(&agent) else {
            return Vec::new();
        };
        let changed = a.presence != Presence::Offline;
        if changed {
            a.state_since = now;
        }
        a.presence = Presence::Offline;
        a.away_reason = None;
        let mut active: Vec<WorkitemId> = a.active.drain().collect();
        active.sort();
        let mut effects = vec![Effect::PresenceChanged { agent, changed }];
        effects.extend(self.busy_change(agent));
        effects.extend(self.withdraw_offers_of(agent, now));
        for workitem in active {
            if let Some(item) = self.items.get_mut(&workitem) {
                item.phase = Phase::Queued;
                self.waiting.insert(item.waiting_key());
                effects.push(Effect::Returned {
                    agent,
                    workitem,
                    reason: reason.to_owned(),
                });
            }
        }
        effects.extend(self.route(now));
        effects
    }

    /// Moves an active workitem to another queue or agent. `owner`: the agent who must hold
    /// it (an agent transferring their own), or `None` for a supervisor (any active one).
    /// A named agent must be able to take an offer now; the workitem keeps its place in line
    /// (its age), so a transferred customer does not start waiting again from the back.
    pub fn transfer(
        &mut self,
        workitem: WorkitemId,
        owner: Option<UserId>,
        transfer: Transfer,
        now: DateTime<Utc>,
    ) -> Result<Vec<Effect>, AcdError> {
        let from = self.active_owner(workitem, owner)?;
        match transfer.target {
            TransferTarget::Agent(to) if to == from => return Err(AcdError::AlreadyTheirs),
            TransferTarget::Agent(to) => self.check_can_take(to)?,
            TransferTarget::Queue(_) => {}
        }
        let target = transfer.target;
        self.detach(from, workitem, now);
        let item = self
            .items
            .get_mut(&workitem)
            .ok_or(AcdError::UnknownWorkitem)?;
        item.phase = Phase::Queued;
        if let TransferTarget::Queue(queue) = target {
            item.routable.queue = queue;
        }
        // The giver handed it on; it should not come straight back to them.
        let until = now + self.skip_for;
        item.skip_until.insert(from, until);
        self.skip_ends.insert((until, workitem));
        let key = item.waiting_key();
        let mut effects = vec![Effect::HandedOff {
            from,
            workitem,
            transfer,
        }];
        effects.extend(self.busy_change(from));
        match target {
            TransferTarget::Agent(to) => effects.push(self.offer(workitem, to, now)),
            TransferTarget::Queue(_) => {
                self.waiting.insert(key);
            }
        }
        effects.extend(self.route(now));
        Ok(effects)
    }

    /// A supervisor becomes the agent of an active workitem, whatever their capacity.
    pub fn take_over(
        &mut self,
        workitem: WorkitemId,
        by: UserId,
        by_name: String,
        now: DateTime<Utc>,
    ) -> Result<Vec<Effect>, AcdError> {
        let from = self.active_owner(workitem, None)?;
        if from == by {
            return Err(AcdError::AlreadyTheirs);
        }
        self.detach(from, workitem, now);
        let default = self.default_capacity;
        self.agents
            .entry(by)
            .or_insert_with(|| Agent::new(now, default))
            .active
            .insert(workitem);
        if let Some(item) = self.items.get_mut(&workitem) {
            item.phase = Phase::Active { agent: by };
        }
        let mut effects = vec![Effect::TakenOver {
            from,
            workitem,
            by,
            by_name,
        }];
        effects.extend(self.busy_change(from));
        effects.extend(self.busy_change(by));
        effects.extend(self.route(now));
        Ok(effects)
    }

    /// The agent of an active workitem, checked against `owner` when given.
    fn active_owner(
        &self,
        workitem: WorkitemId,
        owner: Option<UserId>,
    ) -> Result<UserId, AcdError> {
        match self.items.get(&workitem).map(|i| i.phase) {
            Some(Phase::Active { agent }) if owner.is_none_or(|o| o == agent) => Ok(agent),
            Some(Phase::Active { .. }) => Err(AcdError::NotYours),
            Some(_) if owner.is_some() => Err(AcdError::NotYours),
            Some(_) => Err(AcdError::NotActive),
            None => Err(AcdError::UnknownWorkitem),
        }
    }

    /// Whether `agent` could take an offer now, and if not, why.
    fn check_can_take(&self, agent: UserId) -> Result<(), AcdError> {
        let a = self
            .agents
            .get(&agent)
            .ok_or(AcdError::TargetNotAvailable)?;
        if a.presence != Presence::Available {
            return Err(AcdError::TargetNotAvailable);
        }
        if a.connections == 0 {
            return Err(AcdError::TargetNotConnected);
        }
        if !a.has_room() {
            return Err(AcdError::TargetAtCapacity);
        }
        Ok(())
    }

    /// Takes an active workitem off its agent's hands; their next offer counts from now.
    fn detach(&mut self, agent: UserId, workitem: WorkitemId, now: DateTime<Utc>) {
        if let Some(a) = self.agents.get_mut(&agent) {
            a.active.remove(&workitem);
            a.idle_since = now;
        }
    }
}
