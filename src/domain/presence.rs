//! An agent's presence (Available, Away, Offline) and the stored record of each change, from
//! which reports count time in each state.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::UserId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    Offline,
    Available,
    Away,
}

/// From `at` on, the agent was in `presence` (with the away reason, if any) and `busy`
/// (holding at least one active workitem) or not. A record is written when either changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceChange {
    pub agent: UserId,
    pub at: DateTime<Utc>,
    pub presence: Presence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub busy: bool,
}
