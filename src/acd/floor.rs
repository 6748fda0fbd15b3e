//! The floor as a supervisor sees it: every agent's state and work, every queue's line. Built
//! by the ACD task from its own state, so it is exactly what routing sees at that moment.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Presence;
use crate::domain::{QueueId, UserId, WorkitemId};

#[derive(Clone, Debug, Serialize)]
pub struct Floor {
    pub at: DateTime<Utc>,
    /// Agents the engine knows (configured or seen), by user id.
    pub agents: Vec<FloorAgent>,
    /// Queues with any routing state; the web layer adds the quiet ones.
    pub queues: Vec<FloorQueue>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FloorAgent {
    pub id: UserId,
    pub presence: Presence,
    pub away_reason: Option<String>,
    /// When the agent entered this state (presence and away reason).
    pub since: DateTime<Utc>,
    /// Whether a workspace tab of theirs is open (a live stream).
    pub connected: bool,
    pub capacity: u32,
    /// Offers waiting for their answer.
    pub offers: usize,
    pub active: Vec<FloorWorkitem>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FloorWorkitem {
    pub id: WorkitemId,
    pub customer: String,
    pub queue: QueueId,
    pub queue_name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FloorQueue {
    pub id: QueueId,
    /// Workitems waiting for an offer.
    pub waiting: usize,
    /// When the longest-waiting of them arrived.
    pub oldest_waiting: Option<DateTime<Utc>>,
    /// Offers out to agents now.
    pub offers_out: usize,
    /// Agents Available for this queue with a workspace open.
    pub available_agents: usize,
}
