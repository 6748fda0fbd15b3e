//! Workitem statistics kept as aggregates: one [`Tally`] per (15-minute bucket, queue,
//! agent, campaign, direction), updated by the store in the transaction that changes the workitem, so reports
//! and the wallboard read at most a few hundred small rows instead of scanning history.
//!
//! Every counter of a workitem lands in the bucket of the workitem's `created_at` (a
//! cohort): a conversation that starts at 09:10 and is answered at 09:20 counts as received
//! and answered in the 09:00 bucket. So "today's answered" means "of today's workitems, those
//! answered so far", and a ratio such as answered within the service level is always taken
//! over one set of workitems.
//!
//! Who a row belongs to: `received` and `outbound` are counted under agent 0 (nobody yet;
//! [`NO_AGENT`]), `answered` and the first-response time under the agent who sent the first
//! reply, `terminated`, the handle time and the wrap-up code under the agent who held it when
//! it ended, `transfers` under the agent it was transferred away from.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Seconds in one bucket.
pub const BUCKET_SECS: i64 = 900;

/// The agent key of counts that belong to no agent (a workitem nobody holds yet).
pub const NO_AGENT: u64 = 0;

/// The campaign key of workitems that belong to no campaign.
pub const NO_CAMPAIGN: u64 = 0;

/// The bucket holding `at`: Unix seconds divided by 900, rounded down.
pub fn bucket_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(BUCKET_SECS)
}

/// The first instant of a bucket.
pub fn bucket_start(bucket: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(bucket * BUCKET_SECS, 0).unwrap_or_default()
}

/// The last midnight at or before `now` in `zone`, as a UTC instant. Computed on the local
/// calendar, so a day with a daylight-saving change is 23 or 25 hours long. Where midnight
/// itself does not exist (zones that spring forward at 00:00), the day starts at the first
/// instant after the gap.
pub fn local_midnight(now: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
    let day = now.with_timezone(&zone).date_naive();
    let mut local = day.and_time(NaiveTime::MIN);
    // A gap is at most a few hours; step over it a quarter hour at a time.
    for _ in 0..(4 * 24) {
        if let Some(at) = zone.from_local_datetime(&local).earliest() {
            return at.with_timezone(&Utc);
        }
        local += chrono::Duration::minutes(15);
    }
    // Unreachable for any real zone; fall back to the UTC day.
    now.date_naive().and_time(NaiveTime::MIN).and_utc()
}

/// Counts of one (bucket, queue, agent). Every field defaults, so a stored tally gains
/// counters without breaking an existing data dir; zero counters are not stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tally {
    /// Workitems a customer started (their first message reached a queue). Conversations
    /// opened only to answer a keyword such as STOP are not counted: nobody was asked.
    #[serde(skip_serializing_if = "is_zero")]
    pub received: u32,
    /// Workitems started by an agent's SMS or by a predictive campaign.
    #[serde(skip_serializing_if = "is_zero")]
    pub outbound: u32,
    /// Received workitems whose first agent reply was sent.
    #[serde(skip_serializing_if = "is_zero")]
    pub answered: u32,
    /// Of those, answered within the queue's `sla_secs` of the customer's first message.
    #[serde(skip_serializing_if = "is_zero")]
    pub answered_in_sla: u32,
    /// Workitems an agent (or Parley) ended.
    #[serde(skip_serializing_if = "is_zero")]
    pub terminated: u32,
    /// Received workitems ended without any agent reply.
    #[serde(skip_serializing_if = "is_zero")]
    pub terminated_unanswered: u32,
    /// Transfers away from an agent (to a queue or a named colleague).
    #[serde(skip_serializing_if = "is_zero")]
    pub transfers: u32,
    /// First-response times (customer's first message → first agent reply) of received
    /// workitems. Outbound workitems have none: the agent spoke first.
    #[serde(skip_serializing_if = "Histogram::is_empty")]
    pub first_response: Histogram,
    /// Handle times (accepted → terminated).
    #[serde(skip_serializing_if = "Histogram::is_empty")]
    pub handle_time: Histogram,
    /// Terminations by wrap-up code, in the queue's spelling.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub wrap_up: BTreeMap<String, u32>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Tally {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &Tally) {
        self.received += other.received;
        self.outbound += other.outbound;
        self.answered += other.answered;
        self.answered_in_sla += other.answered_in_sla;
        self.terminated += other.terminated;
        self.terminated_unanswered += other.terminated_unanswered;
        self.transfers += other.transfers;
        self.first_response.merge(&other.first_response);
        self.handle_time.merge(&other.handle_time);
        for (code, n) in &other.wrap_up {
            *self.wrap_up.entry(code.clone()).or_default() += n;
        }
    }

    /// Answered within the service level, in whole percent of answered (`None`: nothing
    /// answered yet).
    pub fn in_sla_percent(&self) -> Option<u32> {
        (self.answered > 0).then(|| {
            ((u64::from(self.answered_in_sla) * 100 + u64::from(self.answered) / 2)
                / u64::from(self.answered)) as u32
        })
    }
}

