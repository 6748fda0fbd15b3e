//! The predictive scheduler's rule for one lead: send now, wait until an allowed moment, or
//! skip with a reason. Pure: the scheduler task (to come) asks it with the store's facts and
//! its clock, so every case is tested here without sleeping.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

pub use crate::domain::SkipReason;
use crate::domain::predictive::{day_allowed, local_day};
use crate::domain::sending_hours::zone;
use crate::domain::{ChannelPreference, Lead, PredictiveSettings, SendingHours};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Send,
    /// Not before this instant (the start, or the next allowed hour and day in the lead's zone).
    Wait(DateTime<Utc>),
    Skip(SkipReason),
}

/// What to do with `lead` at `now`.
pub fn decide(
    lead: &Lead,
    settings: &PredictiveSettings,
    campaign_zone: Tz,
    opted_out: bool,
    now: DateTime<Utc>,
) -> Decision {
    if opted_out {
        return Decision::Skip(SkipReason::OptedOut);
    }
    match lead.channel {
        ChannelPreference::Sms => {}
        ChannelPreference::Unknown if settings.include_unknown_channel => {}
        other => return Decision::Skip(SkipReason::Channel(other)),
    }
    let from = settings.starts_at.map_or(now, |s| s.max(now));
    let zone = zone(&lead.time_zone).unwrap_or(campaign_zone);
    let Some(at) = next_allowed(from, zone, &settings.hours, &settings.days) else {
        return Decision::Skip(SkipReason::Ended);
    };
    if settings.ends_at.is_some_and(|end| at >= end) {
        return Decision::Skip(SkipReason::Ended);
    }
    if at <= now {
        Decision::Send
    } else {
        Decision::Wait(at)
    }
}

/// The first instant at or after `from` inside the hours on an allowed day, in `zone`;
/// `None` only when no day is allowed at all.
pub fn next_allowed(
    from: DateTime<Utc>,
    zone: Tz,
    hours: &SendingHours,
    days: &[chrono::Weekday],
) -> Option<DateTime<Utc>> {
    let mut at = from;
    // A week and a day covers every set of allowed days, also across a DST change.
    for _ in 0..8 {
        let open = hours.next_allowed(at, zone).unwrap_or(at);
        if day_allowed(days, local_day(open, zone)) {
            return Some(open);
        }
        at = next_local_midnight(open, zone)?;
    }
    None
}

