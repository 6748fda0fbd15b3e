//! The ACD: one task owns agent states, queues, offers and timers. Handlers send it commands
//! through an `Acd` handle and get answers back; it pushes offers to agents through the hub.

mod engine;
mod floor;
mod task;
mod types;

pub use engine::Engine;
pub use floor::{Floor, FloorAgent, FloorQueue, FloorWorkitem};
pub use task::{AgentSnapshot, spawn};
pub use types::{
    AcdError, AgentView, Effect, Phase, Presence, Routable, Transfer, TransferTarget,
    WithdrawReason,
};

use tokio::sync::{mpsc, oneshot, watch};

use crate::domain::{AgentSettings, Message, Queue, UserId, Workitem, WorkitemId};
use crate::live::WorkitemCard;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AcdCallError {
    #[error(transparent)]
    Refused(#[from] AcdError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the routing engine is shut down")]
    Closed,
}

pub(crate) enum Command {
    Presence {
        agent: UserId,
        presence: Presence,
        reason: Option<String>,
        reply: oneshot::Sender<AgentView>,
    },
    Connected {
        agent: UserId,
    },
    Disconnected {
        agent: UserId,
    },
    Configure {
        agent: UserId,
        settings: AgentSettings,
    },
    Release {
        agent: UserId,
        reason: String,
    },
    QueueChanged {
        queue: Queue,
    },
    Enqueue {
        workitem: Workitem,
        customer_name: String,
    },
    CustomerMessage {
        workitem: WorkitemId,
        message: Message,
    },
    Adopt {
        workitem: Workitem,
        customer_name: String,
    },
    Accept {
        agent: UserId,
        workitem: WorkitemId,
        reply: oneshot::Sender<Result<WorkitemCard, AcdCallError>>,
    },
    Reject {
        agent: UserId,
        workitem: WorkitemId,
        reply: oneshot::Sender<Result<(), AcdCallError>>,
    },
    Terminate {
        agent: UserId,
        workitem: WorkitemId,
        wrap_up: Option<String>,
        reply: oneshot::Sender<Result<(), AcdCallError>>,
    },
    Transfer {
        workitem: WorkitemId,
        owner: Option<UserId>,
        transfer: Transfer,
        reply: oneshot::Sender<Result<(), AcdCallError>>,
    },
    TakeOver {
        workitem: WorkitemId,
        by: UserId,
        by_name: String,
        reply: oneshot::Sender<Result<(), AcdCallError>>,
    },
    Snapshot {
        agent: UserId,
        reply: oneshot::Sender<AgentSnapshot>,
    },
    Floor {
        reply: oneshot::Sender<Floor>,
    },
}

impl Command {
    /// Whether the command only reads (so the floor cannot have changed).
    fn reads_only(&self) -> bool {
        matches!(self, Command::Snapshot { .. } | Command::Floor { .. })
    }
}

/// A cloneable handle for sending the ACD commands.
#[derive(Clone)]
pub struct Acd {
    tx: mpsc::UnboundedSender<Command>,
    /// Bumped after every change of routing state; watchers read the floor again.
    floor_version: watch::Receiver<u64>,
}

impl Acd {
    fn send(&self, cmd: Command) {
        // After shutdown the task is gone; there is nobody left to route for.
        let _ = self.tx.send(cmd);
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, AcdCallError> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(make(tx)).map_err(|_| AcdCallError::Closed)?;
        rx.await.map_err(|_| AcdCallError::Closed)
    }

    pub async fn set_presence(
        &self,
        agent: UserId,
        presence: Presence,
        reason: Option<String>,
    ) -> Result<AgentView, AcdCallError> {
        self.ask(|reply| Command::Presence {
            agent,
            presence,
            reason,
            reply,
        })
        .await
    }

    pub fn connected(&self, agent: UserId) {
        self.send(Command::Connected { agent });
    }

    pub fn disconnected(&self, agent: UserId) {
        self.send(Command::Disconnected { agent });
    }

    pub fn configure(&self, agent: UserId, settings: AgentSettings) {
        self.send(Command::Configure { agent, settings });
    }

    /// Takes an agent out of routing (account disabled): their offers go to others and their
    /// active workitems back to their queues, each with an event giving `reason`.
    pub fn release(&self, agent: UserId, reason: String) {
        self.send(Command::Release { agent, reason });
    }

    pub fn queue_changed(&self, queue: Queue) {
        self.send(Command::QueueChanged { queue });
    }

    /// A new workitem to route (already stored).
    pub fn enqueue(&self, workitem: Workitem, customer_name: String) {
        self.send(Command::Enqueue {
            workitem,
            customer_name,
        });
    }

    /// A workitem an agent started (an outbound SMS, already stored as active and theirs):
    /// counted against their capacity and shown in their workitem list.
    pub fn adopt(&self, workitem: Workitem, customer_name: String) {
        self.send(Command::Adopt {
            workitem,
            customer_name,
        });
    }

    /// A customer message on an open workitem (already stored): pushed to its agent.
    pub fn customer_message(&self, workitem: WorkitemId, message: Message) {
        self.send(Command::CustomerMessage { workitem, message });
    }

    /// Accepts an offer; answers once the acceptance is durable.
    pub async fn accept(
        &self,
        agent: UserId,
        workitem: WorkitemId,
    ) -> Result<WorkitemCard, AcdCallError> {
        self.ask(|reply| Command::Accept {
            agent,
            workitem,
            reply,
        })
        .await?
    }

    pub async fn reject(&self, agent: UserId, workitem: WorkitemId) -> Result<(), AcdCallError> {
        self.ask(|reply| Command::Reject {
            agent,
            workitem,
            reply,
        })
        .await?
    }

    /// Ends a workitem with its wrap-up code (already checked against its queue); answers once
    /// the termination is durable.
    pub async fn terminate(
        &self,
        agent: UserId,
        workitem: WorkitemId,
        wrap_up: Option<String>,
    ) -> Result<(), AcdCallError> {
        self.ask(|reply| Command::Terminate {
            agent,
            workitem,
            wrap_up,
            reply,
        })
        .await?
    }

    /// Moves an active workitem to a queue or a named agent; answers once the move is
    /// durable. `owner`: the agent who must hold it, or `None` for a supervisor.
    pub async fn transfer(
        &self,
        workitem: WorkitemId,
        owner: Option<UserId>,
        transfer: Transfer,
    ) -> Result<(), AcdCallError> {
        self.ask(|reply| Command::Transfer {
            workitem,
            owner,
            transfer,
            reply,
        })
        .await?
    }

    /// Makes a supervisor the agent of an active workitem; answers once that is durable.
    pub async fn take_over(
        &self,
        workitem: WorkitemId,
        by: UserId,
        by_name: String,
    ) -> Result<(), AcdCallError> {
        self.ask(|reply| Command::TakeOver {
            workitem,
            by,
            by_name,
            reply,
        })
        .await?
    }

    pub async fn snapshot(&self, agent: UserId) -> Result<AgentSnapshot, AcdCallError> {
        self.ask(|reply| Command::Snapshot { agent, reply }).await
    }

    /// Every agent's state and work and every queue's line, as routing sees them now.
    pub async fn floor(&self) -> Result<Floor, AcdCallError> {
        self.ask(|reply| Command::Floor { reply }).await
    }

    /// Changes whenever the floor may have changed (many changes may show as one).
    pub fn floor_changes(&self) -> watch::Receiver<u64> {
        self.floor_version.clone()
    }
}