/// Durations in seconds, counted in bins: exact seconds below 2 minutes, then 5-second bins
/// to 10 minutes, 1-minute bins to 2 hours, 15-minute bins to 24 hours, and one bin for
/// anything longer. Stored sparse (bin → count).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Histogram(BTreeMap<u16, u32>);

/// (first second, bin width) of each range of bins, in order.
const RANGES: [(u64, u64); 4] = [(0, 1), (120, 5), (600, 60), (7200, 900)];
const OVERFLOW_FROM: u64 = 86_400;

impl Histogram {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Counts one duration; a negative one (clock skew) counts as 0.
    pub fn record(&mut self, secs: i64) {
        *self.0.entry(bin_of(secs.max(0) as u64)).or_default() += 1;
    }

    pub fn count(&self) -> u64 {
        self.0.values().map(|n| u64::from(*n)).sum()
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (bin, n) in &other.0 {
            *self.0.entry(*bin).or_default() += n;
        }
    }

    /// The `q` quantile (0 < q ≤ 1) by nearest rank: the lower bound of the bin holding the
    /// ⌈q·n⌉-th smallest duration. Exact below 2 minutes; above, rounded down to the bin (5 s,
    /// 1 min, 15 min, or 24 h for the overflow bin). `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
        let mut seen = 0;
        for (bin, count) in &self.0 {
            seen += u64::from(*count);
            if seen >= rank {
                return Some(bin_floor(*bin));
            }
        }
        None
    }

    /// The median (see [`Histogram::quantile`] for the rounding).
    pub fn median(&self) -> Option<u64> {
        self.quantile(0.5)
    }

    /// The 90th percentile (see [`Histogram::quantile`] for the rounding).
    pub fn p90(&self) -> Option<u64> {
        self.quantile(0.9)
    }
}

/// The bin a duration falls in.
pub fn bin_of(secs: u64) -> u16 {
    let mut first_bin = 0u64;
    for (i, (from, width)) in RANGES.iter().enumerate() {
        let to = RANGES.get(i + 1).map_or(OVERFLOW_FROM, |r| r.0);
        if secs < to {
            return (first_bin + (secs - from) / width) as u16;
        }
        first_bin += (to - from) / width;
    }
    first_bin as u16
}

/// The first second of a bin.
pub fn bin_floor(bin: u16) -> u64 {
    let mut bin = u64::from(bin);
    for (i, (from, width)) in RANGES.iter().enumerate() {
        let to = RANGES.get(i + 1).map_or(OVERFLOW_FROM, |r| r.0);
        let bins = (to - from) / width;
        if bin < bins {
            return from + bin * width;
        }
        bin -= bins;
    }
    OVERFLOW_FROM
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
