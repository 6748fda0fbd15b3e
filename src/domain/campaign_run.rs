//! A predictive campaign's run: whether it is sending, what became of each lead, and the
//! counters its page shows. Kept in the store so a restart resumes exactly where it stopped.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ChannelPreference, DeliveryStatus, MessageId};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Never started.
    #[default]
    Ready,
    Running,
    Paused,
    /// Stopped for good by a person; leads not yet messaged never will be.
    Cancelled,
    /// Every lead was messaged or skipped, or the end time passed.
    Finished,
}

impl RunState {
    /// The state in one lower-case word, as stored (pages mark their state with it).
    pub fn key(self) -> &'static str {
        match self {
            RunState::Ready => "ready",
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::Cancelled => "cancelled",
            RunState::Finished => "finished",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RunState::Ready => "Not started",
            RunState::Running => "Running",
            RunState::Paused => "Paused",
            RunState::Cancelled => "Cancelled",
            RunState::Finished => "Finished",
        }
    }

    /// What a person may do from this state.
    pub fn actions(self) -> &'static [RunAction] {
        match self {
            RunState::Ready => &[RunAction::Start, RunAction::Cancel],
            RunState::Running => &[RunAction::Pause, RunAction::Cancel],
            RunState::Paused => &[RunAction::Resume, RunAction::Cancel],
            // More leads may be imported after a run finished.
            RunState::Finished => &[RunAction::Start],
            RunState::Cancelled => &[],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunAction {
    Start,
    Pause,
    Resume,
    Cancel,
}

impl RunAction {
    pub fn parse(s: &str) -> Option<RunAction> {
        Some(match s {
            "start" => RunAction::Start,
            "pause" => RunAction::Pause,
            "resume" => RunAction::Resume,
            "cancel" => RunAction::Cancel,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunAction::Start => "start",
            RunAction::Pause => "pause",
            RunAction::Resume => "resume",
            RunAction::Cancel => "cancel",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RunAction::Start => "Start",
            RunAction::Pause => "Pause",
            RunAction::Resume => "Resume",
            RunAction::Cancel => "Cancel campaign",
        }
    }

    /// The state this action leads to from `from`, or why it cannot be taken.
    pub fn apply(self, from: RunState) -> Result<RunState, String> {
        if from.actions().contains(&self) {
            return Ok(match self {
                RunAction::Start | RunAction::Resume => RunState::Running,
                RunAction::Pause => RunState::Paused,
                RunAction::Cancel => RunState::Cancelled,
            });
        }
        Err(format!(
            "A campaign that is {} cannot {}.",
            from.label().to_lowercase(),
            self.as_str()
        ))
    }
}

/// Whether a campaign runs, and since when.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignRun {
    pub state: RunState,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// When the state last changed.
    #[serde(default)]
    pub changed_at: Option<DateTime<Utc>>,
}

/// Why a lead gets no message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The lead prefers another channel (or none, without "unknown" allowed).
    Channel(ChannelPreference),
    OptedOut,
    /// The campaign ends before the lead's next allowed moment.
    Ended,
}

impl SkipReason {
    pub fn label(self) -> String {
        match self {
            SkipReason::Channel(c) => {
                format!("{CHANNEL_SKIP_PREFIX}{}", c.label().to_lowercase())
            }
            SkipReason::OptedOut => "opted out".into(),
            SkipReason::Ended => "campaign ended first".into(),
        }
    }
}

/// What became of one lead; a lead with no progress has not been reached yet. Written in
/// the transaction that stores its message, so no lead is ever messaged twice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeadProgress {
    pub at: DateTime<Utc>,
    pub outcome: LeadOutcome,
    #[serde(default)]
    pub replied: bool,
    #[serde(default)]
    pub opted_out: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadOutcome {
    Messaged(MessageId),
    Skipped(SkipReason),
}

/// A campaign's counters, kept up to date in the transactions that change them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// Leads given a message (each counted once, whatever became of it).
    pub messaged: u64,
    /// Of those, by the message's current status.
    pub queued: u64,
    pub sent: u64,
    pub delivered: u64,
    pub failed: u64,
    /// Leads that answered (counted once each).
    pub replied: u64,
    /// Leads that opted out: before their turn came, or by answering STOP.
    pub opted_out: u64,
    /// Leads not messaged, by [`SkipReason::label`].
    pub skipped: BTreeMap<String, u64>,
    /// Rows the imports refused (bad numbers, duplicates, …), by kind.
    #[serde(default)]
    pub refused: BTreeMap<String, u64>,
    /// Leads imported, by channel preference ([`ChannelPreference::as_str`]), so the leads a
    /// campaign will message are known before it starts.
    #[serde(default)]
    pub channels: BTreeMap<String, u64>,
}

