//! The values the routing engine takes and gives: agent presence, routing decisions
//! (effects), refusals, and what an agent's workspace is shown.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{QueueId, UserId, WorkitemId};

pub use crate::domain::Presence;

/// Why an offer left an agent without being accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawReason {
    TimedOut,
    Rejected,
    /// The agent went Away/Offline or closed their last workspace tab.
    AgentLeft,
}

/// A routing decision for the task to carry out, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Offered {
        agent: UserId,
        workitem: WorkitemId,
        expires_at: DateTime<Utc>,
    },
    Withdrawn {
        agent: UserId,
        workitem: WorkitemId,
        reason: WithdrawReason,
    },
    Accepted {
        agent: UserId,
        workitem: WorkitemId,
    },
    Terminated {
        agent: UserId,
        workitem: WorkitemId,
        wrap_up: Option<String>,
    },
    /// An active workitem taken from its agent and put back in line, with why.
    Returned {
        agent: UserId,
        workitem: WorkitemId,
        reason: String,
    },
    PresenceChanged {
        agent: UserId,
        /// Whether the state or away reason changed (not just said again).
        changed: bool,
    },
    /// An active workitem left its agent for another queue or agent (what follows: an offer
    /// to the named agent, or routing in the target queue).
    HandedOff {
        from: UserId,
        workitem: WorkitemId,
        transfer: Transfer,
    },
    /// The agent went from no active workitem to some, or back.
    BusyChanged {
        agent: UserId,
        busy: bool,
    },
    /// A supervisor became an active workitem's agent.
    TakenOver {
        from: UserId,
        workitem: WorkitemId,
        by: UserId,
        by_name: String,
    },
}

/// Where a transferred workitem goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferTarget {
    /// Back in line in this queue, for whichever agent routing picks.
    Queue(QueueId),
    /// Offered to this agent; if they reject it or let it lapse, it waits in its queue.
    Agent(UserId),
}

/// A transfer as asked for, with the names the receiver and the giver are shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub by: UserId,
    pub by_name: String,
    pub target: TransferTarget,
    /// The queue's or the agent's name.
    pub target_name: String,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AcdError {
    #[error("this workitem is no longer offered to you")]
    NotOffered,
    #[error("this workitem is not one of your active workitems")]
    NotYours,
    #[error("unknown workitem")]
    UnknownWorkitem,
    #[error("only a conversation an agent has accepted can be moved")]
    NotActive,
    #[error("this conversation is already theirs")]
    AlreadyTheirs,
    #[error("that agent is not Available")]
    TargetNotAvailable,
    #[error("that agent has no workspace open")]
    TargetNotConnected,
    #[error("that agent has no room for another conversation")]
    TargetAtCapacity,
}

/// What the engine knows of a workitem waiting for, offered to, or owned by an agent.
#[derive(Clone, Debug)]
pub struct Routable {
    pub id: WorkitemId,
    pub queue: QueueId,
    pub priority: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Queued,
    Offered {
        agent: UserId,
        expires_at: DateTime<Utc>,
    },
    Active {
        agent: UserId,
    },
}

/// An agent's routing state as their workspace shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AgentView {
    pub presence: Presence,
    pub away_reason: Option<String>,
    pub capacity: u32,
    /// Offers waiting for this agent's answer, with their deadlines.
    pub offers: Vec<(WorkitemId, DateTime<Utc>)>,
    pub active: Vec<WorkitemId>,
}
