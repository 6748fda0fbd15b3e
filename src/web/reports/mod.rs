//! Reports for supervisors and admins: the filters every report and export shares (a range
//! of days in the site's time zone, queue, campaign, agent, direction), and the streamed CSV
//! exports of workitems, messages, agents' states and survey answers.

mod charts;
mod csv_export;
mod csv_rows;
mod page;

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use serde::Deserialize;

use super::error::ApiError;
#[cfg(test)]
use crate::domain::MAX_REPORT_DAYS;
use crate::domain::{CampaignId, Direction, QueueId, ReportFilter, UserId};
use crate::state::AppState;

pub use csv_export::{agents_csv_get, messages_csv_get, surveys_csv_get, workitems_csv_get};
pub use page::reports_get;

/// The filters as the query string gives them; empty means "all".
#[derive(Deserialize, Default, Clone)]
pub struct ReportQuery {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub queue: Option<String>,
    #[serde(default)]
    pub campaign: Option<String>,
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub direction: Option<String>,
}

/// The site's time zone, in which report days begin and end.
pub fn site_zone(state: &AppState) -> Tz {
    state.config.site_zone()
}

fn given(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn id_of(raw: &Option<String>, what: &str) -> Result<Option<u64>, String> {
    given(raw)
        .map(|s| {
            s.parse()
                .map_err(|_| format!("The {what} must be an id (a number)."))
        })
        .transpose()
}

fn day(raw: &str, what: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| format!("The {what} date must look like 2026-12-31."))
}

impl ReportQuery {
    /// The filter this query asks for; by default the last 30 days up to today (site time),
    /// and at most `max_days` long if given.
    pub fn filter(
        &self,
        zone: Tz,
        today: NaiveDate,
        max_days: Option<i64>,
    ) -> Result<ReportFilter, String> {
        let last = match given(&self.to) {
            Some(s) => day(s, "to")?,
            None => today,
        };
        let first = match given(&self.from) {
            Some(s) => day(s, "from")?,
            None => last - Duration::days(29),
        };
        let mut f = ReportFilter::days(zone, first, last, max_days)?;
        f.queue = id_of(&self.queue, "queue")?.map(QueueId);
        f.campaign = id_of(&self.campaign, "campaign")?.map(CampaignId);
        f.agent = id_of(&self.agent, "agent")?.map(UserId);
        f.direction = match given(&self.direction) {
            None => None,
            Some("in") => Some(Direction::In),
            Some("out") => Some(Direction::Out),
            Some(_) => return Err("The direction is \"in\" or \"out\".".into()),
        };
        Ok(f)
    }

    /// The filter for an export now (any length: it streams), or a 400 with the reason.
    pub fn export_filter(&self, state: &AppState) -> Result<ReportFilter, ApiError> {
        let zone = site_zone(state);
        let today = state.clock.now().with_timezone(&zone).date_naive();
        self.filter(zone, today, None)
            .map_err(ApiError::bad_request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> ReportQuery {
        let mut q = ReportQuery::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "from" => q.from = v,
                "to" => q.to = v,
                "queue" => q.queue = v,
                "direction" => q.direction = v,
                _ => unreachable!(),
            }
        }
        q
    }

    #[test]
    fn filters_are_read_with_clear_refusals() {
        let today: NaiveDate = "2026-12-05".parse().unwrap();
        let f = q(&[])
            .filter(chrono_tz::UTC, today, Some(MAX_REPORT_DAYS))
            .unwrap();
        assert_eq!(f.from.to_rfc3339(), "2026-11-06T00:00:00+00:00");
        assert_eq!(f.to.to_rfc3339(), "2026-12-06T00:00:00+00:00");
        let f = q(&[
            ("from", "2026-12-01"),
            ("to", "2026-12-01"),
            ("queue", "3"),
            ("direction", "out"),
        ])
        .filter(chrono_tz::UTC, today, Some(MAX_REPORT_DAYS))
        .unwrap();
        assert_eq!(
            (f.queue, f.direction),
            (Some(QueueId(3)), Some(Direction::Out))
        );
        for (bad, says) in [
            (q(&[("from", "1 Dec")]), "from date"),
            (q(&[("queue", "support")]), "queue must be an id"),
            (q(&[("direction", "sideways")]), "direction"),
            (
                q(&[("from", "2026-12-05"), ("to", "2026-12-01")]),
                "ends before",
            ),
        ] {
            let e = bad
                .filter(chrono_tz::UTC, today, Some(MAX_REPORT_DAYS))
                .unwrap_err();
            assert!(e.contains(says), "{e}");
        }
    }
}
