//! Leads: the people a predictive campaign may message, imported from a list and linked to
//! the contact with the same mobile number.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    CampaignId, ChannelPreference, ContactId, DeliveryStatus, E164, LeadId, LeadOutcome,
    LeadProgress, RunStats, SkipReason,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    pub id: LeadId,
    pub campaign: CampaignId,
    pub phone: E164,
    pub contact: ContactId,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    /// IANA zone for the allowed sending hours; empty: the campaign's.
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub channel: ChannelPreference,
    /// The list's other columns, usable as `{placeholders}` in the campaign's message.
    #[serde(default)]
    pub fields: Vec<(String, String)>,
    pub imported_at: DateTime<Utc>,
}

/// Which of a campaign's leads the leads page lists, by what became of them. The counts of
/// each come from the campaign's counters ([`RunStats`]), the same as the run page's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeadFilter {
    All,
    /// Not reached yet, and of a channel the campaign messages.
    Waiting,
    /// Not reached yet, of a channel the campaign does not message: skipped when it runs.
    NotEligible,
    Messaged,
    Replied,
    OptedOut,
    Skipped,
}

impl LeadFilter {
    pub const ALL: [LeadFilter; 7] = [
        LeadFilter::All,
        LeadFilter::Waiting,
        LeadFilter::NotEligible,
        LeadFilter::Messaged,
        LeadFilter::Replied,
        LeadFilter::OptedOut,
        LeadFilter::Skipped,
    ];

    /// The filter named in an address; `None` for an unknown word.
    pub fn parse(s: &str) -> Option<LeadFilter> {
        LeadFilter::ALL.into_iter().find(|f| f.as_str() == s.trim())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LeadFilter::All => "all",
            LeadFilter::Waiting => "waiting",
            LeadFilter::NotEligible => "not_eligible",
            LeadFilter::Messaged => "messaged",
            LeadFilter::Replied => "replied",
            LeadFilter::OptedOut => "opted_out",
            LeadFilter::Skipped => "skipped",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LeadFilter::All => "All",
            LeadFilter::Waiting => "Waiting",
            LeadFilter::NotEligible => "Not eligible",
            LeadFilter::Messaged => "Messaged",
            LeadFilter::Replied => "Replied",
            LeadFilter::OptedOut => "Opted out",
            LeadFilter::Skipped => "Skipped",
        }
    }

    /// Whether telling a lead not reached yet apart needs its channel.
    pub fn needs_channel(self) -> bool {
        matches!(self, LeadFilter::Waiting | LeadFilter::NotEligible)
    }

    /// Whether a lead with `progress` is listed; `eligible` (whether the campaign messages
    /// its channel) matters only when [`LeadFilter::needs_channel`].
    pub fn matches(self, progress: Option<&LeadProgress>, eligible: bool) -> bool {
        match (self, progress) {
            (LeadFilter::All, _) => true,
            (LeadFilter::Waiting, None) => eligible,
            (LeadFilter::NotEligible, None) => !eligible,
            (LeadFilter::Waiting | LeadFilter::NotEligible, Some(_)) => false,
            (_, None) => false,
            (LeadFilter::Messaged, Some(p)) => matches!(p.outcome, LeadOutcome::Messaged(_)),
            (LeadFilter::Replied, Some(p)) => p.replied,
            (LeadFilter::OptedOut, Some(p)) => p.opted_out,
            (LeadFilter::Skipped, Some(p)) => matches!(p.outcome, LeadOutcome::Skipped(_)),
        }
    }

    /// How many of the campaign's `leads` it lists, from the campaign's counters.
    pub fn count(self, stats: &RunStats, leads: u64, include_unknown: bool) -> u64 {
        let waiting = stats.eligible_waiting(leads, include_unknown);
        match self {
            LeadFilter::All => leads,
            LeadFilter::Waiting => waiting,
            LeadFilter::NotEligible => stats.waiting(leads).saturating_sub(waiting),
            LeadFilter::Messaged => stats.messaged,
            LeadFilter::Replied => stats.replied,
            LeadFilter::OptedOut => stats.opted_out,
            LeadFilter::Skipped => stats.skipped_total(),
        }
    }
}

/// What became of one lead, in words for the leads page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadStatus {
    /// `waiting`, `not_eligible`, `messaged` or `skipped`.
    pub key: &'static str,
    /// `Waiting`, `Messaged · delivered · replied`, `Skipped`.
    pub label: String,
    /// Why it gets no message (skipped, or not eligible), if so.
    pub reason: Option<String>,
}

