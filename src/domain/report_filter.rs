//! What a report or export covers: a range of whole days in the site's time zone, and
//! optionally one queue, campaign, agent or direction.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::{CampaignId, Direction, QueueId, UserId, Workitem};

/// Longest range the reports page covers, in days (exports stream any range).
pub const MAX_REPORT_DAYS: i64 = 366;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFilter {
    /// From this instant (the first day's midnight in the site zone)…
    pub from: DateTime<Utc>,
    /// …to this one, excluded (the midnight after the last day).
    pub to: DateTime<Utc>,
    pub queue: Option<QueueId>,
    pub campaign: Option<CampaignId>,
    pub agent: Option<UserId>,
    pub direction: Option<Direction>,
}

impl ReportFilter {
    /// The filter for days `first..=last` in `zone`; refuses a range backwards or longer
    /// than `max_days` (if given).
    pub fn days(
        zone: Tz,
        first: NaiveDate,
        last: NaiveDate,
        max_days: Option<i64>,
    ) -> Result<ReportFilter, String> {
        if last < first {
            return Err("The range ends before it starts.".into());
        }
        if let Some(max) = max_days
            && (last - first).num_days() >= max
        {
            return Err(format!("A report covers at most {max} days."));
        }
        Ok(ReportFilter {
            from: midnight(zone, first),
            to: midnight(zone, last + Duration::days(1)),
            queue: None,
            campaign: None,
            agent: None,
            direction: None,
        })
    }

    /// Whether a workitem's start falls in the range and it meets every filter.
    pub fn matches(&self, w: &Workitem) -> bool {
        self.covers(w.created_at) && self.matches_apart_from_time(w)
    }

    /// Whether `at` falls in the range.
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.to
    }

    /// Whether a workitem meets the queue, campaign, agent and direction filters.
    pub fn matches_apart_from_time(&self, w: &Workitem) -> bool {
        self.queue.is_none_or(|q| w.queue == q)
            && self.campaign.is_none_or(|c| w.campaign == Some(c))
            && self.agent.is_none_or(|a| w.agent == Some(a))
            && self.direction.is_none_or(|d| direction_of(w) == d)
    }
}

/// A workitem's direction: `Out` when we wrote first (an agent's outbound SMS or a campaign).
pub fn direction_of(w: &Workitem) -> Direction {
    if w.outbound {
        Direction::Out
    } else {
        Direction::In
    }
}

/// When `day` starts in `zone`: its midnight, or the first moment after a gap that swallows
/// midnight (a daylight-saving change at 00:00).
pub fn midnight(zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    let mut local = day.and_time(NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(t) = zone.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_range_runs_from_the_first_midnight_to_the_one_after_the_last_day() {
        let max = Some(MAX_REPORT_DAYS);
        let f = ReportFilter::days(chrono_tz::UTC, date("2026-03-01"), date("2026-03-02"), max)
            .unwrap();
        assert_eq!(f.from.to_rfc3339(), "2026-03-01T00:00:00+00:00");
        assert_eq!(f.to.to_rfc3339(), "2026-03-03T00:00:00+00:00");
        let days =
            |first, last, max| ReportFilter::days(chrono_tz::UTC, date(first), date(last), max);
        assert!(days("2026-03-02", "2026-03-01", None).is_err(), "backwards");
        assert!(days("2025-01-01", "2026-01-02", max).is_err(), "367 days");
        assert!(days("2025-01-01", "2026-01-01", max).is_ok(), "366 days");
        assert!(
            days("2020-01-01", "2026-01-02", None).is_ok(),
            "exports take any range"
        );
    }

    #[test]
    fn days_with_a_clock_change_have_23_or_25_hours() {
        let ny = chrono_tz::America::New_York;
        // 8 March 2026: clocks go forward at 02:00 in New York.
        let spring = ReportFilter::days(ny, date("2026-03-08"), date("2026-03-08"), None).unwrap();
        assert_eq!((spring.to - spring.from).num_hours(), 23);
        let autumn = ReportFilter::days(ny, date("2026-11-01"), date("2026-11-01"), None).unwrap();
        assert_eq!((autumn.to - autumn.from).num_hours(), 25);
        assert_eq!(spring.from.to_rfc3339(), "2026-03-08T05:00:00+00:00");
    }

    #[test]
    fn a_gap_at_midnight_starts_the_day_at_the_first_real_moment() {
        // Santiago moved its clocks from 00:00 to 01:00 on 7 September 2025.
        let santiago = chrono_tz::America::Santiago;
        let start = midnight(santiago, date("2025-09-07"));
        assert_eq!(start.to_rfc3339(), "2025-09-07T04:00:00+00:00");
    }
}
