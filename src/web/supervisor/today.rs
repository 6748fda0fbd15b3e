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
use crate::web::admin::campaign_run::chart::scale;
use crate::web::charts::{
    BAR_COLOUR, BOTTOM, FRT_COLOUR, HEIGHT, LEFT, Mark, RIGHT, TOP, Tick, VolumeChart, WIDTH, round,
};
use crate::web::tabs::human_duration;

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

/// A count of seconds as the wallboard shows it: `30 s`, `2 min 5 s`.
pub fn secs_text(secs: u64) -> String {
    human_duration(Duration::seconds(secs as i64))
}

/// The chart of today's `buckets` (summed over queues) across the whole local day, so it
/// fills in as the day goes; a daylight-saving day has 92 or 100 columns.
pub fn chart(buckets: &BTreeMap<i64, Tally>, now: DateTime<Utc>, zone: Tz) -> VolumeChart {
    let midnight = local_midnight(now, zone);
    let next = local_midnight(midnight + Duration::hours(26), zone);
    let first = bucket_of(midnight);
    let columns = ((next - midnight).num_seconds() / BUCKET_SECS).max(1);
    let mut c = VolumeChart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        top: TOP,
        bottom: HEIGHT - BOTTOM,
        bars: Vec::new(),
        dots: Vec::new(),
        count_ticks: Vec::new(),
        secs_ticks: Vec::new(),
        time_ticks: Vec::new(),
        summary: String::new(),
        zone: zone.name().to_owned(),
        id: "today-chart",
        bar_legend: "Received per 15 minutes",
        x_title: format!("Time ({})", zone.name()),
        bar_colour: BAR_COLOUR,
        frt_colour: FRT_COLOUR,
    };
    let column_width = (c.right - c.left) / columns as f64;
    let plot = c.bottom - c.top;
    let x_of = |bucket: i64| c.left + column_width * (bucket - first) as f64;
    let time = |bucket: i64| bucket_start(bucket).with_timezone(&zone).format("%H:%M");
    let today: Vec<(i64, &Tally)> = buckets
        .range(first..first + columns)
        .map(|(b, t)| (*b, t))
        .collect();
    let (count_step, count_top) = scale(
        today
            .iter()
            .map(|(_, t)| u64::from(t.received))
            .max()
            .unwrap_or(0),
    );
    let medians: Vec<(i64, u64)> = today
        .iter()
        .filter_map(|(b, t)| Some((*b, t.first_response.median()?)))
        .collect();
    let (secs_step, secs_top) = scale(medians.iter().map(|(_, s)| *s).max().unwrap_or(0));
    for (b, t) in &today {
        if t.received == 0 {
            continue;
        }
        let height = plot * f64::from(t.received) / count_top as f64;
        c.bars.push(Mark {
            x: round(x_of(*b) + column_width * 0.1),
            y: round(c.bottom - height),
            width: round(column_width * 0.8),
            height: round(height),
            title: format!("{} · {} received", time(*b), t.received),
        });
    }
    for (b, secs) in &medians {
        c.dots.push(Mark {
            x: round(x_of(*b) + column_width / 2.0),
            y: round(c.bottom - plot * *secs as f64 / secs_top as f64),
            width: 3.0,
            height: 0.0,
            title: format!("{} · median first response {}", time(*b), secs_text(*secs)),
        });
    }
    c.count_ticks = (0..=count_top / count_step)
        .map(|i| Tick {
            at: round(c.bottom - plot * (i * count_step) as f64 / count_top as f64),
            label: (i * count_step).to_string(),
        })
        .collect();
    c.secs_ticks = (0..=secs_top / secs_step)
        .map(|i| Tick {
            at: round(c.bottom - plot * (i * secs_step) as f64 / secs_top as f64),
            label: format!("{} s", i * secs_step),
        })
        .collect();
    // Every three hours of local time: a daylight-saving day skips or repeats a label.
    c.time_ticks = (first..first + columns)
        .filter(|b| {
            let local = bucket_start(*b).with_timezone(&zone);
            local.minute() == 0 && local.hour().is_multiple_of(3)
        })
        .map(|b| Tick {
            at: round(x_of(b)),
            label: time(b).to_string(),
        })
        .collect();
    let mut total = Tally::default();
    for (_, t) in &today {
        total.merge(t);
    }
    c.summary = format!(
        "Today since midnight ({}): {} received; bars show received per 15 minutes, dots the \
         median first response per 15 minutes{}",
        c.zone,
        total.received,
        match total.first_response.median() {
            Some(s) => format!(" (median over the day {})", secs_text(s)),
            None => ", none answered yet".to_owned(),
        }
    );
    c
}

/// The rows of today summed per queue, for the queue table.
pub fn per_queue(sums: &BTreeMap<QueueId, Tally>, queue: QueueId) -> QueueToday {
    sums.get(&queue).map(QueueToday::from).unwrap_or_default()
}

#[cfg(test)]
#[path = "today_tests.rs"]
mod tests;
