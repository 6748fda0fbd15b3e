//! Sending hours: the local times of day a customer may be messaged, checked in the
//! customer's own time zone (daylight-saving changes included).

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Messages may go out from `start` (inclusive) to `end` (exclusive), local time. A window
/// whose end is before its start runs over midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendingHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl SendingHours {
    /// What agents' campaigns use unless an admin sets otherwise: 08:00–21:00.
    pub fn agent_default() -> SendingHours {
        SendingHours {
            start: hm(8, 0),
            end: hm(21, 0),
        }
    }

    /// Parses the admin form's `HH:MM` pair; equal times are refused (use no limit instead).
    pub fn parse(start: &str, end: &str) -> Result<SendingHours, String> {
        let time = |s: &str| {
            NaiveTime::parse_from_str(s.trim(), "%H:%M")
                .map_err(|_| format!("“{}” is not a time of day (HH:MM)", s.trim()))
        };
        let hours = SendingHours {
            start: time(start)?,
            end: time(end)?,
        };
        if hours.start == hours.end {
            return Err("the start and end of the sending hours are the same".into());
        }
        Ok(hours)
    }

    pub fn allows_local(&self, t: NaiveTime) -> bool {
        if self.start < self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// `None` when `now` is inside the hours in `zone`; otherwise the next instant that is.
    pub fn next_allowed(&self, now: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&zone);
        if self.allows_local(local.time()) {
            return None;
        }
        // Outside the window, the next opening is today's start if still ahead, else tomorrow's.
        let today = local.date_naive();
        let day = if local.time() < self.start {
            today
        } else {
            today.succ_opt().unwrap_or(today)
        };
        Some(opening(day, self.start, zone))
    }

    /// When `at` is inside the hours in `zone`, the instant that window closes (the next
    /// local `end`); `None` when `at` is outside. An end skipped by a daylight-saving jump
    /// closes at the jump; an end that happens twice closes the first time after `at`.
    pub fn closing(&self, at: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&zone);
        if !self.allows_local(local.time()) {
            return None;
        }
        let today = local.date_naive();
        // A window over midnight that opened today closes tomorrow.
        let day = if self.start > self.end && local.time() >= self.start {
            today.succ_opt().unwrap_or(today)
        } else {
            today
        };
        Some(closing_after(day, self.end, zone, at))
    }

    /// `HH:MM–HH:MM`, for messages.
    pub fn label(&self) -> String {
        format!(
            "{}–{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

/// The first instant at or after `day` `time` local: a time skipped by a daylight-saving jump
/// opens when the clocks have jumped; a time that happens twice opens the first time.
fn opening(day: NaiveDate, time: NaiveTime, zone: Tz) -> DateTime<Utc> {
    let mut at = day.and_time(time);
    for _ in 0..=4 * 24 {
        match zone.from_local_datetime(&at) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => at += Duration::minutes(15),
        }
    }
    // No zone skips a whole day; fall back to reading the time as UTC.
    Utc.from_utc_datetime(&day.and_time(time))
}

/// `day` `time` local as the first instant after `after`: skipped times move past the jump
/// (as [`opening`]); of a time that happens twice, the first one still ahead.
fn closing_after(day: NaiveDate, time: NaiveTime, zone: Tz, after: DateTime<Utc>) -> DateTime<Utc> {
    match zone.from_local_datetime(&day.and_time(time)) {
        LocalResult::Ambiguous(first, second) => {
            let first = first.with_timezone(&Utc);
            if first > after {
                first
            } else {
                second.with_timezone(&Utc)
            }
        }
        _ => opening(day, time, zone),
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

/// Reads an IANA zone name (`Europe/Berlin`); empty or unknown gives `None`.
pub fn zone(name: &str) -> Option<Tz> {
    name.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::utc;

    #[test]
    fn inside_and_outside_in_the_customers_zone() {
        let h = SendingHours::agent_default();
        let ny: Tz = "America/New_York".parse().expect("zone");
        // 14:00 UTC = 09:00 in New York (EST): allowed.
        assert_eq!(h.next_allowed(utc("2026-01-15T14:00:00Z"), ny), None);
        // 12:00 UTC = 07:00 in New York: opens at 08:00 local = 13:00 UTC.
        assert_eq!(
            h.next_allowed(utc("2026-01-15T12:00:00Z"), ny),
            Some(utc("2026-01-15T13:00:00Z"))
        );
        // 03:00 UTC on the 16th = 22:00 on the 15th in New York: opens the next morning.
        assert_eq!(
            h.next_allowed(utc("2026-01-16T03:00:00Z"), ny),
            Some(utc("2026-01-16T13:00:00Z"))
        );
        // The end is exclusive: 21:00 local is closed.
        assert!(h.next_allowed(utc("2026-01-16T02:00:00Z"), ny).is_some());
        assert_eq!(h.next_allowed(utc("2026-01-16T01:59:59Z"), ny), None);
    }

    #[test]
    fn across_a_daylight_saving_change() {
        let h = SendingHours::agent_default();
        let berlin: Tz = "Europe/Berlin".parse().expect("zone");
        // The night of 28–29 March 2026 Berlin moves from +01:00 to +02:00: 08:00 on the
        // 29th is 06:00 UTC, while 08:00 on the 28th was 07:00 UTC.
        assert_eq!(
            h.next_allowed(utc("2026-03-28T21:00:00Z"), berlin),
            Some(utc("2026-03-29T06:00:00Z"))
        );
        assert_eq!(
            h.next_allowed(utc("2026-03-28T06:30:00Z"), berlin),
            Some(utc("2026-03-28T07:00:00Z"))
        );
    }

    #[test]
    fn an_opening_skipped_by_the_clocks_opens_after_the_jump() {
        let h = SendingHours::parse("02:30", "20:00").expect("hours");
        let berlin: Tz = "Europe/Berlin".parse().expect("zone");
        // 02:30 does not exist on 29 March 2026 in Berlin; 03:00 CEST = 01:00 UTC does.
        assert_eq!(
            h.next_allowed(utc("2026-03-28T22:00:00Z"), berlin),
            Some(utc("2026-03-29T01:00:00Z"))
        );
    }

    #[test]
    fn windows_close_at_the_local_end_also_on_a_daylight_saving_day() {
        let h = SendingHours::parse("09:00", "20:00").expect("hours");
        let berlin: Tz = "Europe/Berlin".parse().expect("zone");
        // 28 March 2026 is still winter time (+01:00): 20:00 is 19:00 UTC.
        assert_eq!(
            h.closing(utc("2026-03-28T10:00:00Z"), berlin),
            Some(utc("2026-03-28T19:00:00Z"))
        );
        // 29 March, the day the clocks go forward: 20:00 is 18:00 UTC.
        assert_eq!(
            h.closing(utc("2026-03-29T08:00:00Z"), berlin),
            Some(utc("2026-03-29T18:00:00Z"))
        );
        // Outside the hours there is nothing to close.
        assert_eq!(h.closing(utc("2026-03-29T19:00:00Z"), berlin), None);
        // A window over midnight ends the next day; an end of 02:30 does not exist on 29
        // March, so it closes when the clocks jump to 03:00 (01:00 UTC).
        let night = SendingHours::parse("22:00", "02:30").expect("hours");
        assert_eq!(
            night.closing(utc("2026-03-28T22:00:00Z"), berlin),
            Some(utc("2026-03-29T01:00:00Z"))
        );
        // On 25 October 02:00–03:00 happens twice: the first 02:30 (00:30 UTC) closes it.
        assert_eq!(
            night.closing(utc("2026-10-24T23:00:00Z"), berlin),
            Some(utc("2026-10-25T00:30:00Z"))
        );
        // 02:10 in the second pass (01:10 UTC) reads as inside again: closes at the second 02:30.
        assert_eq!(
            night.closing(utc("2026-10-25T01:10:00Z"), berlin),
            Some(utc("2026-10-25T01:30:00Z"))
        );
    }

    #[test]
    fn overnight_windows_and_parsing() {
        let h = SendingHours::parse("22:00", "06:00").expect("hours");
        assert!(h.allows_local(hm(23, 0)));
        assert!(h.allows_local(hm(5, 59)));
        assert!(!h.allows_local(hm(12, 0)));
        assert!(SendingHours::parse("08:00", "08:00").is_err());
        assert!(SendingHours::parse("8", "20:00").is_err());
        assert!(SendingHours::parse("25:00", "20:00").is_err());
        assert_eq!(SendingHours::agent_default().label(), "08:00–21:00");
        assert_eq!(zone(" Europe/Berlin "), Some(chrono_tz::Europe::Berlin));
        assert_eq!(zone("Mars/Base"), None);
    }
}
