//! The campaign and its leads: zones picked for the hour the run starts, each lead's kind,
//! and storing them as the importer does.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use parley::domain::{
    Campaign, CampaignId, CampaignKind, ChannelPreference, ContactId, E164, Lead, LeadId,
    PredictiveSettings, SendingHours,
};
use parley::state::AppState;
use parley::store::{self, Imported, NewCampaign};

use crate::common::Res;

/// The campaign's numbers (and the baseline's, of other numbers).
pub const NUMBERS: usize = 20;
/// Leads per transaction, as the importer stores them.
pub const LEAD_BATCH: usize = 2_000;
const CAMPAIGN_NAME: &str = "Spring offer";
const MESSAGE: &str =
    "Hi {first_name}, your spring offer from {campaign} is ready. Reply STOP to opt out.";
/// Zones across every offset; those used are picked when the run starts.
const ZONES: [&str; 24] = [
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Halifax",
    "America/Sao_Paulo",
    "Atlantic/South_Georgia",
    "Atlantic/Cape_Verde",
    "UTC",
    "Europe/Berlin",
    "Europe/Helsinki",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Brisbane",
    "Pacific/Noumea",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
];

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SMS, in a zone inside its hours for the whole run.
    Open,
    /// SMS, no zone of its own: the campaign's (open).
    CampaignZone,
    /// SMS, in a zone outside its hours for the whole run.
    Closed,
    /// In an open zone but prefers another channel.
    OtherChannel,
}

pub struct Zones {
    pub open: Vec<(Tz, Duration)>,
    pub closed: Vec<(Tz, Duration)>,
}

/// How long `zone` stays on its present side of `hours` from `now` (up to a day), and which.
fn steady(zone: Tz, hours: &SendingHours, now: DateTime<Utc>) -> (bool, Duration) {
    let inside = |at: DateTime<Utc>| hours.allows_local(at.with_timezone(&zone).time());
    let open = inside(now);
    let mut minutes = 0;
    while minutes < 24 * 60 && inside(now + chrono::Duration::minutes(minutes + 1)) == open {
        minutes += 1;
    }
    (open, Duration::from_secs(minutes as u64 * 60))
}

/// Up to three zones that stay inside and three that stay outside the hours for `horizon`,
/// each with a different offset.
pub fn pick_zones(hours: &SendingHours, horizon: Duration) -> Res<Zones> {
    let now = Utc::now();
    let mut all: Vec<(Tz, bool, Duration)> = ZONES
        .iter()
        .filter_map(|name| name.parse::<Tz>().ok())
        .map(|z| {
            let (open, d) = steady(z, hours, now);
            (z, open, d)
        })
        .filter(|(_, _, d)| *d >= horizon)
        .collect();
    all.sort_by_key(|(_, _, d)| std::cmp::Reverse(*d));
    let mut zones = Zones {
        open: Vec::new(),
        closed: Vec::new(),
    };
    for (z, open, d) in all {
        let side = if open {
            &mut zones.open
        } else {
            &mut zones.closed
        };
        if side.len() < 3 && side.iter().all(|(_, seen)| *seen != d) {
            side.push((z, d));
        }
    }
    if zones.open.is_empty() || zones.closed.is_empty() {
        return Err(format!(
            "no zone stays inside and none outside 09:00–20:00 for {} min: lower the leads or raise the pace",
            horizon.as_secs() / 60
        )
        .into());
    }
    Ok(zones)
}

/// One lead as planned: where its hours are read and what it must get.
pub struct Planned {
    pub phone: E164,
    pub zone_name: String,
    pub zone: Tz,
    pub channel: ChannelPreference,
    pub kind: Kind,
}

