//! `/reports`: per queue and per agent figures over a range of days, and charts per day and
//! per hour, read from the statistics aggregates (`store::tallies`) and, for agents' time in
//! each state, their recorded state changes; never by scanning conversations.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::ReportQuery;
use super::charts;
use crate::domain::stats::{Tally, bucket_of};
use crate::domain::{MAX_REPORT_DAYS, Presence, QueueId, ReportFilter, Role, UserId};
use crate::state::AppState;
use crate::store::{self, TallyFilter};
use crate::web::auth::SupervisorUser;
use crate::web::charts::VolumeChart;
use crate::web::error::PageError;
use crate::web::nav::{self, Nav};
use crate::web::supervisor::secs_text;
use crate::web::tabs::human_duration;
use crate::web::views::render;

/// One line of a figures table: a queue, an agent, or the total.
pub struct Figures {
    pub name: String,
    pub received: u32,
    pub outbound: u32,
    pub answered: u32,
    pub frt_median: String,
    pub frt_p90: String,
    pub handle_median: String,
    pub handle_p90: String,
    pub in_sla: String,
    pub transfers: u32,
    pub terminated: u32,
    pub unanswered: u32,
    pub wrap_ups: String,
}

fn secs(v: Option<u64>) -> String {
    v.map(secs_text).unwrap_or_else(|| "–".into())
}

