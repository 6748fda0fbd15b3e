//! What the provider saw: the pace per 60 s window and the sends that broke a rule.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use parley::domain::SendingHours;

use crate::leads::{Kind, Planned};
use crate::server::Call;

const WINDOW: Duration = Duration::from_secs(60);

/// Sends per full 60 s window, tumbling from the first send, and the lowest and highest count
/// of a sliding 60 s window (one starting at each send that has a full window after it).
pub struct Windows {
    pub tumbling: Vec<usize>,
    pub sliding: Option<(usize, usize)>,
    /// First to last send.
    pub span: Duration,
}

pub fn windows(calls: &[Call]) -> Windows {
    let mut at: Vec<Instant> = calls.iter().map(|c| c.at).collect();
    at.sort();
    let (Some(&first), Some(&last)) = (at.first(), at.last()) else {
        return Windows {
            tumbling: Vec::new(),
            sliding: None,
            span: Duration::ZERO,
        };
    };
    let span = last - first;
    let full = (span.as_secs_f64() / WINDOW.as_secs_f64()) as u32;
    let before = |t: Instant| at.partition_point(|x| *x < t);
    let tumbling = (0..full)
        .map(|k| before(first + WINDOW * (k + 1)) - before(first + WINDOW * k))
        .collect();
    let mut sliding: Option<(usize, usize)> = None;
    let mut end = 0;
    for (i, &start) in at.iter().enumerate() {
        if start + WINDOW > last {
            break;
        }
        while end < at.len() && at[end] < start + WINDOW {
            end += 1;
        }
        let n = end - i;
        sliding = Some(sliding.map_or((n, n), |(lo, hi)| (lo.min(n), hi.max(n))));
    }
    Windows {
        tumbling,
        sliding,
        span,
    }
}

/// Sends that broke a rule; every count must be 0.
#[derive(Default)]
pub struct Breaches {
    pub outside_hours: usize,
    pub to_closed_zone: usize,
    pub to_other_channel: usize,
    pub to_non_lead: usize,
    pub repeated: usize,
    pub examples: Vec<String>,
}

impl Breaches {
    pub fn total(&self) -> usize {
        self.outside_hours
            + self.to_closed_zone
            + self.to_other_channel
            + self.to_non_lead
            + self.repeated
    }

    pub fn note(&mut self, example: String) {
        if self.examples.len() < 5 {
            self.examples.push(example);
        }
    }
}

pub fn breaches(calls: &[Call], plan: &[Planned], hours: &SendingHours) -> Breaches {
    let by_phone: HashMap<&str, &Planned> = plan.iter().map(|p| (p.phone.as_str(), p)).collect();
    let mut seen = HashSet::new();
    let mut b = Breaches::default();
    for call in calls {
        if !seen.insert(call.to.as_str()) {
            b.repeated += 1;
            b.note(format!("{} messaged again", call.to));
        }
        let Some(lead) = by_phone.get(call.to.as_str()) else {
            b.to_non_lead += 1;
            b.note(format!("{} is no lead", call.to));
            continue;
        };
        let local = call.wall.with_timezone(&lead.zone);
        if !hours.allows_local(local.time()) {
            b.outside_hours += 1;
            b.note(format!("{} at {local} ({})", call.to, lead.zone.name()));
        }
        match lead.kind {
            Kind::Closed => b.to_closed_zone += 1,
            Kind::OtherChannel => b.to_other_channel += 1,
            Kind::Open | Kind::CampaignZone => {}
        }
    }
    b
}

/// How many sends went out from each number: (numbers used, fewest, most).
pub fn spread_over_numbers(calls: &[Call]) -> (usize, usize, usize) {
    let mut per: HashMap<&str, usize> = HashMap::new();
    for c in calls {
        *per.entry(c.from.as_str()).or_default() += 1;
    }
    let lo = per.values().copied().min().unwrap_or(0);
    let hi = per.values().copied().max().unwrap_or(0);
    (per.len(), lo, hi)
}