pub fn plan_leads(count: usize, zones: &Zones) -> Res<Vec<Planned>> {
    let campaign_zone = zones.open[0].0;
    (0..count)
        .map(|i| {
            let round = i / 20;
            let open = zones.open[round % zones.open.len()].0;
            let (kind, zone, channel) = match i % 20 {
                0..=9 => (Kind::Open, Some(open), ChannelPreference::Sms),
                10 | 11 => (Kind::CampaignZone, None, ChannelPreference::Sms),
                12..=16 => {
                    let closed = zones.closed[round % zones.closed.len()].0;
                    (Kind::Closed, Some(closed), ChannelPreference::Sms)
                }
                17 => (Kind::OtherChannel, Some(open), ChannelPreference::Email),
                18 => (Kind::OtherChannel, Some(open), ChannelPreference::Unknown),
                _ => (Kind::OtherChannel, Some(open), ChannelPreference::None),
            };
            Ok(Planned {
                phone: E164::parse(&format!("+1415{}", 2_000_000 + i))?,
                zone_name: zone.map_or(String::new(), |z| z.name().to_owned()),
                zone: zone.unwrap_or(campaign_zone),
                channel,
                kind,
            })
        })
        .collect()
}

pub fn numbers(area: u32) -> Res<Vec<E164>> {
    (0..NUMBERS)
        .map(|k| Ok(E164::parse(&format!("+1{area}5550{}", 100 + k))?))
        .collect()
}

/// Per-number rate so the numbers together allow four times the pace.
pub fn send_rate(pace: f64) -> f64 {
    (pace / 60.0 * 4.0 / NUMBERS as f64)
        .ceil()
        .clamp(1.0, parley::domain::MAX_SEND_RATE)
}

pub fn message_for(i: usize) -> String {
    MESSAGE
        .replace("{first_name}", &format!("Lead{i}"))
        .replace("{campaign}", CAMPAIGN_NAME)
}

pub async fn save(state: &AppState, campaign: Campaign) -> Res<Campaign> {
    match state
        .store
        .write(move |txn| store::save_campaign(txn, campaign))
        .await?
    {
        NewCampaign::Created(c) => Ok(c),
        NewCampaign::NumberTaken(n) => Err(format!("number {n} already taken").into()),
    }
}

/// The predictive campaign, with every planned lead stored in the importer's batches; returns
/// it and how long storing the leads took.
pub async fn setup_campaign(
    state: &AppState,
    plan: &[Planned],
    zones: &Zones,
    pace: f64,
    hours: SendingHours,
) -> Res<(CampaignId, Duration)> {
    let queue = parley::bootstrap::ensure_default_queue(&state.store).await?;
    let mut campaign = Campaign::new(
        CampaignId(0),
        CAMPAIGN_NAME,
        CampaignKind::Predictive,
        queue,
    );
    campaign.numbers = numbers(415)?;
    campaign.send_rate = send_rate(pace);
    campaign.time_zone = zones.open[0].0.name().to_owned();
    campaign.predictive = Some(PredictiveSettings {
        message: MESSAGE.into(),
        per_minute: pace,
        hours,
        ..PredictiveSettings::new()
    });
    let id = save(state, campaign).await?.id;
    let at = Utc::now();
    let started = Instant::now();
    for (b, chunk) in plan.chunks(LEAD_BATCH).enumerate() {
        let leads: Vec<Lead> = chunk
            .iter()
            .enumerate()
            .map(|(j, p)| Lead {
                id: LeadId(0),
                campaign: id,
                phone: p.phone.clone(),
                contact: ContactId(0),
                first_name: format!("Lead{}", b * LEAD_BATCH + j),
                last_name: "Bench".into(),
                time_zone: p.zone_name.clone(),
                channel: p.channel,
                fields: Vec::new(),
                imported_at: at,
            })
            .collect();
        let stored = state
            .store
            .write(move |txn| store::insert_leads(txn, leads, at))
            .await?;
        if stored.contains(&Imported::Duplicate) {
            return Err("a planned lead was refused as a duplicate".into());
        }
    }
    Ok((id, started.elapsed()))
}
