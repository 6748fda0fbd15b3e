//! Whether each agent holds active work: reported once each time it starts or stops, so the
//! record of agents' states can give occupancy (time holding work ÷ time Available).

use chrono::{DateTime, Utc};

use super::{Engine, Routable};
use crate::acd::types::Effect;
use crate::domain::UserId;

impl Engine {
    /// An accepted workitem an agent started themselves (an outbound SMS).
    pub fn adopt(&mut self, routable: Routable, agent: UserId, now: DateTime<Utc>) -> Vec<Effect> {
        self.restore_active(routable, agent, now);
        self.busy_change(agent).into_iter().collect()
    }

    /// After restoring accepted work at start-up: every agent's busy flag as it is, unreported
    /// (the restart's own state record says it).
    pub fn settle_busy(&mut self) {
        for a in self.agents.values_mut() {
            a.busy = !a.active.is_empty();
        }
    }

    /// Whether the agent holds active work now.
    pub fn is_busy(&self, agent: UserId) -> bool {
        self.agents
            .get(&agent)
            .is_some_and(|a| !a.active.is_empty())
    }

    /// Reports the agent going from no active work to some, or back, once.
    pub(in crate::acd) fn busy_change(&mut self, agent: UserId) -> Option<Effect> {
        let a = self.agents.get_mut(&agent)?;
        let busy = !a.active.is_empty();
        (busy != a.busy).then(|| {
            a.busy = busy;
            Effect::BusyChanged { agent, busy }
        })
    }
}
