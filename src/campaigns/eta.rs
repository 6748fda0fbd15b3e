//! When a predictive campaign should be done: the leads still waiting, sent at the campaign's
//! pace through its allowed hours and days. An estimate read in the campaign's zone (leads
//! in other zones open at other times); pure, so the run page asks it with the store's facts
//! and the clock.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::plan::{next_allowed, next_local_midnight};
use crate::domain::PredictiveSettings;

/// Allowed windows looked at before giving up: more than two years of daily windows, so
/// only a pace too slow to be meant ends the walk.
const MAX_WINDOWS: usize = 1000;

/// When the last of `waiting` leads should get its message, sending from `now` (or the
/// campaign's start, if later) at `per_minute` inside the allowed hours and days in `zone`.
/// `None` when nothing waits, the pace is zero, or the windows before `ends_at` (or the ones
/// looked at) cannot hold them all.
pub fn expected_finish(
    waiting: u64,
    settings: &PredictiveSettings,
    zone: Tz,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if waiting == 0 || !settings.per_minute.is_finite() || settings.per_minute <= 0.0 {
        return None;
    }
    let mut left = waiting as f64;
    let mut from = settings.starts_at.map_or(now, |s| s.max(now));
    for _ in 0..MAX_WINDOWS {
        let open = next_allowed(from, zone, &settings.hours, &settings.days)?;
        if settings.ends_at.is_some_and(|end| open >= end) {
            return None;
        }
        let close = window_close(open, zone, settings);
        if close <= open {
            // Never for a well-formed window; step on rather than loop in place.
            from = next_local_midnight(open, zone)?;
            continue;
        }
        // The scheduler sends the first message as the window opens, then one every
        // 1 / pace: the window holds ceil(length × pace) messages.
        let millis = (close - open).num_milliseconds() as f64;
        let fits = (millis * settings.per_minute / 60_000.0).ceil();
        if left <= fits {
            let last = ((left - 1.0) * 60_000.0 / settings.per_minute).round() as i64;
            return Some(open + Duration::milliseconds(last));
        }
        left -= fits;
        from = close;
    }
    None
}

/// The end of the sending spell that `open` starts: the hours' closing, cut at local midnight
/// when days are limited (the next day may not be allowed; the walk opens again at once if it
/// is) and at the campaign's end.
fn window_close(open: DateTime<Utc>, zone: Tz, settings: &PredictiveSettings) -> DateTime<Utc> {
    let midnight = next_local_midnight(open, zone);
    let mut close = settings
        .hours
        .closing(open, zone)
        .or(midnight)
        .unwrap_or(open);
    if !settings.days.is_empty()
        && let Some(m) = midnight
    {
        close = close.min(m);
    }
    if let Some(end) = settings.ends_at {
        close = close.min(end);
    }
    close
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::utc;
    use crate::domain::SendingHours;
    use chrono::Weekday;

    /// 09:00–17:00 every day at `per_minute`.
    fn settings(per_minute: f64) -> PredictiveSettings {
        PredictiveSettings {
            message: "Hi".into(),
            hours: SendingHours::parse("09:00", "17:00").expect("hours"),
            per_minute,
            ..PredictiveSettings::new()
        }
    }

    #[test]
    fn nothing_waiting_or_no_pace_has_no_finish() {
        let now = utc("2026-01-15T10:00:00Z");
        assert_eq!(expected_finish(0, &settings(60.0), Tz::UTC, now), None);
        assert_eq!(expected_finish(5, &settings(0.0), Tz::UTC, now), None);
    }

    #[test]
    fn a_run_that_fits_in_todays_window() {
        let now = utc("2026-01-15T10:00:00Z"); // a Thursday, inside 09:00–17:00
        // 61 leads at one a second: the first now, the last a minute later.
        assert_eq!(
            expected_finish(61, &settings(60.0), Tz::UTC, now),
            Some(utc("2026-01-15T10:01:00Z"))
        );
        // Before the window opens, the run starts at 09:00.
        assert_eq!(
            expected_finish(1, &settings(60.0), Tz::UTC, utc("2026-01-15T07:30:00Z")),
            Some(utc("2026-01-15T09:00:00Z"))
        );
        // The hours are read in the campaign's zone: 09:00 in New York is 14:00 UTC.
        assert_eq!(
            expected_finish(
                1,
                &settings(60.0),
                chrono_tz::America::New_York,
                utc("2026-01-15T12:00:00Z")
            ),
            Some(utc("2026-01-15T14:00:00Z"))
        );
    }

    #[test]
    fn a_run_spills_into_the_next_days() {
        let now = utc("2026-01-15T16:00:00Z"); // one hour of today's window left
        // 60 an hour: 60 today (16:00–16:59), 480 tomorrow, the last 10 on the day after,
        // the 10th at 09:09.
        assert_eq!(
            expected_finish(550, &settings(1.0), Tz::UTC, now),
            Some(utc("2026-01-17T09:09:00Z"))
        );
        // Across the spring change in Berlin the windows stay 09:00–17:00 local: the 61st
        // lead goes at 09:00 on 29 March, which is 07:00 UTC (08:00 the day before).
        let berlin = chrono_tz::Europe::Berlin;
        assert_eq!(
            expected_finish(61, &settings(1.0), berlin, utc("2026-03-28T15:00:00Z")),
            Some(utc("2026-03-29T07:00:00Z"))
        );
    }

    #[test]
    fn only_allowed_days_count() {
        let weekdays = PredictiveSettings {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            ..settings(1.0)
        };
        // Friday 16:00: 60 today, then nothing until Monday 09:00.
        let friday = utc("2026-01-16T16:00:00Z");
        assert_eq!(
            expected_finish(61, &weekdays, Tz::UTC, friday),
            Some(utc("2026-01-19T09:00:00Z"))
        );
        // A window over midnight stops at the end of an allowed day when the next is not.
        let nights_on_friday = PredictiveSettings {
            hours: SendingHours::parse("22:00", "02:00").expect("hours"),
            days: vec![Weekday::Fri],
            ..settings(1.0)
        };
        // Friday 22:00–24:00 holds 120; the 121st waits a week, to the next Friday 22:00
        // (Friday's own 00:00–02:00 comes first, on 23 January).
        assert_eq!(
            expected_finish(121, &nights_on_friday, Tz::UTC, friday),
            Some(utc("2026-01-23T00:00:00Z"))
        );
    }

    #[test]
    fn a_start_later_than_now_and_an_end_that_cuts_the_run_off() {
        let now = utc("2026-01-15T10:00:00Z");
        let later = PredictiveSettings {
            starts_at: Some(utc("2026-01-20T12:00:00Z")),
            ..settings(60.0)
        };
        assert_eq!(
            expected_finish(2, &later, Tz::UTC, now),
            Some(utc("2026-01-20T12:00:01Z"))
        );
        // Ending at 10:30 leaves room for 1,800 at one a second, not 1,801.
        let ending = PredictiveSettings {
            ends_at: Some(utc("2026-01-15T10:30:00Z")),
            ..settings(60.0)
        };
        assert_eq!(
            expected_finish(1800, &ending, Tz::UTC, now),
            Some(utc("2026-01-15T10:29:59Z"))
        );
        assert_eq!(expected_finish(1801, &ending, Tz::UTC, now), None);
        // An end before the next window opens: never.
        let over = PredictiveSettings {
            ends_at: Some(utc("2026-01-15T08:00:00Z")),
            ..settings(60.0)
        };
        assert_eq!(
            expected_finish(1, &over, Tz::UTC, utc("2026-01-15T07:00:00Z")),
            None
        );
    }
}
