//! The reports' charts: volume and median first response per day of the range, and per hour
//! of the day over the whole range, from the statistics buckets.

use chrono::{Duration, NaiveDate, Timelike};
use chrono_tz::Tz;

use crate::domain::ReportFilter;
use crate::domain::stats::{Histogram, Tally, bucket_start};
use crate::web::charts::{ChartColumn, ChartText, TickAt, VolumeChart, draw, secs_text};

/// What a chart column needs of the tallies that fall in it: conversations (inbound and
/// outbound) and first response times. Cheaper to add up than whole tallies.
#[derive(Clone, Default)]
pub struct Column {
    volume: u32,
    first_response: Histogram,
}

impl Column {
    fn add(&mut self, t: &Tally) {
        self.volume += t.received + t.outbound;
        self.first_response.merge(&t.first_response);
    }

    fn join(&mut self, other: &Column) {
        self.volume += other.volume;
        self.first_response.merge(&other.first_response);
    }
}

/// The columns of both charts, filled one tally row at a time.
pub struct Columns {
    zone: Tz,
    first_day: NaiveDate,
    days: Vec<(String, Column)>,
    hours: Vec<(String, Column)>,
}

impl Columns {
    pub fn new(f: &ReportFilter, zone: Tz) -> Columns {
        let first_day = f.from.with_timezone(&zone).date_naive();
        let last = (f.to - Duration::seconds(1))
            .with_timezone(&zone)
            .date_naive();
        let days = (0..=(last - first_day).num_days())
            .map(|d| {
                let day = first_day + Duration::days(d);
                (day.format("%d %b").to_string(), Column::default())
            })
            .collect();
        let hours = (0..24)
            .map(|h| (format!("{h:02}:00"), Column::default()))
            .collect();
        Columns {
            zone,
            first_day,
            days,
            hours,
        }
    }

    /// Adds the tally of the bucket (Unix seconds / 900) starting its row.
    pub fn add(&mut self, bucket: i64, t: &Tally) {
        let local = bucket_start(bucket).with_timezone(&self.zone);
        let day = (local.date_naive() - self.first_day).num_days();
        if let Some((_, c)) = usize::try_from(day).ok().and_then(|d| self.days.get_mut(d)) {
            c.add(t);
        }
        self.hours[local.hour() as usize].1.add(t);
    }

    /// Adds the columns of another part of the same range.
    pub fn merge(&mut self, other: &Columns) {
        let pairs = self.days.iter_mut().zip(&other.days);
        for (mine, theirs) in pairs.chain(self.hours.iter_mut().zip(&other.hours)) {
            mine.1.join(&theirs.1);
        }
    }

    /// Per day of the range (site time): conversations and median first response.
    pub fn per_day(&self) -> VolumeChart {
        let summary = summary("day", &self.days);
        let every = self.days.len().div_ceil(10);
        let title = format!("Day ({})", self.zone.name());
        columns_chart(
            "per-day-chart",
            title,
            &self.days,
            every,
            summary,
            self.zone,
        )
    }

    /// Per hour of the day (site time) over the whole range.
    pub fn per_hour(&self) -> VolumeChart {
        let summary = summary("hour of the day", &self.hours);
        let title = format!("Hour of the day ({})", self.zone.name());
        columns_chart("per-hour-chart", title, &self.hours, 3, summary, self.zone)
    }
}

/// One bar and one dot per column, labels on every `label_every`-th.
fn columns_chart(
    id: &'static str,
    x_title: String,
    columns: &[(String, Column)],
    label_every: usize,
    summary: String,
    zone: Tz,
) -> VolumeChart {
    let drawn: Vec<ChartColumn> = columns
        .iter()
        .enumerate()
        .map(|(i, (label, c))| ChartColumn {
            label: label.clone(),
            count: c.volume,
            median_secs: c.first_response.median(),
            tick: i % label_every.max(1) == 0,
        })
        .collect();
    let text = ChartText {
        id,
        bar_legend: "Conversations",
        counted: "conversations",
        x_title,
        summary,
    };
    draw(text, zone, &drawn, TickAt::Centre)
}

/// The chart's text alternative: the busiest column and the overall median.
fn summary(unit: &str, columns: &[(String, Column)]) -> String {
    let mut total = Column::default();
    for (_, c) in columns {
        total.join(c);
    }
    let busiest = columns
        .iter()
        .max_by_key(|(_, t)| t.volume)
        .filter(|(_, t)| t.volume > 0)
        .map(|(label, t)| format!("; the busiest {unit} was {label} with {}", t.volume))
        .unwrap_or_default();
    format!(
        "Conversations per {unit} (bars) and median first response (dots): {} in all{busiest}{}",
        total.volume,
        match total.first_response.median() {
            Some(s) => format!("; median first response {}", secs_text(s)),
            None => String::new(),
        }
    )
}
