//! A volume chart drawn on the server as SVG: bars of counts per column (a quarter hour, a
//! day, an hour of the day) and dots of the median first response, on two axes. The
//! wallboard's today chart and the reports' charts build one; `templates/volume_chart.html`
//! draws it with presentation attributes only (the CSP allows no inline style). [`draw`]
//! lays out any series of columns; the callers only say what the columns are.

use chrono::Duration;
use chrono_tz::Tz;

use crate::web::admin::campaign_run::chart::scale;
use crate::web::tabs::human_duration;

pub const WIDTH: f64 = 720.0;
pub const HEIGHT: f64 = 240.0;
pub const LEFT: f64 = 44.0;
pub const RIGHT: f64 = 56.0;
pub const TOP: f64 = 30.0;
pub const BOTTOM: f64 = 40.0;
pub const BAR_COLOUR: &str = "#2f6fdb";
pub const FRT_COLOUR: &str = "#b54708";

pub struct VolumeChart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub bars: Vec<Mark>,
    pub dots: Vec<Mark>,
    /// Counts, on the left axis.
    pub count_ticks: Vec<Tick>,
    /// Median first response, on the right axis.
    pub secs_ticks: Vec<Tick>,
    /// Labels along the time axis.
    pub time_ticks: Vec<Tick>,
    /// The chart's text alternative.
    pub summary: String,
    pub zone: String,
    /// The `id` of the `svg` element (and the prefix of its title's).
    pub id: &'static str,
    pub bar_legend: &'static str,
    pub x_title: String,
    pub bar_colour: &'static str,
    pub frt_colour: &'static str,
}

/// A bar (x, y, width, height) or a dot (centre x, y; width is its radius), with its tooltip.
pub struct Mark {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub title: String,
}

pub struct Tick {
    pub at: f64,
    pub label: String,
}

pub fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// A count of seconds as the charts and figures show it: `30 s`, `2 min 5 s`.
pub fn secs_text(secs: u64) -> String {
    human_duration(Duration::seconds(secs as i64))
}

/// One column of a volume chart.
pub struct ChartColumn {
    pub label: String,
    pub count: u32,
    /// The median first response of the column, if any was answered.
    pub median_secs: Option<u64>,
    /// Whether the time axis names this column.
    pub tick: bool,
}

/// Where the time axis puts a column's name: at its left edge (a moment, "09:00") or under
/// its middle (a period, "04 Jun").
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TickAt {
    Edge,
    Centre,
}

/// The words of a chart: its `id`, legend, what a bar counts (in tooltips), the time axis's
/// title and the text alternative.
pub struct ChartText {
    pub id: &'static str,
    pub bar_legend: &'static str,
    pub counted: &'static str,
    pub x_title: String,
    pub summary: String,
}

/// Lays out `columns` side by side: a bar for each count, a dot for each median on the
/// right-hand axis, both axes scaled to round steps.
pub fn draw(text: ChartText, zone: Tz, columns: &[ChartColumn], tick_at: TickAt) -> VolumeChart {
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
        summary: text.summary,
        zone: zone.name().to_owned(),
        id: text.id,
        bar_legend: text.bar_legend,
        x_title: text.x_title,
        bar_colour: BAR_COLOUR,
        frt_colour: FRT_COLOUR,
    };
    let width = (c.right - c.left) / columns.len().max(1) as f64;
    let plot = c.bottom - c.top;
    let highest = columns.iter().map(|k| u64::from(k.count)).max();
    let (count_step, count_top) = scale(highest.unwrap_or(0));
    let slowest = columns.iter().filter_map(|k| k.median_secs).max();
    let (secs_step, secs_top) = scale(slowest.unwrap_or(0));
    for (i, k) in columns.iter().enumerate() {
        let x = c.left + width * i as f64;
        if k.count > 0 {
            let height = plot * f64::from(k.count) / count_top as f64;
            c.bars.push(Mark {
                x: round(x + width * 0.1),
                y: round(c.bottom - height),
                width: round(width * 0.8),
                height: round(height),
                title: format!("{} · {} {}", k.label, k.count, text.counted),
            });
        }
        if let Some(secs) = k.median_secs {
            c.dots.push(Mark {
                x: round(x + width / 2.0),
                y: round(c.bottom - plot * secs as f64 / secs_top as f64),
                width: 3.0,
                height: 0.0,
                title: format!("{} · median first response {}", k.label, secs_text(secs)),
            });
        }
        if k.tick {
            let at = match tick_at {
                TickAt::Edge => x,
                TickAt::Centre => x + width / 2.0,
            };
            c.time_ticks.push(Tick {
                at: round(at),
                label: k.label.clone(),
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
