//! The run page's chart: sends, deliveries and replies per minute since the start, as the
//! geometry of an inline SVG (`admin/campaign_run_chart.html` draws it). Runs longer than
//! [`MAX_COLUMNS`] minutes are summed into buckets of several minutes. Only numbers and fixed
//! words go into it.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::MinuteCounts;

/// Most columns drawn; a longer run is bucketed.
pub const MAX_COLUMNS: i64 = 60;
pub const WIDTH: f64 = 640.0;
pub const HEIGHT: f64 = 230.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 40.0;
const MAX_BAR_WIDTH: f64 = 12.0;

/// The three series: (name in the legend, colour).
pub const SERIES: [(&str, &str); 3] = [
    ("Sent", "#2f6fdb"),
    ("Delivered", "#1f8a4c"),
    ("Replied", "#c77700"),
];

pub struct ChartView {
    pub width: f64,
    pub height: f64,
    /// The plot area's corners.
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub bars: Vec<Bar>,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
    /// `per minute`, or `per 5 minutes` when bucketed.
    pub unit: String,
    /// Shown across the plot when there is nothing to draw.
    pub empty: Option<&'static str>,
    pub legend: Vec<LegendEntry>,
    /// Totals over the chart, for its text alternative.
    pub totals: [u64; 3],
}

pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub colour: &'static str,
    /// The tooltip: `14:05 · Sent 3`.
    pub title: String,
}

/// An axis label at a position (y for the value axis, x for the time axis).
pub struct Tick {
    pub at: f64,
    pub label: String,
}

pub struct LegendEntry {
    pub x: f64,
    pub label: &'static str,
    pub colour: &'static str,
}

/// The chart of `minutes` (Unix minute, counts) from the minute of `from` to that of `to`,
/// times labelled in `zone`; `from` is `None` before the first start.
pub fn chart(
    minutes: &[(i64, MinuteCounts)],
    from: Option<DateTime<Utc>>,
    to: DateTime<Utc>,
    zone: Tz,
) -> ChartView {
    let mut view = ChartView {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        top: TOP,
        bottom: HEIGHT - BOTTOM,
        bars: Vec::new(),
        y_ticks: Vec::new(),
        x_ticks: Vec::new(),
        unit: "per minute".into(),
        empty: None,
        legend: legend(),
        totals: [0; 3],
    };
    let Some(from) = from else {
        view.empty = Some("Not started yet");
        view.y_ticks = y_ticks(&view, 1, 1);
        return view;
    };
    let first = unix_minute(from);
    let span = (unix_minute(to) - first + 1).max(1);
    // Minutes per column, and the columns that cover the span.
    let size = (span + MAX_COLUMNS - 1) / MAX_COLUMNS;
    let columns = (span + size - 1) / size;
    let mut sums = vec![[0u64; 3]; columns as usize];
    for (minute, counts) in minutes {
        let offset = minute - first;
        if offset < 0 || offset >= span {
            continue;
        }
        let column = &mut sums[(offset / size) as usize];
        for (slot, n) in column.iter_mut().zip(values(counts)) {
            *slot += n;
        }
    }
    for column in &sums {
        for (total, n) in view.totals.iter_mut().zip(column) {
            *total += n;
        }
    }
    if size > 1 {
        view.unit = format!("per {size} minutes");
    }
    let highest = sums.iter().flatten().copied().max().unwrap_or(0);
    if highest == 0 {
        view.empty = Some("Nothing sent yet");
    }
    let (step, top) = scale(highest);
    view.y_ticks = y_ticks(&view, step, top);
    let column_width = (view.right - view.left) / columns as f64;
    // Thin bars when there are few columns, so one minute does not fill the whole chart.
    let bar_width = (column_width * 0.8 / 3.0).min(MAX_BAR_WIDTH);
    let plot_height = view.bottom - view.top;
    let label = |column: i64| {
        let at = DateTime::from_timestamp((first + column * size) * 60, 0).unwrap_or(from);
        time_label(at, zone, span > 24 * 60)
    };
    for (c, column) in sums.iter().enumerate() {
        let x0 = view.left + column_width * (c as f64 + 0.5) - bar_width * 1.5;
        for (s, n) in column.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            let height = plot_height * *n as f64 / top as f64;
            view.bars.push(Bar {
                x: round(x0 + bar_width * s as f64),
                y: round(view.bottom - height),
                width: round(bar_width),
                height: round(height),
                colour: SERIES[s].1,
                title: format!("{} · {} {n}", label(c as i64), SERIES[s].0),
            });
        }
    }
    // The first, middle and last columns' times.
    let mut marks = vec![0, columns / 2, columns - 1];
    marks.dedup();
    view.x_ticks = marks
        .into_iter()
        .map(|c| Tick {
            at: round(view.left + column_width * (c as f64 + 0.5)),
            label: label(c),
        })
        .collect();
    view
}

fn values(c: &MinuteCounts) -> [u64; 3] {
    [c.sent.into(), c.delivered.into(), c.replied.into()]
}

fn unix_minute(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(60)
}

