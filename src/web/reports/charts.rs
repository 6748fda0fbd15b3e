//! The reports' charts: volume and median first response per day of the range, and per hour
//! of the day over the whole range, from the statistics buckets.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, Timelike};
use chrono_tz::Tz;

use crate::domain::ReportFilter;
use crate::domain::stats::{Tally, bucket_start};
use crate::web::admin::campaign_run::chart::scale;
use crate::web::charts::{
    BAR_COLOUR, BOTTOM, FRT_COLOUR, HEIGHT, LEFT, Mark, RIGHT, TOP, Tick, VolumeChart, WIDTH, round,
};
use crate::web::supervisor::secs_text;

/// Conversations counted in a column: inbound and outbound ones.
fn volume(t: &Tally) -> u32 {
    t.received + t.outbound
}

/// One bar and one dot per column, labels on every `label_every`-th.
fn columns_chart(
    id: &'static str,
    x_title: String,
    columns: &[(String, Tally)],
    label_every: usize,
    summary: String,
    zone: Tz,
) -> VolumeChart {
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
        summary,
        zone: zone.name().to_owned(),
        id,
        bar_legend: "Conversations",
        x_title,
        bar_colour: BAR_COLOUR,
        frt_colour: FRT_COLOUR,
    };
    let width = (c.right - c.left) / columns.len().max(1) as f64;
    let plot = c.bottom - c.top;
    let (count_step, count_top) = scale(
        columns
            .iter()
            .map(|(_, t)| u64::from(volume(t)))
            .max()
            .unwrap_or(0),
    );
    let medians: Vec<Option<u64>> = columns
        .iter()
        .map(|(_, t)| t.first_response.median())
        .collect();
    let (secs_step, secs_top) = scale(medians.iter().flatten().copied().max().unwrap_or(0));
    for (i, ((label, t), median)) in columns.iter().zip(&medians).enumerate() {
        let x = c.left + width * i as f64;
        if volume(t) > 0 {
            let height = plot * f64::from(volume(t)) / count_top as f64;
            c.bars.push(Mark {
                x: round(x + width * 0.1),
                y: round(c.bottom - height),
                width: round(width * 0.8),
                height: round(height),
                title: format!("{label} · {} conversations", volume(t)),
            });
        }
        if let Some(secs) = median {
            c.dots.push(Mark {
                x: round(x + width / 2.0),
                y: round(c.bottom - plot * *secs as f64 / secs_top as f64),
                width: 3.0,
                height: 0.0,
                title: format!("{label} · median first response {}", secs_text(*secs)),
            });
        }
        if i % label_every.max(1) == 0 {
            c.time_ticks.push(Tick {
                at: round(x + width / 2.0),
                label: label.clone(),
            });
        }
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
    c
}

/// Per day of the range (site time): conversations and median first response.
pub fn per_day(buckets: &BTreeMap<i64, Tally>, f: &ReportFilter, zone: Tz) -> VolumeChart {
    let first = f.from.with_timezone(&zone).date_naive();
    let last = (f.to - Duration::seconds(1))
        .with_timezone(&zone)
        .date_naive();
    let days = (last - first).num_days() as usize + 1;
    let mut columns: Vec<(String, Tally)> = (0..days)
        .map(|d| {
            let day = first + Duration::days(d as i64);
            (day.format("%d %b").to_string(), Tally::default())
        })
        .collect();
    for (bucket, t) in buckets {
        let day: NaiveDate = bucket_start(*bucket).with_timezone(&zone).date_naive();
        let i = (day - first).num_days();
        if (0..days as i64).contains(&i) {
            columns[i as usize].1.merge(t);
        }
    }
    let summary = summary("day", &columns);
    columns_chart(
        "per-day-chart",
        format!("Day ({})", zone.name()),
        &columns,
        days.div_ceil(10),
        summary,
        zone,
    )
}

/// Per hour of the day (site time) over the whole range.
pub fn per_hour(buckets: &BTreeMap<i64, Tally>, zone: Tz) -> VolumeChart {
    let mut columns: Vec<(String, Tally)> = (0..24)
        .map(|h| (format!("{h:02}:00"), Tally::default()))
        .collect();
    for (bucket, t) in buckets {
        let hour = bucket_start(*bucket).with_timezone(&zone).hour() as usize;
        columns[hour].1.merge(t);
    }
    let summary = summary("hour of the day", &columns);
    columns_chart(
        "per-hour-chart",
        format!("Hour of the day ({})", zone.name()),
        &columns,
        3,
        summary,
        zone,
    )
}

/// The chart's text alternative: the busiest column and the overall median.
fn summary(unit: &str, columns: &[(String, Tally)]) -> String {
    let mut total = Tally::default();
    for (_, t) in columns {
        total.merge(t);
    }
    let busiest = columns
        .iter()
        .max_by_key(|(_, t)| volume(t))
        .filter(|(_, t)| volume(t) > 0)
        .map(|(label, t)| format!("; the busiest {unit} was {label} with {}", volume(t)))
        .unwrap_or_default();
    format!(
        "Conversations per {unit} (bars) and median first response (dots): {} in all{busiest}{}",
        volume(&total),
        match total.first_response.median() {
            Some(s) => format!("; median first response {}", secs_text(s)),
            None => String::new(),
        }
    )
}