impl LeadStatus {
    /// `delivery` is the status of the lead's message, when it was messaged.
    pub fn of(
        lead: &Lead,
        progress: Option<&LeadProgress>,
        eligible: bool,
        delivery: Option<DeliveryStatus>,
    ) -> LeadStatus {
        let Some(p) = progress else {
            return if eligible {
                LeadStatus {
                    key: "waiting",
                    label: "Waiting".into(),
                    reason: None,
                }
            } else {
                LeadStatus {
                    key: "not_eligible",
                    label: "Not eligible: skipped when the campaign runs".into(),
                    reason: Some(SkipReason::Channel(lead.channel).label()),
                }
            };
        };
        match p.outcome {
            LeadOutcome::Skipped(reason) => LeadStatus {
                key: "skipped",
                label: "Skipped".into(),
                reason: Some(reason.label()),
            },
            LeadOutcome::Messaged(_) => {
                let mut label = "Messaged".to_owned();
                if let Some(d) = delivery {
                    label.push_str(" · ");
                    label.push_str(delivery_word(d));
                }
                if p.replied {
                    label.push_str(" · replied");
                }
                if p.opted_out {
                    label.push_str(" · opted out");
                }
                LeadStatus {
                    key: "messaged",
                    label,
                    reason: None,
                }
            }
        }
    }
}

/// A campaign message's status in the run page's words.
fn delivery_word(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Queued => "in the outbox",
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Undelivered | DeliveryStatus::Failed => "failed",
        DeliveryStatus::Received => "received",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MessageId;

    fn lead(channel: ChannelPreference) -> Lead {
        Lead {
            id: LeadId(1),
            campaign: CampaignId(1),
            phone: E164::parse("+14155550100").expect("phone"),
            contact: ContactId(1),
            first_name: "Ana".into(),
            last_name: String::new(),
            time_zone: String::new(),
            channel,
            fields: Vec::new(),
            imported_at: DateTime::UNIX_EPOCH,
        }
    }

    fn progress(outcome: LeadOutcome, replied: bool, opted_out: bool) -> LeadProgress {
        LeadProgress {
            at: DateTime::UNIX_EPOCH,
            outcome,
            replied,
            opted_out,
        }
    }

    #[test]
    fn each_filter_lists_the_leads_in_its_state() {
        let messaged = progress(LeadOutcome::Messaged(MessageId(1)), true, false);
        let stopped = progress(LeadOutcome::Skipped(SkipReason::OptedOut), false, true);
        let cases: [(Option<&LeadProgress>, bool, &[LeadFilter]); 4] = [
            (None, true, &[LeadFilter::All, LeadFilter::Waiting]),
            (None, false, &[LeadFilter::All, LeadFilter::NotEligible]),
            (
                Some(&messaged),
                true,
                &[LeadFilter::All, LeadFilter::Messaged, LeadFilter::Replied],
            ),
            (
                Some(&stopped),
                true,
                &[LeadFilter::All, LeadFilter::OptedOut, LeadFilter::Skipped],
            ),
        ];
        for (p, eligible, listed) in cases {
            for f in LeadFilter::ALL {
                assert_eq!(f.matches(p, eligible), listed.contains(&f), "{f:?} {p:?}");
            }
        }
        for f in LeadFilter::ALL {
            assert_eq!(LeadFilter::parse(f.as_str()), Some(f));
        }
        assert_eq!(LeadFilter::parse("everything"), None);
    }

    #[test]
    fn counts_come_from_the_campaigns_counters() {
        let mut s = RunStats::default();
        s.channels.insert("sms".into(), 8);
        s.channels.insert("email".into(), 4);
        s.messaged = 3;
        s.replied = 1;
        s.opted_out = 1;
        s.skipped.insert(SkipReason::OptedOut.label(), 1);
        let count = |f: LeadFilter| f.count(&s, 12, false);
        assert_eq!(count(LeadFilter::All), 12);
        assert_eq!(count(LeadFilter::Waiting), 4);
        assert_eq!(count(LeadFilter::NotEligible), 4);
        assert_eq!(count(LeadFilter::Messaged), 3);
        assert_eq!(count(LeadFilter::Replied), 1);
        assert_eq!(count(LeadFilter::OptedOut), 1);
        assert_eq!(count(LeadFilter::Skipped), 1);
    }

    #[test]
    fn a_status_names_the_delivery_and_the_skip_reason() {
        let sms = lead(ChannelPreference::Sms);
        let email = lead(ChannelPreference::Email);
        assert_eq!(LeadStatus::of(&sms, None, true, None).label, "Waiting");
        let not = LeadStatus::of(&email, None, false, None);
        assert_eq!(not.key, "not_eligible");
        assert_eq!(not.reason.as_deref(), Some("prefers email"));
        let messaged = progress(LeadOutcome::Messaged(MessageId(1)), true, false);
        let s = LeadStatus::of(&sms, Some(&messaged), true, Some(DeliveryStatus::Delivered));
        assert_eq!(s.label, "Messaged · delivered · replied");
        assert_eq!(s.reason, None);
        let ended = progress(LeadOutcome::Skipped(SkipReason::Ended), false, false);
        let s = LeadStatus::of(&sms, Some(&ended), true, None);
        assert_eq!((s.key, s.label.as_str()), ("skipped", "Skipped"));
        assert_eq!(s.reason.as_deref(), Some("campaign ended first"));
    }
}
