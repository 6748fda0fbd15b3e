//! Workitems (one SMS conversation handled by one agent), their messages and routing events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use super::segments::Encoding;
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
    /// First words of the first message, shown in offers and lists.
    pub preview: String,
    /// Started by an agent's outbound SMS rather than by the customer.
    #[serde(default)]
    pub outbound: bool,
    /// The wrap-up code its agent ended it with, in its queue's spelling.
    #[serde(default)]
    pub wrap_up: Option<String>,
    /// When an agent first wrote to the customer in it (`None`: nobody has yet). Workitems
    /// stored before this was recorded get it when the statistics are rebuilt.
    #[serde(default)]
    pub first_reply_at: Option<DateTime<Utc>>,
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
    /// SMS parts the body takes on the air (`segments::count`); 0 on messages stored before
    /// this was recorded.
    #[serde(default)]
    pub segments: usize,
    /// How the body is encoded on the air; `None` on messages stored before this was recorded.
    #[serde(default, deserialize_with = "encoding_or_none")]
    pub encoding: Option<Encoding>,
}

/// Reads a stored encoding; an unknown word reads as `None` rather than failing the message.
fn encoding_or_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Encoding>, D::Error> {
    Ok(match Option::<String>::deserialize(d)?.as_deref() {
        Some("gsm7") => Some(Encoding::Gsm7),
        Some("ucs2") => Some(Encoding::Ucs2),
        _ => None,
    })
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
        /// The wrap-up code chosen, when the queue has codes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wrap_up: Option<String>,
    },
    /// An agent started the conversation with an outbound SMS.
    Started {
        agent: UserId,
    },
    /// A predictive campaign messaged the customer (a lead of its list).
    Campaign {
        campaign: CampaignId,
    },
    /// The customer texted a compliance keyword (STOP, START, HELP, …).
    Keyword {
        word: String,
        /// Whether it changed the number's consent.
        consent_changed: bool,
    },
    /// An agent or supervisor moved the workitem to a queue or a named agent.
    Transferred {
        by: UserId,
        /// The agent who held it.
        from: UserId,
        /// The queue it now belongs to (also when it went to a named agent).
        queue: QueueId,
        /// The agent it was offered to, if it went to one by name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_agent: Option<UserId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A supervisor became the workitem's agent.
    TakenOver {
        by: UserId,
        from: UserId,
    },
    /// A supervisor's private line to the agent; never sent to the customer.
    Whisper {
        by: UserId,
        text: String,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Event {
    /// `None` for a customer message, whose event is read from the message itself.
    pub id: Option<EventId>,
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

    #[test]
    fn terminations_stored_before_wrap_up_codes_read_without_one() {
        let old =
            r#"{"id":5,"workitem":2,"at":"2026-01-01T00:00:00Z","kind":"terminated","agent":3}"#;
        let e: Event = serde_json::from_str(old).unwrap();
        assert_eq!(
            e.kind,
            EventKind::Terminated {
                agent: Some(UserId(3)),
                wrap_up: None
            }
        );
        // Without a code nothing new is written, so older builds read newer events too.
        assert_eq!(serde_json::to_string(&e).unwrap(), old);
        let coded = Event {
            kind: EventKind::Terminated {
                agent: Some(UserId(3)),
                wrap_up: Some("Sale".into()),
            },
            ..e
        };
        let back: Event = serde_json::from_str(&serde_json::to_string(&coded).unwrap()).unwrap();
        assert_eq!(back, coded);
    }

    #[test]
    fn messages_stored_before_segment_counts_read_as_unknown() {
        let old = r#"{"id":1,"workitem":2,"direction":"in","body":"hi","at":"2026-01-01T00:00:00Z",
            "agent":null,"status":"received","provider_id":null}"#;
        let m: Message = serde_json::from_str(old).unwrap();
        assert_eq!((m.segments, m.encoding), (0, None));
        let stored = Message {
            segments: 2,
            encoding: Some(Encoding::Ucs2),
            ..m
        };
        let back: Message = serde_json::from_str(&serde_json::to_string(&stored).unwrap()).unwrap();
        assert_eq!(back, stored);
        let odd = old.replace(r#""hi","#, r#""hi","encoding":"gsm9","#);
        let m: Message = serde_json::from_str(&odd).unwrap();
        assert_eq!(m.encoding, None);
    }
}
