//! The CSV exports (`/reports/workitems.csv`, `messages.csv`, `agents.csv`, `surveys.csv`),
//! each with the report filters as query parameters and a header row. They stream: each
//! chunk of rows is read in its own short transaction and sent before the next is read, so
//! memory stays flat however long the range, and writers are never held up.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use redb::ReadTransaction;

use super::ReportQuery;
use super::csv_rows::{self, Names};
use crate::domain::{ReportFilter, Role, User, Workitem, WorkitemId};
use crate::state::AppState;
use crate::store::{self, StoreError};
use crate::web::auth::SupervisorUser;
use crate::web::error::ApiError;

/// Rows read per transaction.
const CHUNK: usize = 2_000;

/// What each chunk reader gets: the filter and the names to show.
struct Export {
    filter: ReportFilter,
    names: Names,
}

type Step<C> =
    dyn Fn(&ReadTransaction, &Export, C) -> Result<(String, Option<C>), StoreError> + Send + Sync;

/// A CSV response: the header, then chunk after chunk from `first` until a step says it is
/// the last. A store failure midway ends the body early (the client sees a cut download).
fn csv_response<C: Send + 'static>(
    state: AppState,
    export: Export,
    file: &str,
    header: &'static str,
    first: Option<C>,
    step: Arc<Step<C>>,
) -> Response {
    let export = Arc::new(export);
    let chunks = stream::unfold(
        (state, Some(header), first),
        move |(state, header, cursor)| {
            let (export, step) = (export.clone(), step.clone());
            async move {
                if let Some(h) = header {
                    return Some((Ok(Bytes::from_static(h.as_bytes())), (state, None, cursor)));
                }
                let cursor = cursor?;
                let read = state
                    .store
                    .read(move |txn| step(txn, &export, cursor))
                    .await;
                match read {
                    Ok((text, next)) => Some((Ok(Bytes::from(text)), (state, None, next))),
                    Err(e) => {
                        tracing::error!(error = %e, "export stopped");
                        Some((
                            Err(std::io::Error::other(e.to_string())),
                            (state, None, None),
                        ))
                    }
                }
            }
        },
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        Body::from_stream(chunks),
    )
        .into_response()
}

async fn export(state: &AppState, q: &ReportQuery) -> Result<Export, ApiError> {
    let filter = q.export_filter(state)?;
    let zone = super::site_zone(state);
    let names = state
        .store
        .read(move |txn| {
            Ok(Names {
                zone,
                users: store::all_users(txn)?
                    .into_iter()
                    .map(|u| (u.id, u))
                    .collect(),
                queues: store::all_queues(txn)?
                    .into_iter()
                    .map(|q| (q.id, q.name))
                    .collect(),
                campaigns: store::all_campaigns(txn)?
                    .into_iter()
                    .map(|c| (c.id, c.name))
                    .collect(),
                surveys: store::all_surveys(txn)?
                    .into_iter()
                    .map(|s| (s.id, s))
                    .collect(),
            })
        })
        .await?;
    Ok(Export { filter, names })
}

fn file_name(kind: &str, f: &ReportFilter, zone: chrono_tz::Tz) -> String {
    let last = f.to - chrono::Duration::seconds(1);
    format!(
        "{kind}-{}-{}.csv",
        f.from.with_timezone(&zone).format("%Y%m%d"),
        last.with_timezone(&zone).format("%Y%m%d")
    )
}

/// Workitems started in the range, one row each.
#[tracing::instrument(skip_all)]
pub async fn workitems_csv_get(
    State(state): State<AppState>,
    _me: SupervisorUser,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let ex = export(&state, &q).await?;
    let from = ex.filter.from;
    let first = state
        .store
        .read(move |txn| store::first_workitem_from(txn, from))
        .await?;
    let file = file_name("workitems", &ex.filter, ex.names.zone);
    let step: Arc<Step<u64>> = Arc::new(|txn, ex, start| {
        let (rows, next) = store::workitems_chunk(txn, start, CHUNK, ex.filter.to)?;
        let mut text = String::new();
        for w in rows.iter().filter(|w| ex.filter.matches(w)) {
            let contact = store::contact(txn, w.contact)?
                .map(|c| c.display_name())
                .unwrap_or_default();
            text.push_str(&csv_rows::workitem_row(w, &contact, &ex.names));
        }
        Ok((text, next))
    });
    Ok(csv_response(
        state,
        ex,
        &file,
        csv_rows::WORKITEMS_HEADER,
        first,
        step,
    ))
}