impl Figures {
    fn of(name: String, t: &Tally) -> Figures {
        Figures {
            name,
            received: t.received,
            outbound: t.outbound,
            answered: t.answered,
            frt_median: secs(t.first_response.median()),
            frt_p90: secs(t.first_response.p90()),
            handle_median: secs(t.handle_time.median()),
            handle_p90: secs(t.handle_time.p90()),
            in_sla: t
                .in_sla_percent()
                .map(|p| format!("{p} %"))
                .unwrap_or_else(|| "–".into()),
            transfers: t.transfers,
            terminated: t.terminated,
            unanswered: t.terminated_unanswered,
            wrap_ups: t
                .wrap_up
                .iter()
                .map(|(code, n)| format!("{code} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// An agent's time in each state over the range.
pub struct StateTimes {
    pub name: String,
    pub available: String,
    /// "Lunch 45 min, Break 15 min".
    pub away: String,
    pub away_total: String,
    pub offline: String,
    /// Time holding at least one active workitem ÷ time Available ("–" with none Available).
    pub occupancy: String,
}

pub struct Report {
    pub range: String,
    pub queues: Vec<Figures>,
    pub total: Figures,
    pub agents: Vec<Figures>,
    pub states: Vec<StateTimes>,
    pub per_day: VolumeChart,
    pub per_hour: VolumeChart,
    /// Why the time in states does not follow the campaign or direction filter.
    pub states_note: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "reports/reports.html")]
pub struct ReportsPage {
    pub nav: Nav,
    pub q: ReportQuery,
    pub queues: Vec<(u64, String)>,
    pub agents: Vec<(u64, String)>,
    pub campaigns: Vec<(u64, String)>,
    pub error: Option<String>,
    pub report: Option<Report>,
    /// The filters as a query string, for the export links.
    pub export_query: String,
}

impl ReportsPage {
    fn chosen(value: &Option<String>, id: &u64) -> bool {
        value.as_deref().map(str::trim) == Some(id.to_string().as_str())
    }

    pub fn queue_chosen(&self, id: &u64) -> bool {
        Self::chosen(&self.q.queue, id)
    }

    pub fn agent_chosen(&self, id: &u64) -> bool {
        Self::chosen(&self.q.agent, id)
    }

    pub fn campaign_chosen(&self, id: &u64) -> bool {
        Self::chosen(&self.q.campaign, id)
    }

    pub fn direction_is(&self, d: &str) -> bool {
        self.q.direction.as_deref() == Some(d)
    }

    pub fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
}

#[tracing::instrument(skip_all)]
pub async fn reports_get(
    State(state): State<AppState>,
    me: SupervisorUser,
    Query(mut q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    let zone = super::site_zone(&state);
    let now = state.clock.now();
    let (queues, users, campaigns) = state
        .store
        .read(|txn| {
            Ok((
                store::all_queues(txn)?,
                store::all_users(txn)?,
                store::all_campaigns(txn)?,
            ))
        })
        .await?;
    let today = now.with_timezone(&zone).date_naive();
    let filter = q.filter(zone, today, Some(MAX_REPORT_DAYS));
    // The form shows the range the figures are for.
    if let Ok(f) = &filter {
        q.from = Some(f.from.with_timezone(&zone).format("%Y-%m-%d").to_string());
        let last = f.to - chrono::Duration::seconds(1);
        q.to = Some(last.with_timezone(&zone).format("%Y-%m-%d").to_string());
    }
    let export_query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            [
                ("from", &q.from),
                ("to", &q.to),
                ("queue", &q.queue),
                ("campaign", &q.campaign),
                ("agent", &q.agent),
                ("direction", &q.direction),
            ]
            .iter()
            .filter_map(|(k, v)| {
                v.as_deref()
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (*k, v))
            }),
        )
        .finish();
    let (report, error) = match filter {
        Ok(f) => (
            Some(report(&state, &f, zone, now, &queues, &users).await?),
            None,
        ),
        Err(e) => (None, Some(e)),
    };
    Ok(render(&ReportsPage {
        nav: Nav::new(&me, nav::REPORTS, "Reports"),
        q,
        queues: queues.iter().map(|x| (x.id.0, x.name.clone())).collect(),
        agents: users
            .iter()
            .filter(|u| u.role.at_least(Role::Agent))
            .map(|u| (u.id.0, u.display_name.clone()))
            .collect(),
        campaigns: campaigns.iter().map(|c| (c.id.0, c.name.clone())).collect(),
        error,
        report,
        export_query,
    }))
}

async fn report(
    state: &AppState,
    f: &ReportFilter,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
    queues: &[crate::domain::Queue],
    users: &[crate::domain::User],
) -> Result<Report, PageError> {
    let filter = TallyFilter {
        queue: f.queue,
        agent: f.agent.map(Some),
        campaign: f.campaign,
        direction: f.direction,
    };
    let (from, to) = (bucket_of(f.from), bucket_of(f.to));
    // Days that start on the hour (every zone with a whole-hour offset) are read from the
    // hourly sums: a quarter of the rows.
    let whole_hours = f.from.timestamp() % 3600 == 0 && f.to.timestamp() % 3600 == 0;
    let agents: Vec<UserId> = users
        .iter()
        .filter(|u| u.role.at_least(Role::Agent))
        .filter(|u| f.agent.is_none_or(|a| a == u.id))
        .map(|u| u.id)
        .collect();
    let (until, range_from) = (f.to.min(now), f.from);
    // The range is read and summed in two halves at once, one per core.
    let step = if whole_hours { 4 } else { 1 };
    let middle = from + ((to - from) / 2).div_euclid(step) * step;
    let half = |(a, b): (i64, i64)| {
        let (f, store) = (f.clone(), state.store.clone());
        async move {
            store
                .read(move |txn| {
                    let rows = if whole_hours {
                        store::hourly_tallies(txn, a, b, filter)?
                    } else {
                        store::tallies(txn, a, b, filter)?
                    };
                    Ok(Sums::of(&rows, &f, zone))
                })
                .await
        }
    };
    let logs = state.store.read(move |txn| {
        let mut logs = Vec::new();
        for a in agents {
            logs.push((a, store::presence_log(txn, a, range_from, until)?));
        }
        Ok(logs)
    });
    let (first, second, logs) = tokio::join!(half((from, middle)), half((middle, to)), logs);
    let Sums {
        per_queue,
        per_agent,
        columns,
    } = first?.merge(second?);
    let logs = logs?;
    let queue_name = |id| {
        queues
            .iter()
            .find(|q| q.id == id)
            .map(|q| q.name.clone())
            .unwrap_or_else(|| format!("queue {id}"))
    };
    let user_name = |id: UserId| {
        users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| format!("user {id}"))
    };
    let mut total = Tally::default();
    for t in per_queue.values() {
        total.merge(t);
    }
    let states = logs
        .iter()
        .map(|(a, log)| state_times(user_name(*a), log, f.from, until))
        .collect();
    let last = f.to - chrono::Duration::seconds(1);
    Ok(Report {
        range: format!(
            "{} to {} ({})",
            f.from.with_timezone(&zone).format("%Y-%m-%d"),
            last.with_timezone(&zone).format("%Y-%m-%d"),
            zone.name()
        ),
        queues: per_queue
            .iter()
            .map(|(q, t)| Figures::of(queue_name(*q), t))
            .collect(),
        total: Figures::of("All".into(), &total),
        agents: per_agent
            .iter()
            .map(|(a, t)| Figures::of(user_name(*a), t))
            .collect(),
        states,
        per_day: columns.per_day(),
        per_hour: columns.per_hour(),
        states_note: (f.campaign.is_some() || f.direction.is_some()).then_some(
            "An agent's state is not tied to a campaign or a direction: these times cover \
             all of their work in the range.",
        ),
    })
}

/// A range's tally rows added up: per queue, per agent, and the charts' columns.
struct Sums {
    per_queue: BTreeMap<QueueId, Tally>,
    per_agent: BTreeMap<UserId, Tally>,
    columns: charts::Columns,
}

impl Sums {
    /// One pass over the rows.
    fn of(rows: &[store::TallyRow], f: &ReportFilter, zone: chrono_tz::Tz) -> Sums {
        let mut sums = Sums {
            per_queue: BTreeMap::new(),
            per_agent: BTreeMap::new(),
            columns: charts::Columns::new(f, zone),
        };
        for r in rows {
            sums.per_queue.entry(r.queue).or_default().merge(&r.tally);
            if let Some(a) = r.agent {
                sums.per_agent.entry(a).or_default().merge(&r.tally);
            }
            sums.columns.add(r.bucket, &r.tally);
        }
        sums
    }

    fn merge(mut self, other: Sums) -> Sums {
        for (q, t) in &other.per_queue {
            self.per_queue.entry(*q).or_default().merge(t);
        }
        for (a, t) in &other.per_agent {
            self.per_agent.entry(*a).or_default().merge(t);
        }
        self.columns.merge(&other.columns);
        self
    }
}

/// Time in each state from an agent's recorded changes (the last one before the range
/// first); before any record they count as Offline.
fn state_times(
    name: String,
    log: &[crate::domain::PresenceChange],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StateTimes {
    let (mut available, mut offline, mut busy) = (0i64, 0i64, 0i64);
    let mut away: BTreeMap<String, i64> = BTreeMap::new();
    let mut current = (Presence::Offline, None::<String>, from, false);
    let mut add = |state: &(Presence, Option<String>, DateTime<Utc>, bool), end: DateTime<Utc>| {
        let secs = (end - state.2.max(from)).num_seconds().max(0);
        if state.3 {
            busy += secs;
        }
        match state.0 {
            Presence::Available => available += secs,
            Presence::Offline => offline += secs,
            Presence::Away => {
                *away
                    .entry(state.1.clone().unwrap_or_else(|| "no reason".into()))
                    .or_default() += secs
            }
        }
    };
    for c in log {
        if c.at > from {
            add(&current, c.at.min(to));
        }
        current = (c.presence, c.reason.clone(), c.at, c.busy);
    }
    add(&current, to);
    let text = |s: i64| human_duration(chrono::Duration::seconds(s));
    StateTimes {
        name,
        available: text(available),
        away: away
            .iter()
            .filter(|(_, s)| **s > 0)
            .map(|(r, s)| format!("{r} {}", text(*s)))
            .collect::<Vec<_>>()
            .join(", "),
        away_total: text(away.values().sum()),
        offline: text(offline),
        occupancy: if available > 0 {
            format!("{} %", (busy * 100 + available / 2) / available)
        } else {
            "–".into()
        },
    }
}