impl RunStats {
    /// Moves one message from the count of `from` to that of `to`.
    pub fn status_moved(&mut self, from: DeliveryStatus, to: DeliveryStatus) {
        if let Some(n) = self.slot(from) {
            *n = n.saturating_sub(1);
        }
        if let Some(n) = self.slot(to) {
            *n += 1;
        }
    }

    fn slot(&mut self, status: DeliveryStatus) -> Option<&mut u64> {
        match status {
            DeliveryStatus::Queued => Some(&mut self.queued),
            DeliveryStatus::Sent => Some(&mut self.sent),
            DeliveryStatus::Delivered => Some(&mut self.delivered),
            DeliveryStatus::Undelivered | DeliveryStatus::Failed => Some(&mut self.failed),
            DeliveryStatus::Received => None,
        }
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Leads still to be reached, of `leads` imported.
    pub fn waiting(&self, leads: u64) -> u64 {
        leads.saturating_sub(self.messaged + self.skipped_total())
    }

    /// Leads the campaign aims at: those whose channel preference it messages. Lists
    /// imported before channels were counted fall back to the leads not skipped.
    pub fn eligible(&self, leads: u64, include_unknown: bool) -> u64 {
        if self.channels.is_empty() {
            return leads.saturating_sub(self.skipped_total());
        }
        let messaged_channel = |c: &str| {
            c == ChannelPreference::Sms.as_str()
                || (include_unknown && c == ChannelPreference::Unknown.as_str())
        };
        self.channels
            .iter()
            .filter(|(c, _)| messaged_channel(c))
            .map(|(_, n)| n)
            .sum()
    }

    /// Eligible leads still to be reached (neither messaged nor skipped).
    pub fn eligible_waiting(&self, leads: u64, include_unknown: bool) -> u64 {
        let channel_skips: u64 = self
            .skipped
            .iter()
            .filter(|(reason, _)| reason.starts_with(CHANNEL_SKIP_PREFIX))
            .map(|(_, n)| n)
            .sum();
        let other_skips = self.skipped_total() - channel_skips;
        self.eligible(leads, include_unknown)
            .saturating_sub(self.messaged + other_skips)
            .min(self.waiting(leads))
    }
}

/// How [`SkipReason::label`] starts for a channel preference.
const CHANNEL_SKIP_PREFIX: &str = "prefers ";

/// Sends, deliveries and replies in one minute, for the campaign's chart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteCounts {
    pub sent: u32,
    pub delivered: u32,
    pub replied: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_follow_the_state() {
        assert_eq!(
            RunAction::Start.apply(RunState::Ready),
            Ok(RunState::Running)
        );
        assert_eq!(
            RunAction::Pause.apply(RunState::Running),
            Ok(RunState::Paused)
        );
        assert_eq!(
            RunAction::Resume.apply(RunState::Paused),
            Ok(RunState::Running)
        );
        assert!(RunAction::Resume.apply(RunState::Running).is_err());
        assert!(RunAction::Start.apply(RunState::Cancelled).is_err());
        assert!(RunAction::Cancel.apply(RunState::Finished).is_err());
        assert_eq!(
            RunAction::Start.apply(RunState::Finished),
            Ok(RunState::Running)
        );
    }

    #[test]
    fn a_status_change_moves_one_count() {
        let mut s = RunStats {
            messaged: 1,
            queued: 1,
            ..RunStats::default()
        };
        s.status_moved(DeliveryStatus::Queued, DeliveryStatus::Sent);
        s.status_moved(DeliveryStatus::Sent, DeliveryStatus::Undelivered);
        assert_eq!((s.queued, s.sent, s.failed), (0, 0, 1));
        assert_eq!(s.waiting(3), 2);
    }

    #[test]
    fn eligible_leads_follow_the_channel_counts() {
        let mut s = RunStats::default();
        s.channels.insert("sms".into(), 5);
        s.channels.insert("unknown".into(), 2);
        s.channels.insert("email".into(), 3);
        assert_eq!(s.eligible(10, false), 5);
        assert_eq!(s.eligible(10, true), 7);
        // Running: 2 messaged, 1 opted out, the 3 email leads and 2 unknown ones skipped.
        s.messaged = 2;
        s.skipped.insert(SkipReason::OptedOut.label(), 1);
        s.skipped
            .insert(SkipReason::Channel(ChannelPreference::Email).label(), 3);
        s.skipped
            .insert(SkipReason::Channel(ChannelPreference::Unknown).label(), 2);
        assert_eq!(s.eligible_waiting(10, false), 2);
        assert_eq!(s.waiting(10), 2);
    }
}
