//! Asides: the lines of a conversation that only the people handling it see (transfers,
//! take-overs, a supervisor's whisper). Shown in the dialog and the Events tab with one
//! wording, and never sent to the customer.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{EventKind, QueueId, UserId};

/// Longest whisper or transfer note, in characters.
pub const MAX_ASIDE_CHARS: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AsideKind {
    Transfer,
    TakeOver,
    Whisper,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Aside {
    pub at: DateTime<Utc>,
    pub kind: AsideKind,
    pub text: String,
}

impl Aside {
    /// The aside an event stands for, if it is one; `user` and `queue` give names.
    pub fn of(
        at: DateTime<Utc>,
        kind: &EventKind,
        user: impl Fn(UserId) -> String,
        queue: impl Fn(QueueId) -> String,
    ) -> Option<Aside> {
        let (kind, text) = match kind {
            EventKind::Transferred {
                by,
                queue: q,
                to_agent,
                note,
                ..
            } => {
                let to = match to_agent {
                    Some(a) => user(*a),
                    None => format!("queue {}", queue(*q)),
                };
                (
                    AsideKind::Transfer,
                    transfer_text(&user(*by), &to, note.as_deref()),
                )
            }
            EventKind::TakenOver { by, from } => (
                AsideKind::TakeOver,
                format!("{} took over from {}", user(*by), user(*from)),
            ),
            EventKind::Whisper { by, text } => (AsideKind::Whisper, whisper_text(&user(*by), text)),
            _ => return None,
        };
        Some(Aside { at, kind, text })
    }
}

/// "Transferred by Alice to Bob (call back after 5)".
pub fn transfer_text(by: &str, to: &str, note: Option<&str>) -> String {
    match note {
        Some(n) => format!("Transferred by {by} to {to} ({n})"),
        None => format!("Transferred by {by} to {to}"),
    }
}

pub fn whisper_text(by: &str, text: &str) -> String {
    format!("Whisper from {by}: {text}")
}

/// A whisper or note as typed: trimmed; empty is `None`; too long is refused.
pub fn clean_aside(raw: Option<&str>) -> Result<Option<String>, String> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_ASIDE_CHARS {
        return Err(format!(
            "That is too long: at most {MAX_ASIDE_CHARS} characters."
        ));
    }
    Ok(Some(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(u: UserId) -> String {
        format!("user{}", u.0)
    }

    fn queues(q: QueueId) -> String {
        format!("q{}", q.0)
    }

    #[test]
    fn wording_of_each_aside() {
        let at = Utc::now();
        let to_queue = EventKind::Transferred {
            by: UserId(1),
            from: UserId(1),
            queue: QueueId(2),
            to_agent: None,
            note: None,
        };
        let a = Aside::of(at, &to_queue, names, queues).unwrap();
        assert_eq!(a.text, "Transferred by user1 to queue q2");
        let to_agent = EventKind::Transferred {
            by: UserId(9),
            from: UserId(1),
            queue: QueueId(2),
            to_agent: Some(UserId(3)),
            note: Some("billing".into()),
        };
        let a = Aside::of(at, &to_agent, names, queues).unwrap();
        assert_eq!(a.text, "Transferred by user9 to user3 (billing)");
        let w = EventKind::Whisper {
            by: UserId(9),
            text: "offer the discount".into(),
        };
        assert_eq!(
            Aside::of(at, &w, names, queues).unwrap().kind,
            AsideKind::Whisper
        );
        assert!(Aside::of(at, &EventKind::Queued { queue: QueueId(2) }, names, queues).is_none());
    }

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(clean_aside(Some("  ")), Ok(None));
        assert_eq!(clean_aside(Some(" hi ")), Ok(Some("hi".into())));
        assert!(clean_aside(Some(&"x".repeat(MAX_ASIDE_CHARS + 1))).is_err());
        assert!(clean_aside(Some(&"é".repeat(MAX_ASIDE_CHARS))).is_ok());
    }
}
