//! The floor joined with names from the store: as JSON for the API, and as rows for the
//! wallboard (`templates/supervisor/floor.html`, drawn on the page and for each live update).

use std::collections::{BTreeMap, HashMap, HashSet};

use askama::Template;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::acd::{AcdCallError, Floor, FloorAgent, FloorQueue, Presence};
use crate::domain::stats::Tally;
use crate::domain::{Activity, Queue, QueueId, User, UserId, WorkitemId};
use crate::state::AppState;
use crate::store;
use crate::web::tabs::human_duration;

use super::today::{self, QueueToday};
use crate::web::charts::VolumeChart;

/// What the floor needs from the store: names, who is an agent, and since when each active
/// workitem's customer has been waiting for an answer.
struct Directory {
    users: Vec<User>,
    /// Users assigned to at least one queue.
    assigned: HashSet<UserId>,
    queues: Vec<Queue>,
    waiting_since: HashMap<WorkitemId, DateTime<Utc>>,
    /// Today's statistics, per queue and per bucket.
    today: BTreeMap<QueueId, Tally>,
    today_buckets: BTreeMap<i64, Tally>,
}

async fn directory(state: &AppState, floor: &Floor) -> Result<Directory, AcdCallError> {
    let (from, to) = today::today_buckets(floor.at, state.config.site_zone());
    let active: Vec<WorkitemId> = floor
        .agents
        .iter()
        .flat_map(|a| a.active.iter().map(|w| w.id))
        .collect();
    Ok(state
        .store
        .read(move |txn| {
            let assigned = store::all_agent_settings(txn)?
                .into_iter()
                .filter(|(_, s)| !s.queues.is_empty())
                .map(|(id, _)| id)
                .collect();
            let mut waiting_since = HashMap::new();
            for id in active {
                if let Some(at) = Activity::of(&store::messages_of(txn, id)?).waiting_since() {
                    waiting_since.insert(id, at);
                }
            }
            let rows = store::tallies(txn, from, to, store::TallyFilter::default())?;
            Ok(Directory {
                today: store::sum_per_queue(&rows),
                today_buckets: store::sum_per_bucket(&rows),
                users: store::all_users(txn)?,
                assigned,
                queues: store::all_queues(txn)?,
                waiting_since,
            })
        })
        .await?)
}

#[derive(Serialize)]
pub struct FloorJson {
    pub at: DateTime<Utc>,
    /// Where today began: the last midnight in `site_time_zone`.
    pub today_from: DateTime<Utc>,
    pub agents: Vec<AgentJson>,
    pub queues: Vec<QueueJson>,
    /// Today's statistics per 15 minutes (all queues), for the chart.
    #[serde(skip)]
    pub today_buckets: BTreeMap<i64, Tally>,
    #[serde(skip)]
    pub zone: chrono_tz::Tz,
}

#[derive(Serialize)]
pub struct AgentJson {
    pub id: UserId,
    pub username: String,
    pub name: String,
    #[serde(flatten)]
    pub floor: FloorAgent,
    /// For each active workitem (by id, as in `active`): since when its customer has been
    /// waiting for an answer, and whether that is past the queue's service level.
    pub waiting: Vec<Waiting>,
    /// Offline (or disabled) with active workitems: nobody is answering those customers.
    pub stranded: bool,
}

#[derive(Serialize)]
pub struct Waiting {
    pub workitem: WorkitemId,
    pub since: DateTime<Utc>,
    pub past_sla: bool,
}

#[derive(Serialize)]
pub struct QueueJson {
    pub name: String,
    pub sla_secs: u64,
    #[serde(flatten)]
    pub line: FloorQueue,
    /// Of the workitems created today (see `today.rs`).
    pub today: QueueToday,
}

impl FloorJson {
    /// Every enabled user who is assigned to a queue or has work, and every queue.
    pub async fn load(state: &AppState) -> Result<FloorJson, AcdCallError> {
        let floor = state.acd.floor().await?;
        let dir = directory(state, &floor).await?;
        Ok(join(floor, dir, state.config.site_zone()))
    }
}

fn join(floor: Floor, dir: Directory, zone: chrono_tz::Tz) -> FloorJson {
    let sla: HashMap<QueueId, i64> = dir
        .queues
        .iter()
        .map(|q| (q.id, q.sla_secs as i64))
        .collect();
    let now = floor.at;
    let mut known: HashMap<UserId, FloorAgent> =
        floor.agents.into_iter().map(|a| (a.id, a)).collect();
    let mut agents: Vec<AgentJson> = dir
        .users
        .into_iter()
        .filter_map(|u| {
            let seen = known.remove(&u.id);
            let busy = seen
                .as_ref()
                .is_some_and(|a| !a.active.is_empty() || a.presence != Presence::Offline);
            if !(busy || (!u.disabled && dir.assigned.contains(&u.id))) {
                return None;
            }
            let floor = seen.unwrap_or_else(|| FloorAgent {
                id: u.id,
                presence: Presence::Offline,
                away_reason: None,
                since: floor.at,
                connected: false,
                capacity: 0,
                offers: 0,
                active: Vec::new(),
            });
            let waiting = floor
                .active
                .iter()
                .filter_map(|w| {
                    let since = *dir.waiting_since.get(&w.id)?;
                    let limit = sla
                        .get(&w.queue)
                        .copied()
                        .unwrap_or(crate::domain::DEFAULT_SLA_SECS as i64);
                    Some(Waiting {
                        workitem: w.id,
                        since,
                        past_sla: (now - since).num_seconds() > limit,
                    })
                })
                .collect();
            Some(AgentJson {
                stranded: !floor.active.is_empty()
                    && (floor.presence == Presence::Offline || u.disabled),
                waiting,
                id: u.id,
                name: if u.display_name.is_empty() {
                    u.username.clone()
                } else {
                    u.display_name
                },
                username: u.username,
                floor,
            })
        })
        .collect();
    agents.sort_by_key(|a| a.name.to_lowercase());
    let mut lines: HashMap<QueueId, FloorQueue> =
        floor.queues.into_iter().map(|q| (q.id, q)).collect();
    let mut queues: Vec<QueueJson> = dir
        .queues
        .into_iter()
        .map(|q| QueueJson {
            today: today::per_queue(&dir.today, q.id),
            sla_secs: q.sla_secs,
            line: lines.remove(&q.id).unwrap_or(FloorQueue {
                id: q.id,
                waiting: 0,
                oldest_waiting: None,
                offers_out: 0,
                available_agents: 0,
            }),
            name: q.name,
        })
        .collect();
    queues.sort_by_key(|q| q.name.to_lowercase());
    FloorJson {
        today_from: crate::domain::stats::local_midnight(floor.at, zone),
        at: floor.at,
        agents,
        queues,
        today_buckets: dir.today_buckets,
        zone,
    }
}

