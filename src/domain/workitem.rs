//! Workitems (one SMS conversation handled by one agent), their messages and routing events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{CampaignId, ContactId, E164, EventId, MessageId, QueueId, UserId, WorkitemId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkitemState {
    /// Waiting for an agent.
    Queued,
    /// Offered to one agent, who has not answered yet.
    Offered,
    /// Accepted: belongs to its agent until they terminate it.
    Active,
    /// Ended by the agent; a later customer message starts a new workitem.
    Terminated,
}

impl WorkitemState {
    pub fn is_open(self) -> bool {
        self != WorkitemState::Terminated
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Workitem {
    pub id: WorkitemId,
    pub contact: ContactId,
    /// The customer's number.
    pub customer: E164,
    /// Our number the conversation runs on.
    pub our_number: E164,
    pub campaign: Option<CampaignId>,
    pub queue: QueueId,
    pub priority: i32,
    pub state: WorkitemState,
    /// The agent it is offered to or owned by.
    pub agent: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub terminated_at: Option<DateTime<Utc>>,
    /// First words of the customer's first message, shown in offers and lists.
    pub preview: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the customer.
    In,
    /// To the customer.
    Out,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Stored, waiting in the outbox.
    Queued,
    /// Accepted by the provider.
    Sent,
    Delivered,
    Undelivered,
    Failed,
    /// An inbound message we received.
    Received,
}

impl DeliveryStatus {
    /// Parses a provider's status word (Twilio's vocabulary).
    pub fn from_provider(s: &str) -> Option<DeliveryStatus> {
        Some(match s.to_ascii_lowercase().as_str() {
            "accepted" | "queued" | "scheduled" | "sending" => DeliveryStatus::Queued,
            "sent" => DeliveryStatus::Sent,
            "delivered" | "read" => DeliveryStatus::Delivered,
            "undelivered" => DeliveryStatus::Undelivered,
            "failed" | "canceled" => DeliveryStatus::Failed,
            "received" | "receiving" => DeliveryStatus::Received,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    pub workitem: WorkitemId,
    pub direction: Direction,
    pub body: String,
    pub at: DateTime<Utc>,
    /// The agent who wrote an outbound message.
    pub agent: Option<UserId>,
    pub status: DeliveryStatus,
    /// The provider's id (Twilio `MessageSid`), once known.
    pub provider_id: Option<String>,
    /// The provider's error code for a failed delivery.
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    Queued {
        queue: QueueId,
    },
    Offered {
        agent: UserId,
    },
    Rejected {
        agent: UserId,
    },
    TimedOut {
        agent: UserId,
    },
    Withdrawn {
        agent: UserId,
        reason: String,
    },
    Accepted {
        agent: UserId,
    },
    MessageIn {
        message: MessageId,
    },
    MessageOut {
        message: MessageId,
        agent: Option<UserId>,
    },
    Terminated {
        agent: Option<UserId>,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Event {
    pub id: EventId,
    pub workitem: WorkitemId,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The first words of a message, cut at a character boundary, for offers and lists.
pub fn preview(body: &str) -> String {
    const MAX: usize = 80;
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX {
        return flat;
    }
    let cut: String = flat.chars().take(MAX).collect();
    match cut.rfind(' ') {
        Some(i) if i > MAX / 2 => format!("{}…", &cut[..i]),
        _ => format!("{cut}…"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_cuts_at_a_word() {
        assert_eq!(preview("  hi\n there "), "hi there");
        let long = "word ".repeat(40);
        let p = preview(&long);
        assert!(p.ends_with('…') && p.chars().count() <= 81, "{p}");
        let emoji = "😀".repeat(100);
        assert_eq!(preview(&emoji).chars().count(), 81);
    }
}