/// A step of 1, 2 or 5 times a power of ten giving at most about four ticks, and the top of
/// the axis (a whole number of steps at or above `highest`, at least one step).
pub(crate) fn scale(highest: u64) -> (u64, u64) {
    let mut magnitude = 1u64;
    loop {
        for m in [1, 2, 5] {
            let step = m * magnitude;
            if step.saturating_mul(4) >= highest {
                return (step, step * highest.div_ceil(step).max(1));
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

/// Labels from 0 to `top` every `step`.
fn y_ticks(view: &ChartView, step: u64, top: u64) -> Vec<Tick> {
    let plot_height = view.bottom - view.top;
    (0..=top / step)
        .map(|i| {
            let value = i * step;
            Tick {
                at: round(view.bottom - plot_height * value as f64 / top as f64),
                label: value.to_string(),
            }
        })
        .collect()
}

fn legend() -> Vec<LegendEntry> {
    SERIES
        .iter()
        .enumerate()
        .map(|(i, (label, colour))| LegendEntry {
            x: LEFT + 100.0 * i as f64,
            label,
            colour,
        })
        .collect()
}

/// `14:05`, or `3 Mar 14:05` on a chart spanning more than a day.
fn time_label(at: DateTime<Utc>, zone: Tz, with_day: bool) -> String {
    let local = at.with_timezone(&zone);
    if with_day {
        local.format("%-d %b %H:%M").to_string()
    } else {
        local.format("%H:%M").to_string()
    }
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn counts(sent: u32, delivered: u32, replied: u32) -> MinuteCounts {
        MinuteCounts {
            sent,
            delivered,
            replied,
        }
    }

    #[test]
    fn before_the_start_and_without_sends_the_chart_says_so() {
        let now = at("2026-01-15T10:00:00Z");
        let never = chart(&[], None, now, Tz::UTC);
        assert_eq!(never.empty, Some("Not started yet"));
        assert!(never.bars.is_empty() && never.x_ticks.is_empty());
        assert_eq!(never.y_ticks.len(), 2);
        let quiet = chart(&[], Some(now), now, Tz::UTC);
        assert_eq!(quiet.empty, Some("Nothing sent yet"));
        assert!(quiet.bars.is_empty());
        assert_eq!(quiet.x_ticks.len(), 1);
        assert_eq!(quiet.x_ticks[0].label, "10:00");
    }

    #[test]
    fn one_column_a_minute_scaled_to_the_highest_count() {
        let start = at("2026-01-15T10:00:30Z");
        let m = unix_minute(start);
        let minutes = [(m, counts(7, 3, 0)), (m + 2, counts(1, 0, 1))];
        let c = chart(&minutes, Some(start), at("2026-01-15T10:04:00Z"), Tz::UTC);
        assert_eq!(c.empty, None);
        assert_eq!(c.unit, "per minute");
        assert_eq!(c.totals, [8, 3, 1]);
        // 7 rounds up to an axis of 8 in steps of 2.
        let labels: Vec<&str> = c.y_ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0", "2", "4", "6", "8"]);
        // Four bars (no bar for a zero), the tallest 7/8 of the plot.
        assert_eq!(c.bars.len(), 4);
        let tallest = c.bars.iter().map(|b| b.height).fold(0.0, f64::max);
        assert!((tallest - (c.bottom - c.top) * 7.0 / 8.0).abs() < 0.1);
        assert_eq!(c.bars[0].title, "10:00 · Sent 7");
        // Bars are thin with few columns, and stay inside the plot.
        assert!(c.bars.iter().all(|b| b.width <= MAX_BAR_WIDTH));
        assert!(
            c.bars
                .iter()
                .all(|b| b.x >= c.left && b.x + b.width <= c.right && b.y >= c.top)
        );
        let x: Vec<&str> = c.x_ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(x, ["10:00", "10:02", "10:04"]);
    }

    #[test]
    fn a_long_run_is_summed_into_at_most_sixty_columns() {
        let start = at("2026-01-15T10:00:00Z");
        let m = unix_minute(start);
        // 3 hours: 181 minutes in buckets of 4 (46 columns); each minute sent 1.
        let minutes: Vec<_> = (0..181).map(|i| (m + i, counts(1, 0, 0))).collect();
        let c = chart(&minutes, Some(start), at("2026-01-15T13:00:00Z"), Tz::UTC);
        assert_eq!(c.unit, "per 4 minutes");
        assert_eq!(c.bars.len(), 46);
        assert_eq!(c.totals[0], 181);
        assert_eq!(c.bars[0].title, "10:00 · Sent 4");
        assert_eq!(c.bars[45].title, "13:00 · Sent 1");
        // Counts before the start (an earlier run) are left out.
        let earlier = [(m - 5, counts(9, 9, 9))];
        let c = chart(&earlier, Some(start), start, Tz::UTC);
        assert_eq!(c.totals, [0, 0, 0]);
        // Times are the campaign zone's; a span over a day names the day.
        let week = chart(
            &[],
            Some(start),
            at("2026-01-22T10:00:00Z"),
            chrono_tz::Asia::Tokyo,
        );
        assert!(week.x_ticks.len() == 3 && week.x_ticks[0].label == "15 Jan 19:00");
        assert!(week.unit.starts_with("per ") && week.unit.ends_with(" minutes"));
    }
}
