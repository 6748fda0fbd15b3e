//! How a conversation stands for the agent's workitem list: when the customer last wrote,
//! whether we answered since, and how many messages the customer sent.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Direction, Message, MessageId};

/// One message, named by its id (ids grow with time, so they order messages even when two
/// share a time stamp) and its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MessageMark {
    pub id: MessageId,
    pub at: DateTime<Utc>,
}

/// The customer's side of a conversation, as the workitem list shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// Messages the customer sent (the list counts the unread ones from it).
    pub customer_messages: usize,
    /// The customer's latest message.
    pub last_in: Option<MessageMark>,
    /// Our latest message to them (an agent's or an automatic reply).
    pub last_out: Option<MessageMark>,
}

impl Activity {
    pub fn of(messages: &[Message]) -> Activity {
        let mut activity = Activity::default();
        for m in messages {
            let mark = Some(MessageMark { id: m.id, at: m.at });
            let slot = match m.direction {
                Direction::In => {
                    activity.customer_messages += 1;
                    &mut activity.last_in
                }
                Direction::Out => &mut activity.last_out,
            };
            if slot.is_none_or(|s| s.id < m.id) {
                *slot = mark;
            }
        }
        activity
    }

    /// Since when the customer has been waiting for an answer: their latest message, when
    /// nothing of ours followed it.
    pub fn waiting_since(&self) -> Option<DateTime<Utc>> {
        let last_in = self.last_in?;
        match self.last_out {
            Some(out) if out.id > last_in.id => None,
            _ => Some(last_in.at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::utc;
    use crate::domain::{DeliveryStatus, WorkitemId};

    fn msg(id: u64, direction: Direction, at: &str) -> Message {
        Message {
            id: MessageId(id),
            workitem: WorkitemId(1),
            direction,
            body: String::new(),
            at: utc(at),
            agent: None,
            status: DeliveryStatus::Delivered,
            provider_id: None,
            error: None,
            segments: 1,
            encoding: None,
        }
    }

    #[test]
    fn the_customer_waits_from_their_latest_unanswered_message() {
        let a = Activity::of(&[
            msg(1, Direction::In, "2026-01-01T10:00:00Z"),
            msg(2, Direction::Out, "2026-01-01T10:01:00Z"),
            msg(3, Direction::In, "2026-01-01T10:02:00Z"),
            msg(4, Direction::In, "2026-01-01T10:03:00Z"),
        ]);
        assert_eq!(a.customer_messages, 3);
        assert_eq!(a.waiting_since(), Some(utc("2026-01-01T10:03:00Z")));
    }

    #[test]
    fn an_answer_ends_the_wait_even_within_the_same_second() {
        let a = Activity::of(&[
            msg(7, Direction::Out, "2026-01-01T10:00:00Z"),
            msg(5, Direction::In, "2026-01-01T10:00:00Z"),
        ]);
        assert_eq!(a.waiting_since(), None);
        assert_eq!(a.last_in.map(|m| m.id), Some(MessageId(5)));
        assert_eq!(Activity::of(&[]).waiting_since(), None);
    }
}
