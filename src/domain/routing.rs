//! Queues and campaigns: where a customer's message is routed.

use serde::{Deserialize, Serialize};

use super::{CampaignId, E164, PredictiveSettings, QueueId, SendingHours, SurveyId, WrapUp};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Queue {
    pub id: QueueId,
    pub name: String,
    /// Workitems of a higher priority are offered first.
    #[serde(default)]
    pub priority: i32,
    /// Seconds an agent has to accept an offer before it goes to the next agent.
    pub offer_timeout_secs: u64,
    /// The service level: a customer should have an answer within this many seconds of
    /// writing. The wallboard marks waits past it.
    #[serde(default = "default_sla_secs")]
    pub sla_secs: u64,
    /// The codes an agent picks from when ending one of its workitems.
    #[serde(default)]
    pub wrap_up: WrapUp,
}

/// A new queue's service level, in seconds.
pub const DEFAULT_SLA_SECS: u64 = 60;

fn default_sla_secs() -> u64 {
    DEFAULT_SLA_SECS
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

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
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
    /// The answer to HELP/INFO; empty uses [`Campaign::help_reply`]'s default.
    #[serde(default)]
    pub help_text: String,
    /// The confirmation sent after STOP; empty uses a default.
    #[serde(default)]
    pub opt_out_text: String,
    /// Messages per second each of its numbers may send (carriers limit it per number).
    #[serde(default = "default_send_rate")]
    pub send_rate: f64,
    /// When agents may message customers (in each customer's time zone); `None`: any time.
    #[serde(default)]
    pub quiet_hours: Option<SendingHours>,
    /// IANA zone used for customers whose contact has none; empty: UTC.
    #[serde(default)]
    pub time_zone: String,
    /// The provider its numbers send through (`"simulator"`, `"twilio"`); `None` uses the
    /// server's configured provider.
    #[serde(default)]
    pub provider: Option<String>,
    /// What a predictive campaign sends, when, how fast; `None` for the other kinds.
    #[serde(default)]
    pub predictive: Option<PredictiveSettings>,
}

/// One message per second per number: what a US long code is allowed.
pub fn default_send_rate() -> f64 {
    1.0
}

/// Highest per-number rate a campaign may set (short codes reach about 100/s).
pub const MAX_SEND_RATE: f64 = 1000.0;

impl Campaign {
    /// A campaign with the defaults a new one starts from.
    pub fn new(id: CampaignId, name: &str, kind: CampaignKind, queue: QueueId) -> Campaign {
        Campaign {
            id,
            name: name.to_owned(),
            kind,
            queue,
            numbers: Vec::new(),
            survey: None,
            help_text: String::new(),
            opt_out_text: String::new(),
            send_rate: default_send_rate(),
            quiet_hours: Some(SendingHours::agent_default()),
            time_zone: String::new(),
            provider: None,
            predictive: (kind == CampaignKind::Predictive).then(PredictiveSettings::new),
        }
    }

    pub fn help_reply(&self) -> String {
        text_or(&self.help_text, || default_help(Some(self)))
    }

    pub fn opt_out_reply(&self) -> String {
        text_or(&self.opt_out_text, || default_opt_out(Some(self)))
    }

    /// The provider its numbers send through, with `default` the server's configured one.
    pub fn sends_through<'a>(&'a self, default: &'a str) -> &'a str {
        effective_provider(self.provider.as_deref(), default)
    }
}

/// The provider a campaign's numbers send through: its own choice, else the server's default.
/// The outbox picks providers by this rule, and the simulator decides which numbers it may
/// act for by it.
pub fn effective_provider<'a>(chosen: Option<&'a str>, default: &'a str) -> &'a str {
    chosen.unwrap_or(default)
}

fn text_or(text: &str, default: impl FnOnce() -> String) -> String {
    if text.trim().is_empty() {
        default()
    } else {
        text.to_owned()
    }
}

/// "Name: " before a default answer, so the customer knows who is answering.
fn signed(campaign: Option<&Campaign>, text: &str) -> String {
    match campaign {
        Some(c) => format!("{}: {text}", c.name),
        None => text.to_owned(),
    }
}

pub(super) fn default_help(campaign: Option<&Campaign>) -> String {
    signed(
        campaign,
        "reply STOP to stop receiving messages. Message and data rates may apply.",
    )
}

pub(super) fn default_opt_out(campaign: Option<&Campaign>) -> String {
    signed(
        campaign,
        "you will receive no more messages from us. Reply START to receive them again.",
    )
}

pub(super) fn default_opt_in(campaign: Option<&Campaign>) -> String {
    signed(
        campaign,
        "you will receive our messages again. Reply STOP to stop.",
    )
}
