//! A volume chart drawn on the server as SVG: bars of counts per column (a quarter hour, a
//! day, an hour of the day) and dots of the median first response, on two axes. The
//! wallboard's today chart and the reports' charts build one; `templates/volume_chart.html`
//! draws it with presentation attributes only (the CSP allows no inline style).

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