/// Messages sent or received in the range, one row each, of the workitems the filters keep.
#[tracing::instrument(skip_all)]
pub async fn messages_csv_get(
    State(state): State<AppState>,
    _me: SupervisorUser,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let ex = export(&state, &q).await?;
    let from = ex.filter.from;
    let first = state
        .store
        .read(move |txn| store::first_message_from(txn, from))
        .await?;
    let file = file_name("messages", &ex.filter, ex.names.zone);
    let step: Arc<Step<u64>> = Arc::new(|txn, ex, start| {
        let (rows, next) = store::messages_chunk(txn, start, CHUNK, ex.filter.to)?;
        let mut workitems: HashMap<WorkitemId, Option<Workitem>> = HashMap::new();
        let mut text = String::new();
        for m in rows.iter().filter(|m| ex.filter.covers(m.at)) {
            // A chunk's messages come from few workitems: each is read once.
            let w = match workitems.entry(m.workitem) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(store::workitem(txn, m.workitem)?),
            };
            if let Some(w) = w.as_ref().filter(|w| ex.filter.matches_apart_from_time(w)) {
                text.push_str(&csv_rows::message_row(m, w, &ex.names));
            }
        }
        Ok((text, next))
    });
    Ok(csv_response(
        state,
        ex,
        &file,
        csv_rows::MESSAGES_HEADER,
        first,
        step,
    ))
}

/// Each agent's states in the range (Available, Away with the reason, Offline), one row per
/// stretch. The queue filter keeps the queue's agents and the agent filter one agent; the
/// campaign and direction filters do not apply to states.
#[tracing::instrument(skip_all)]
pub async fn agents_csv_get(
    State(state): State<AppState>,
    _me: SupervisorUser,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let ex = export(&state, &q).await?;
    let queue = ex.filter.queue;
    let settings = state.store.read(store::all_agent_settings).await?;
    let mut agents: Vec<User> = ex
        .names
        .users
        .values()
        .filter(|u| ex.filter.agent.is_none_or(|a| u.id == a))
        .filter(|u| {
            queue.is_none_or(|q| {
                settings
                    .iter()
                    .any(|(a, s)| *a == u.id && s.queues.contains(&q))
            })
        })
        .filter(|u| u.role.at_least(Role::Agent))
        .cloned()
        .collect();
    agents.sort_by_key(|u| u.id);
    let file = file_name("agents", &ex.filter, ex.names.zone);
    let now = state.clock.now();
    let step: Arc<Step<usize>> = Arc::new(move |txn, ex, i| {
        let Some(agent) = agents.get(i) else {
            return Ok((String::new(), None));
        };
        let to = ex.filter.to.min(now);
        let log = store::presence_log(txn, agent.id, ex.filter.from, to)?;
        let rows = csv_rows::agent_rows(agent, &log, ex.filter.from, to);
        Ok((rows, (i + 1 < agents.len()).then_some(i + 1)))
    });
    Ok(csv_response(
        state,
        ex,
        &file,
        csv_rows::AGENTS_HEADER,
        Some(0),
        step,
    ))
}

/// The survey answers of the workitems started in the range, one row per answer.
#[tracing::instrument(skip_all)]
pub async fn surveys_csv_get(
    State(state): State<AppState>,
    _me: SupervisorUser,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let ex = export(&state, &q).await?;
    let from = ex.filter.from;
    let first = state
        .store
        .read(move |txn| store::first_workitem_from(txn, from))
        .await?;
    let file = file_name("surveys", &ex.filter, ex.names.zone);
    let step: Arc<Step<u64>> = Arc::new(|txn, ex, start| {
        let (rows, next) = store::workitems_chunk(txn, start, CHUNK, ex.filter.to)?;
        let kept: BTreeMap<WorkitemId, &Workitem> = rows
            .iter()
            .filter(|w| ex.filter.matches(w))
            .map(|w| (w.id, w))
            .collect();
        let ids: Vec<WorkitemId> = kept.keys().copied().collect();
        let mut text = String::new();
        for (id, response) in store::survey_responses_of(txn, &ids)? {
            text.push_str(&csv_rows::survey_rows(kept[&id], &response, &ex.names));
        }
        Ok((text, next))
    });
    Ok(csv_response(
        state,
        ex,
        &file,
        csv_rows::SURVEYS_HEADER,
        first,
        step,
    ))
}
