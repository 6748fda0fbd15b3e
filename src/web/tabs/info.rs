//! The read-only tabs: Data (customer snapshot), Information (the workitem's facts and
//! timings) and Events (its routing steps with the time between them).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::{TabError, fragment, human_duration, workitem_for};
use crate::domain::{Aside, Contact, EventKind, QueueId, UserId, Workitem};
use crate::state::AppState;
use crate::store;
use crate::web::auth::AgentUser;

/// Custom fields shown on the Data tab; the Contact tab has them all.
const KEY_FIELDS: usize = 6;

/// A time for a template: machine-readable for the browser to localise, readable without it.
pub struct Stamp {
    pub iso: String,
    pub text: String,
}

impl Stamp {
    pub fn new(at: DateTime<Utc>) -> Stamp {
        Stamp {
            iso: at.to_rfc3339(),
            text: at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "tabs/data.html")]
pub struct DataTab {
    pub contact: Contact,
    pub key_fields: Vec<(String, String)>,
}

#[tracing::instrument(skip_all)]
pub async fn data_get(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
) -> Result<Response, TabError> {
    let (_, contact) = workitem_for(&state, &user, &id).await?;
    let key_fields = contact
        .custom_fields
        .iter()
        .take(KEY_FIELDS)
        .cloned()
        .collect();
    Ok(fragment(
        StatusCode::OK,
        &DataTab {
            contact,
            key_fields,
        },
    ))
}

#[derive(Template)]
#[template(path = "tabs/information.html")]
pub struct InformationTab {
    pub id: u64,
    pub priority: i32,
    pub queue: String,
    pub campaign: String,
    pub state: String,
    pub started: Stamp,
    pub accepted: Option<Stamp>,
    pub stopped: Option<Stamp>,
    /// From arrival to acceptance (or until now while waiting).
    pub wait: String,
    /// From acceptance to termination (or until now while active).
    pub handle: Option<String>,
    pub agent: String,
    /// The code its agent ended it with.
    pub wrap_up: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn information_get(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
) -> Result<Response, TabError> {
    let (w, _) = workitem_for(&state, &user, &id).await?;
    Ok(fragment(StatusCode::OK, &information(&state, &w).await?))
}

/// A workitem's facts and timings as the Information tab (and the transcript page) show them.
pub async fn information(
    state: &AppState,
    w: &Workitem,
) -> Result<InformationTab, store::StoreError> {
    let (queue, campaign, agent) = {
        let w = w.clone();
        state
            .store
            .read(move |txn| {
                let queue = store::queue(txn, w.queue)?.map(|q| q.name);
                let campaign = match w.campaign {
                    Some(c) => store::campaign(txn, c)?.map(|x| x.name),
                    None => None,
                };
                let agent = match w.agent {
                    Some(a) => store::user(txn, a)?.map(|u| u.display_name),
                    None => None,
                };
                Ok((queue, campaign, agent))
            })
            .await?
    };
    let now = state.clock.now();
    let wait = human_duration(w.accepted_at.unwrap_or(now) - w.created_at);
    let handle = w
        .accepted_at
        .map(|a| human_duration(w.terminated_at.unwrap_or(now) - a));
    Ok(InformationTab {
        id: w.id.0,
        priority: w.priority,
        queue: queue.unwrap_or_else(|| "—".into()),
        campaign: campaign.unwrap_or_else(|| "—".into()),
        state: format!("{:?}", w.state).to_lowercase(),
        started: Stamp::new(w.created_at),
        accepted: w.accepted_at.map(Stamp::new),
        stopped: w.terminated_at.map(Stamp::new),
        wait,
        handle,
        agent: agent.unwrap_or_else(|| "—".into()),
        wrap_up: w.wrap_up.clone(),
    })
}

/// One routing step as the Events tab lists it.
pub struct EventRow {
    pub at: Stamp,
    pub what: String,
    /// Time since the previous step.
    pub after: String,
}

#[derive(Template)]
#[template(path = "tabs/events.html")]
pub struct EventsTab {
    pub rows: Vec<EventRow>,
    pub total: String,
}

#[tracing::instrument(skip_all)]
pub async fn events_get(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
) -> Result<Response, TabError> {
    let (w, _) = workitem_for(&state, &user, &id).await?;
    let (events, names) = state
        .store
        .read(move |txn| {
            let names: HashMap<UserId, String> = store::all_users(txn)?
                .into_iter()
                .map(|u| (u.id, u.display_name))
                .collect();
            let queues: HashMap<QueueId, String> = store::all_queues(txn)?
                .into_iter()
                .map(|q| (q.id, q.name))
                .collect();
            Ok((store::events_of(txn, w.id)?, (names, queues)))
        })
        .await?;
    let (names, queues) = names;
    let queue_name = |q: QueueId| queues.get(&q).cloned().unwrap_or_else(|| format!("{q}"));
    let name = |a: &UserId| {
        names
            .get(a)
            .cloned()
            .unwrap_or_else(|| format!("agent {a}"))
    };
    let mut rows = Vec::new();
    let mut previous: Option<DateTime<Utc>> = None;
    for e in &events {
        let what = match &e.kind {
            EventKind::Queued { .. } => "Queued".to_owned(),
            EventKind::Offered { agent } => format!("Offered to {}", name(agent)),
            EventKind::Rejected { agent } => format!("Rejected by {}", name(agent)),
            EventKind::TimedOut { agent } => format!("Not answered in time by {}", name(agent)),
            EventKind::Withdrawn { agent, reason } => {
                format!("Withdrawn from {} ({reason})", name(agent))
            }
            EventKind::Accepted { agent } => format!("Accepted by {}", name(agent)),
            EventKind::MessageIn { .. } => "Customer message".to_owned(),
            EventKind::MessageOut { agent, .. } => match agent {
                Some(a) => format!("Reply by {}", name(a)),
                None => "Message sent".to_owned(),
            },
            EventKind::Terminated { agent, wrap_up } => {
                let by = match agent {
                    Some(a) => format!("Terminated by {}", name(a)),
                    None => "Closed automatically".to_owned(),
                };
                match wrap_up {
                    Some(code) => format!("{by} (wrap-up: {code})"),
                    None => by,
                }
            }
            EventKind::Started { agent } => format!("Outbound SMS by {}", name(agent)),
            EventKind::Campaign { .. } => "Sent by a predictive campaign".to_owned(),
            EventKind::Keyword {
                word,
                consent_changed,
            } => match (word.as_str(), consent_changed) {
                (_, false) => format!("Keyword {word}"),
                ("START" | "UNSTOP" | "YES", true) => format!("Keyword {word}: opted in"),
                (_, true) => format!("Keyword {word}: opted out"),
            },
            kind @ (EventKind::Transferred { .. }
            | EventKind::TakenOver { .. }
            | EventKind::Whisper { .. }) => Aside::of(e.at, kind, |u| name(&u), queue_name)
                .map(|a| a.text)
                .unwrap_or_default(),
        };
        let after = previous
            .map(|p| format!("+{}", human_duration(e.at - p)))
            .unwrap_or_default();
        previous = Some(e.at);
        rows.push(EventRow {
            at: Stamp::new(e.at),
            what,
            after,
        });
    }
    let total = match (events.first(), events.last()) {
        (Some(a), Some(b)) => human_duration(b.at - a.at),
        _ => String::new(),
    };
    Ok(fragment(StatusCode::OK, &EventsTab { rows, total }))
}