/// The wallboard's two tables, drawn in one piece.
#[derive(Template)]
#[template(path = "supervisor/floor.html")]
pub struct FloorView {
    pub at: String,
    pub agents: Vec<AgentRow>,
    pub queues: Vec<QueueRow>,
    pub chart: VolumeChart,
}

pub struct AgentRow {
    pub id: UserId,
    pub name: String,
    /// "available", "away" or "offline", for the row's style.
    pub presence: &'static str,
    /// "Available", "Away: Lunch", "Offline".
    pub state: String,
    pub since: Since,
    pub workspace_open: bool,
    pub active: usize,
    pub capacity: u32,
    pub offers: usize,
    pub workitems: Vec<WorkitemRow>,
    pub stranded: bool,
}

pub struct WorkitemRow {
    pub id: WorkitemId,
    pub customer: String,
    pub queue: String,
    pub queue_id: QueueId,
    pub since: Since,
    /// Since when the customer has been waiting for an answer (none: answered).
    pub waiting: Option<Since>,
    pub past_sla: bool,
    /// The queue's service level, so the page can mark the wait once it passes it.
    pub sla_secs: u64,
}

pub struct QueueRow {
    pub id: QueueId,
    pub name: String,
    pub waiting: usize,
    pub longest_wait: Option<Since>,
    pub offers_out: usize,
    pub available_agents: usize,
    pub today: QueueToday,
    /// The median first response as shown (`30 s`).
    pub median_text: Option<String>,
}

/// A moment shown as the time passed since it, which the page keeps counting.
pub struct Since {
    pub iso: String,
    pub text: String,
}

impl Since {
    fn new(at: DateTime<Utc>, now: DateTime<Utc>) -> Since {
        Since {
            iso: at.to_rfc3339(),
            text: human_duration(now - at),
        }
    }
}

impl FloorView {
    pub async fn load(state: &AppState) -> Result<FloorView, AcdCallError> {
        Ok(FloorView::from(FloorJson::load(state).await?))
    }
}

impl From<FloorJson> for FloorView {
    fn from(f: FloorJson) -> FloorView {
        let now = f.at;
        let sla: HashMap<QueueId, u64> = f.queues.iter().map(|q| (q.line.id, q.sla_secs)).collect();
        FloorView {
            chart: today::chart(&f.today_buckets, now, f.zone),
            at: now.to_rfc3339(),
            agents: f
                .agents
                .into_iter()
                .map(|a| {
                    let waiting: HashMap<WorkitemId, Waiting> =
                        a.waiting.into_iter().map(|w| (w.workitem, w)).collect();
                    let fl = a.floor;
                    let (presence, state) = match fl.presence {
                        Presence::Available => ("available", "Available".to_owned()),
                        Presence::Away => (
                            "away",
                            match &fl.away_reason {
                                Some(r) if !r.is_empty() => format!("Away: {r}"),
                                _ => "Away".to_owned(),
                            },
                        ),
                        Presence::Offline => ("offline", "Offline".to_owned()),
                    };
                    AgentRow {
                        stranded: a.stranded,
                        id: a.id,
                        name: a.name,
                        presence,
                        state,
                        since: Since::new(fl.since, now),
                        workspace_open: fl.connected,
                        active: fl.active.len(),
                        capacity: fl.capacity,
                        offers: fl.offers,
                        workitems: fl
                            .active
                            .into_iter()
                            .map(|w| WorkitemRow {
                                waiting: waiting.get(&w.id).map(|x| Since::new(x.since, now)),
                                past_sla: waiting.get(&w.id).is_some_and(|x| x.past_sla),
                                sla_secs: sla
                                    .get(&w.queue)
                                    .copied()
                                    .unwrap_or(crate::domain::DEFAULT_SLA_SECS),
                                id: w.id,
                                customer: w.customer,
                                queue: w.queue_name,
                                queue_id: w.queue,
                                since: Since::new(w.created_at, now),
                            })
                            .collect(),
                    }
                })
                .collect(),
            queues: f
                .queues
                .into_iter()
                .map(|q| QueueRow {
                    id: q.line.id,
                    name: q.name,
                    waiting: q.line.waiting,
                    longest_wait: q.line.oldest_waiting.map(|at| Since::new(at, now)),
                    offers_out: q.line.offers_out,
                    available_agents: q.line.available_agents,
                    median_text: q.today.median_first_response_secs.map(today::secs_text),
                    today: q.today,
                })
                .collect(),
        }
    }
}
