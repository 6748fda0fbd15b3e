//! The live part of the run page: the counters, the state, the expected finish and the
//! chart, drawn from one read of the store. The page includes it, and
//! `GET /admin/campaigns/{id}/run/live` serves it alone for the page's script to swap in.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::chart::{self, ChartView};
use crate::campaigns::eta::expected_finish;
use crate::domain::{Campaign, CampaignRun, MinuteCounts, PredictiveSettings, RunState, RunStats};

/// What one read of the store gives the page.
pub struct RunFacts {
    pub campaign: Campaign,
    pub settings: PredictiveSettings,
    pub run: CampaignRun,
    pub stats: RunStats,
    pub leads: u64,
    /// Every per-minute count the campaign has (its sends, deliveries and replies).
    pub minutes: Vec<(i64, MinuteCounts)>,
}

/// The live part's values (`admin/campaign_run_live.html`).
pub struct LivePart {
    /// `ready`, `running`, `paused`, `cancelled` or `finished`: the script reloads the page
    /// when it changes, so the buttons follow.
    pub state: &'static str,
    pub state_label: &'static str,
    pub leads: u64,
    pub eligible: u64,
    pub waiting: u64,
    /// Messaged, by status, replied, opted out.
    pub stats: RunStats,
    /// Sent, delivered and replied in all, counted as the chart counts them (its per-minute
    /// counts summed), so a tile never contradicts the chart.
    pub sent: u64,
    pub delivered: u64,
    pub replied: u64,
    pub skipped_total: u64,
    /// (reason, leads)
    pub skipped: Vec<(String, u64)>,
    pub refused_total: u64,
    /// (kind, rows)
    pub refused: Vec<(String, u64)>,
    /// The expected finish, or why there is none.
    pub eta: String,
    /// The campaign's zone, which the times on the page are in.
    pub zone: String,
    /// The server's time of this reading.
    pub as_of: String,
    pub chart: ChartView,
}

/// The campaign's zone (UTC when it has none) and its name.
pub fn campaign_zone(campaign: &Campaign) -> (Tz, String) {
    let zone = crate::domain::sending_hours::zone(&campaign.time_zone).unwrap_or(Tz::UTC);
    (zone, zone.name().to_owned())
}

/// `Tue 3 Mar 2026, 14:05`, in `zone`.
pub fn local_time(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%a %-d %b %Y, %H:%M")
        .to_string()
}

impl LivePart {
    pub fn of(facts: &RunFacts, now: DateTime<Utc>) -> LivePart {
        let (zone, zone_name) = campaign_zone(&facts.campaign);
        let s = &facts.stats;
        let unknown_too = facts.settings.include_unknown_channel;
        let waiting = s.eligible_waiting(facts.leads, unknown_too);
        // The chart covers every minute counted, from the first run's first send on.
        let first_counted = facts
            .minutes
            .first()
            .and_then(|(m, _)| DateTime::from_timestamp(m * 60, 0));
        let chart_from = match (facts.run.started_at, first_counted) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let chart_end = now.max(chart_from.unwrap_or(now));
        let total =
            |f: fn(&MinuteCounts) -> u32| facts.minutes.iter().map(|(_, c)| u64::from(f(c))).sum();
        LivePart {
            state: facts.run.state.key(),
            state_label: facts.run.state.label(),
            leads: facts.leads,
            eligible: s.eligible(facts.leads, unknown_too),
            waiting,
            stats: s.clone(),
            sent: total(|c| c.sent),
            delivered: total(|c| c.delivered),
            replied: total(|c| c.replied),
            skipped_total: s.skipped_total(),
            skipped: s.skipped.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            refused_total: s.refused.values().sum(),
            refused: s.refused.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            eta: eta_text(facts, waiting, zone, now),
            as_of: now.with_timezone(&zone).format("%H:%M:%S").to_string(),
            chart: chart::chart(&facts.minutes, chart_from, chart_end, zone),
            zone: zone_name,
        }
    }
}

/// The expected finish in words: for a running campaign, and for one not (yet, or no longer)
/// running as if it were started or resumed now.
fn eta_text(facts: &RunFacts, waiting: u64, zone: Tz, now: DateTime<Utc>) -> String {
    let condition = match facts.run.state {
        RunState::Running => None,
        RunState::Ready | RunState::Finished => Some("If started now"),
        RunState::Paused => Some("If resumed now"),
        RunState::Cancelled => {
            return match waiting {
                0 => "Cancelled; every lead had been reached.".into(),
                n => format!("Cancelled; {n} waiting {} will not be messaged.", leads(n)),
            };
        }
    };
    if waiting == 0 {
        return match facts.run.state {
            RunState::Finished | RunState::Running => "Every lead has been reached.".into(),
            _ => "No leads are waiting.".into(),
        };
    }
    let estimate = match expected_finish(waiting, &facts.settings, zone, now) {
        Some(at) => format!("about {}.", local_time(at, zone)),
        None if facts.settings.ends_at.is_some() => format!(
            "not all {waiting} waiting {} can be messaged before the campaign ends.",
            leads(waiting)
        ),
        None => "no allowed sending time lies ahead.".into(),
    };
    match condition {
        Some(c) => format!("{c}, {estimate}"),
        None => capitalized(&estimate),
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn leads(n: u64) -> &'static str {
    if n == 1 { "lead" } else { "leads" }
}
