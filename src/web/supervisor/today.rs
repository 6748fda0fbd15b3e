//! Today's figures on the wallboard, read from the statistics aggregates (`store::tallies`):
//! per queue, and the chart of inbound workitems and median first response per 15 minutes.
//! "Today" runs from the last midnight in `site_time_zone` to now, and counts the workitems
//! created in it (see `domain::stats`). The chart's geometry is computed here and drawn by
//! `volume_chart.html`; only numbers and fixed words go into it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::QueueId;
use crate::domain::stats::{BUCKET_SECS, Tally, bucket_of, bucket_start, local_midnight};
pub use crate::web::charts::secs_text;
use crate::web::charts::{ChartColumn, ChartText, TickAt, VolumeChart, draw};

/// The buckets of today so far: from the one holding midnight to the one holding `now`,
/// both included (`to` excluded), as `store::tallies` takes them.
pub fn today_buckets(now: DateTime<Utc>, zone: Tz) -> (i64, i64) {
    (bucket_of(local_midnight(now, zone)), bucket_of(now) + 1)
}

/// One queue's figures for today.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct QueueToday {
    pub received: u32,
    pub answered: u32,
    pub answered_in_sla: u32,
    /// `answered_in_sla` of `answered`, whole percent; `None` before the first answer.
    pub in_sla_percent: Option<u32>,
    /// Exact below 2 minutes, then rounded down (see `domain::stats::Histogram`).
    pub median_first_response_secs: Option<u64>,
    pub terminated_unanswered: u32,
}

impl From<&Tally> for QueueToday {
    fn from(t: &Tally) -> QueueToday {
        QueueToday {
            received: t.received,
            answered: t.answered,
            answered_in_sla: t.answered_in_sla,
            in_sla_percent: t.in_sla_percent(),
            median_first_response_secs: t.first_response.median(),
            terminated_unanswered: t.terminated_unanswered,
        }
    }
}

/// The chart of today's `buckets` (summed over queues) across the whole local day, so it
/// fills in as the day goes; a daylight-saving day has 92 or 100 columns.
pub fn chart(buckets: &BTreeMap<i64, Tally>, now: DateTime<Utc>, zone: Tz) -> VolumeChart {
    let midnight = local_midnight(now, zone);
    let next = local_midnight(midnight + Duration::hours(26), zone);
    let first = bucket_of(midnight);
    let count = ((next - midnight).num_seconds() / BUCKET_SECS).max(1);
    let mut total = Tally::default();
    let columns: Vec<ChartColumn> = (first..first + count)
        .map(|b| {
            let local = bucket_start(b).with_timezone(&zone);
            let tally = buckets.get(&b);
            if let Some(t) = tally {
                total.merge(t);
            }
            ChartColumn {
                label: local.format("%H:%M").to_string(),
                count: tally.map_or(0, |t| t.received),
                median_secs: tally.and_then(|t| t.first_response.median()),
                // Every three hours of local time: a daylight-saving day skips or repeats one.
                tick: local.minute() == 0 && local.hour().is_multiple_of(3),
            }
        })
        .collect();
    let summary = format!(
        "Today since midnight ({}): {} received; bars show received per 15 minutes, dots the \
         median first response per 15 minutes{}",
        zone.name(),
        total.received,
        match total.first_response.median() {
            Some(s) => format!(" (median over the day {})", secs_text(s)),
            None => ", none answered yet".to_owned(),
        }
    );
    let text = ChartText {
        id: "today-chart",
        bar_legend: "Received per 15 minutes",
        counted: "received",
        x_title: format!("Time ({})", zone.name()),
        summary,
    };
    draw(text, zone, &columns, TickAt::Edge)
}

/// The rows of today summed per queue, for the queue table.
pub fn per_queue(sums: &BTreeMap<QueueId, Tally>, queue: QueueId) -> QueueToday {
    sums.get(&queue).map(QueueToday::from).unwrap_or_default()
}

#[cfg(test)]
#[path = "today_tests.rs"]
mod tests;
