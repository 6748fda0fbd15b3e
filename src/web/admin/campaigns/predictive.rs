//! The predictive part of the campaign form: the leads' message, schedule, allowed hours and
//! days, pace and the inbound campaign for replies. Checked only for predictive campaigns.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::times;
use crate::domain::predictive::{check_message, days_label, parse_days};
use crate::domain::sending_hours::zone;
use crate::domain::{Campaign, CampaignId, CampaignKind, PredictiveSettings};

/// The predictive fields as typed.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct PredictiveInput {
    pub p_message: String,
    /// `YYYY-MM-DD HH:MM` in the campaign's zone (`YYYY-MM-DDTHH:MM` too); empty: none.
    pub p_starts_at: String,
    pub p_ends_at: String,
    pub p_hours_start: String,
    pub p_hours_end: String,
    /// `mon, tue, …`; empty: every day.
    pub p_days: String,
    /// The pace, counted per `p_pace_unit`.
    pub p_per_minute: String,
    /// `second` or `minute` (empty: minute).
    pub p_pace_unit: String,
    /// An inbound campaign's id; empty: none.
    pub p_replies_to: String,
    /// The "also leads with no channel preference" box: present when ticked.
    pub p_include_unknown: Option<String>,
}

impl PredictiveInput {
    pub fn of(c: &Campaign) -> PredictiveInput {
        let p = c.predictive.clone().unwrap_or_default();
        let zone = campaign_zone(&c.time_zone);
        let local = |at: Option<DateTime<Utc>>| {
            at.map(|t| times::show_date_time(t.with_timezone(&zone).naive_local()))
                .unwrap_or_default()
        };
        PredictiveInput {
            p_message: p.message.clone(),
            p_starts_at: local(p.starts_at),
            p_ends_at: local(p.ends_at),
            p_hours_start: times::show_time(p.hours.start),
            p_hours_end: times::show_time(p.hours.end),
            p_days: days_label(&p.days),
            p_per_minute: p.per_minute.to_string(),
            p_pace_unit: "minute".into(),
            p_replies_to: p.replies_to.map(|r| r.to_string()).unwrap_or_default(),
            p_include_unknown: p.include_unknown_channel.then(|| "on".into()),
        }
    }
}

/// Why the predictive fields were refused, per field.
#[derive(Debug, Default)]
pub struct PredictiveErrors {
    pub message: Option<String>,
    pub schedule: Option<String>,
    pub hours: Option<String>,
    pub days: Option<String>,
    pub pace: Option<String>,
    pub replies_to: Option<String>,
}

impl PredictiveErrors {
    pub fn any(&self) -> bool {
        [
            &self.message,
            &self.schedule,
            &self.hours,
            &self.days,
            &self.pace,
            &self.replies_to,
        ]
        .iter()
        .any(|e| e.is_some())
    }
}

fn campaign_zone(name: &str) -> Tz {
    zone(name).unwrap_or(Tz::UTC)
}

/// The settings of a campaign `c` (already checked otherwise) from the typed fields; `None`
/// when it is not predictive. `lead_fields` are the custom columns of its leads; `campaigns`
/// every campaign (for the reply campaign).
pub fn check(
    input: &PredictiveInput,
    c: &Campaign,
    lead_fields: &[String],
    campaigns: &[Campaign],
) -> Result<Option<PredictiveSettings>, Box<PredictiveErrors>> {
    if c.kind != CampaignKind::Predictive {
        return Ok(None);
    }
    let mut e = PredictiveErrors::default();
    let mut p = PredictiveSettings::new();
    // The message may wait until the leads are imported (their columns are placeholders);
    // the campaign cannot start without one.
    if !input.p_message.trim().is_empty() {
        match check_message(&input.p_message, lead_fields) {
            Ok(m) => p.message = m,
            Err(m) => e.message = Some(m),
        }
    }
    let zone = campaign_zone(&c.time_zone);
    match (
        local_time(&input.p_starts_at, zone),
        local_time(&input.p_ends_at, zone),
    ) {
        (Ok(start), Ok(end)) if start.zip(end).is_some_and(|(s, e)| e <= s) => {
            e.schedule = Some("The end must come after the start.".into());
        }
        (Ok(start), Ok(end)) => {
            p.starts_at = start;
            p.ends_at = end;
        }
        (Err(m), _) | (_, Err(m)) => e.schedule = Some(m),
    }
    // Left empty, the hours and the pace keep their defaults (09:00–20:00, 60 a minute).
    let (start, end) = (input.p_hours_start.trim(), input.p_hours_end.trim());
    if !(start.is_empty() && end.is_empty()) {
        match times::parse_hours(start, end) {
            Ok(h) => p.hours = h,
            Err(m) => e.hours = Some(format!("Allowed hours: {m}.")),
        }
    }
    match parse_days(&input.p_days) {
        Ok(d) => p.days = d,
        Err(m) => e.days = Some(m),
    }
    // Never faster than its numbers may send together.
    let most = c.send_rate * c.numbers.len() as f64 * 60.0;
    let pace = match input.p_per_minute.trim() {
        "" => p.per_minute.to_string(),
        typed => typed.to_owned(),
    };
    let per = match input.p_pace_unit.trim() {
        "" | "minute" => Some(1.0),
        "second" => Some(60.0),
        _ => None,
    };
    match (pace.parse::<f64>(), per) {
        (_, None) => e.pace = Some("Give the pace per second or per minute.".into()),
        // Without numbers it cannot send at all; the pace is checked again once it has some.
        (Ok(n), Some(per))
            if n.is_finite() && n > 0.0 && (c.numbers.is_empty() || n * per <= most) =>
        {
            p.per_minute = n * per
        }
        _ => {
            e.pace = Some(format!(
                "The pace must be a number above 0 and at most {most} a minute ({} a second), \
                 the send rate of its numbers.",
                most / 60.0
            ))
        }
    }
    let raw = input.p_replies_to.trim();
    if !raw.is_empty() {
        match raw
            .parse::<CampaignId>()
            .ok()
            .and_then(|id| campaigns.iter().find(|x| x.id == id))
        {
            Some(r) if r.kind == CampaignKind::Inbound => p.replies_to = Some(r.id),
            _ => e.replies_to = Some("Choose one of the inbound campaigns listed.".into()),
        }
    }
    p.include_unknown_channel = input.p_include_unknown.is_some();
    if e.any() {
        Err(Box::new(e))
    } else {
        Ok(Some(p))
    }
}

/// A `YYYY-MM-DD HH:MM` value read in `zone`; empty is `None`.
fn local_time(raw: &str, zone: Tz) -> Result<Option<DateTime<Utc>>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let naive = times::parse_date_time(raw).map_err(|m| format!("{m}."))?;
    zone.from_local_datetime(&naive)
        .earliest()
        .map(|t| Some(t.with_timezone(&Utc)))
        .ok_or_else(|| format!("{raw} does not exist in {zone} (the clocks skip it)."))
}