/// The start of the local day after `at`'s (the hour after, where the clocks skip midnight).
pub(crate) fn next_local_midnight(at: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
    let day = at.with_timezone(&zone).date_naive().succ_opt()?;
    [0, 1]
        .into_iter()
        .find_map(|h| {
            zone.from_local_datetime(&day.and_hms_opt(h, 0, 0)?)
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::utc;
    use crate::domain::{CampaignId, ContactId, E164, LeadId};
    use chrono::Weekday;

    fn lead(zone: &str, channel: ChannelPreference) -> Lead {
        Lead {
            id: LeadId(1),
            campaign: CampaignId(1),
            phone: E164::parse("+14155550101").expect("phone"),
            contact: ContactId(1),
            first_name: String::new(),
            last_name: String::new(),
            time_zone: zone.into(),
            channel,
            fields: vec![],
            imported_at: utc("2026-01-01T00:00:00Z"),
        }
    }

    fn settings() -> PredictiveSettings {
        PredictiveSettings {
            message: "Hi".into(),
            ..PredictiveSettings::new()
        }
    }

    #[test]
    fn each_lead_is_messaged_within_its_own_hours() {
        let s = settings(); // 09:00–20:00
        let noon_utc = utc("2026-01-15T12:00:00Z");
        // 12:00 UTC: 13:00 in Berlin (send), 07:00 in New York (wait until 09:00 = 14:00 UTC),
        // 21:00 in Tokyo (wait until tomorrow 09:00 = 00:00 UTC).
        let berlin = lead("Europe/Berlin", ChannelPreference::Sms);
        assert_eq!(
            decide(&berlin, &s, Tz::UTC, false, noon_utc),
            Decision::Send
        );
        let ny = lead("America/New_York", ChannelPreference::Sms);
        assert_eq!(
            decide(&ny, &s, Tz::UTC, false, noon_utc),
            Decision::Wait(utc("2026-01-15T14:00:00Z"))
        );
        let tokyo = lead("Asia/Tokyo", ChannelPreference::Sms);
        assert_eq!(
            decide(&tokyo, &s, Tz::UTC, false, noon_utc),
            Decision::Wait(utc("2026-01-16T00:00:00Z"))
        );
        // No zone on the lead: the campaign's.
        let none = lead("", ChannelPreference::Sms);
        assert_eq!(
            decide(&none, &s, chrono_tz::America::New_York, false, noon_utc),
            Decision::Wait(utc("2026-01-15T14:00:00Z"))
        );
    }

    #[test]
    fn the_opening_follows_a_daylight_saving_change() {
        let s = settings();
        let berlin = lead("Europe/Berlin", ChannelPreference::Sms);
        // 21:00 UTC on 28 March 2026 is 22:00 in Berlin; the next 09:00 is after the change
        // to summer time: 07:00 UTC (not 08:00).
        assert_eq!(
            decide(&berlin, &s, Tz::UTC, false, utc("2026-03-28T21:00:00Z")),
            Decision::Wait(utc("2026-03-29T07:00:00Z"))
        );
        // And in autumn back: 09:00 on 25 October 2026 is 08:00 UTC.
        assert_eq!(
            decide(&berlin, &s, Tz::UTC, false, utc("2026-10-24T20:00:00Z")),
            Decision::Wait(utc("2026-10-25T08:00:00Z"))
        );
    }

    #[test]
    fn days_start_and_end_limit_the_moments() {
        let weekdays = PredictiveSettings {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            ..settings()
        };
        let utc_lead = lead("UTC", ChannelPreference::Sms);
        // Saturday 10:00: wait for Monday 09:00.
        assert_eq!(
            decide(
                &utc_lead,
                &weekdays,
                Tz::UTC,
                false,
                utc("2026-01-17T10:00:00Z")
            ),
            Decision::Wait(utc("2026-01-19T09:00:00Z"))
        );
        // Friday 19:59 is still in; Friday 20:00 waits for Monday.
        assert_eq!(
            decide(
                &utc_lead,
                &weekdays,
                Tz::UTC,
                false,
                utc("2026-01-16T19:59:00Z")
            ),
            Decision::Send
        );
        assert_eq!(
            decide(
                &utc_lead,
                &weekdays,
                Tz::UTC,
                false,
                utc("2026-01-16T20:00:00Z")
            ),
            Decision::Wait(utc("2026-01-19T09:00:00Z"))
        );
        // A start in the future waits for it; an end before the next moment skips.
        let later = PredictiveSettings {
            starts_at: Some(utc("2026-01-20T10:30:00Z")),
            ends_at: Some(utc("2026-01-20T11:00:00Z")),
            ..settings()
        };
        let now = utc("2026-01-19T10:00:00Z");
        assert_eq!(
            decide(&utc_lead, &later, Tz::UTC, false, now),
            Decision::Wait(utc("2026-01-20T10:30:00Z"))
        );
        let over = PredictiveSettings {
            ends_at: Some(utc("2026-01-19T08:00:00Z")),
            ..settings()
        };
        assert_eq!(
            decide(
                &utc_lead,
                &over,
                Tz::UTC,
                false,
                utc("2026-01-19T07:00:00Z")
            ),
            Decision::Skip(SkipReason::Ended)
        );
    }

    #[test]
    fn channel_preference_and_consent_decide_eligibility() {
        let s = settings();
        let now = utc("2026-01-15T12:00:00Z");
        let at = |c| decide(&lead("UTC", c), &s, Tz::UTC, false, now);
        assert_eq!(at(ChannelPreference::Sms), Decision::Send);
        assert_eq!(
            at(ChannelPreference::Unknown),
            Decision::Skip(SkipReason::Channel(ChannelPreference::Unknown))
        );
        assert_eq!(
            at(ChannelPreference::Email),
            Decision::Skip(SkipReason::Channel(ChannelPreference::Email))
        );
        let with_unknown = PredictiveSettings {
            include_unknown_channel: true,
            ..settings()
        };
        assert_eq!(
            decide(
                &lead("UTC", ChannelPreference::Unknown),
                &with_unknown,
                Tz::UTC,
                false,
                now
            ),
            Decision::Send
        );
        assert_eq!(
            decide(
                &lead("UTC", ChannelPreference::None),
                &with_unknown,
                Tz::UTC,
                false,
                now
            ),
            Decision::Skip(SkipReason::Channel(ChannelPreference::None))
        );
        assert_eq!(
            decide(&lead("UTC", ChannelPreference::Sms), &s, Tz::UTC, true, now),
            Decision::Skip(SkipReason::OptedOut)
        );
        assert_eq!(
            SkipReason::Channel(ChannelPreference::Email).label(),
            "prefers email"
        );
    }
}
