//! Times on the campaign form, always 24-hour whatever the browser's locale: plain text
//! inputs taking `HH:MM` and `YYYY-MM-DD HH:MM` (the `T` of the old `datetime-local` inputs
//! is still accepted), and stored values shown the same way.

use chrono::{NaiveDateTime, NaiveTime};

use crate::domain::SendingHours;

/// How a time of day is written on the form.
pub const TIME_FORMAT: &str = "%H:%M";
/// How a date and time are written on the form.
pub const DATE_TIME_FORMAT: &str = "%Y-%m-%d %H:%M";

/// A time of day typed as `HH:MM` (24-hour; `9:05` is read as `09:05`).
pub fn parse_time(raw: &str) -> Result<NaiveTime, String> {
    let raw = raw.trim();
    let refuse = || format!("“{raw}” is not a time of day (HH:MM, 24-hour)");
    let (h, m) = raw.split_once(':').ok_or_else(refuse)?;
    let digits = |s: &str, most: usize| {
        (!s.is_empty() && s.len() <= most && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    match (digits(h, 2), digits(m, 2).filter(|_| m.len() == 2)) {
        (Some(h), Some(m)) => NaiveTime::from_hms_opt(h, m, 0).ok_or_else(refuse),
        _ => Err(refuse()),
    }
}

/// A date and time typed as `YYYY-MM-DD HH:MM` (or `YYYY-MM-DDTHH:MM`).
pub fn parse_date_time(raw: &str) -> Result<NaiveDateTime, String> {
    let raw = raw.trim();
    let refuse = || format!("“{raw}” is not a date and time (YYYY-MM-DD HH:MM, 24-hour)");
    let (date, time) = raw
        .split_once(['T', ' '])
        .map(|(d, t)| (d, t.trim_start()))
        .ok_or_else(refuse)?;
    let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| refuse())?;
    let time = parse_time(time).map_err(|_| refuse())?;
    Ok(date.and_time(time))
}

/// A window of hours typed as two `HH:MM` times; the message says which end is wrong.
pub fn parse_hours(start: &str, end: &str) -> Result<SendingHours, String> {
    let start = parse_time(start)?;
    let end = parse_time(end)?;
    SendingHours::parse(&show_time(start), &show_time(end))
}

pub fn show_time(t: NaiveTime) -> String {
    t.format(TIME_FORMAT).to_string()
}

pub fn show_date_time(t: NaiveDateTime) -> String {
    t.format(DATE_TIME_FORMAT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("time")
    }

    #[test]
    fn times_of_day_are_24_hour_hh_mm() {
        assert_eq!(parse_time("09:30"), Ok(time(9, 30)));
        assert_eq!(parse_time(" 9:05 "), Ok(time(9, 5)));
        assert_eq!(parse_time("00:00"), Ok(time(0, 0)));
        assert_eq!(parse_time("23:59"), Ok(time(23, 59)));
        for bad in [
            "",
            "24:00",
            "12:60",
            "9",
            "930",
            "9:5",
            "9.30",
            "9:30 PM",
            "09:30:00",
            "-1:30",
            "+9:30",
            "０９:３０",
        ] {
            let why = parse_time(bad).expect_err(bad);
            assert!(why.contains("HH:MM, 24-hour"), "{bad}: {why}");
        }
        assert_eq!(show_time(time(7, 5)), "07:05");
        let hours = parse_hours("9:00", "17:30").expect("hours");
        assert_eq!((hours.start, hours.end), (time(9, 0), time(17, 30)));
        assert!(parse_hours("10:00", "10:00").is_err());
        assert!(
            parse_hours("10:00", "5pm")
                .expect_err("5pm")
                .contains("“5pm”")
        );
    }

    #[test]
    fn dates_and_times_take_a_space_or_the_old_t() {
        let want = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .expect("date")
            .and_time(time(9, 0));
        assert_eq!(parse_date_time("2026-12-01 09:00"), Ok(want));
        assert_eq!(parse_date_time("2026-12-01T09:00"), Ok(want));
        assert_eq!(parse_date_time(" 2026-12-01  9:00 "), Ok(want));
        for bad in [
            "tomorrow",
            "2026-12-01",
            "2026-13-01 09:00",
            "2026-02-30 09:00",
            "01/12/2026 09:00",
            "2026-12-01 9am",
            "2026-12-01 21:00:00",
        ] {
            let why = parse_date_time(bad).expect_err(bad);
            assert!(why.contains("YYYY-MM-DD HH:MM"), "{bad}: {why}");
        }
        assert_eq!(show_date_time(want), "2026-12-01 09:00");
    }
}
