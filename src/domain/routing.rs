//! Queues and campaigns: where a customer's message is routed.

use serde::{Deserialize, Serialize};

use super::{CampaignId, E164, QueueId, SurveyId};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Queue {
    pub id: QueueId,
    pub name: String,
    /// Workitems of a higher priority are offered first.
    #[serde(default)]
    pub priority: i32,
    /// Seconds an agent has to accept an offer before it goes to the next agent.
    pub offer_timeout_secs: u64,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CampaignKind {
    /// Owns numbers; customers' messages to them are routed to the campaign's queue.
    Inbound,
    /// Numbers agents send from.
    Outbound,
    /// Sends to leads on its own.
    Predictive,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Campaign {
    pub id: CampaignId,
    pub name: String,
    pub kind: CampaignKind,
    pub queue: QueueId,
    /// Numbers owned by this campaign, in E.164.
    pub numbers: Vec<E164>,
    /// The survey agents fill in for this campaign's workitems.
    #[serde(default)]
    pub survey: Option<SurveyId>,
}
