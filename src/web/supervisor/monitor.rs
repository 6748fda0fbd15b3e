//! Watching one conversation as it happens (`/supervisor/workitems/{id}`): its messages and
//! asides live over `/api/supervisor/workitems/{id}/events`, its tabs read-only, and the
//! supervisor's acts on it: whisper to the agent, transfer, take over. The agent sees who is
//! watching.

use std::convert::Infallible;

use askama::Template;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::Stream;
use serde::Deserialize;
use serde_json::{Value, json};

use super::KEEP_ALIVE;
use crate::domain::{Aside, AsideKind, EventKind, WorkitemId, clean_aside, whisper_text};
use crate::live::AgentPush;
use crate::metrics::StreamKind;
use crate::state::AppState;
use crate::store;
use crate::web::auth::SupervisorUser;
use crate::web::error::{ApiError, PageError};
use crate::web::nav::{self, Nav};
use crate::web::sse::{counted, event_name, session_stop, stream_until};
use crate::web::views::render;
use crate::web::workspace::{body, workitem_id};

#[derive(Template)]
#[template(path = "supervisor/monitor.html")]
pub struct MonitorPage {
    pub nav: Nav,
    pub id: WorkitemId,
    pub agent: String,
    pub queue: String,
    pub open: bool,
}

#[tracing::instrument(skip_all, fields(workitem = %id))]
pub async fn monitor_get(
    State(state): State<AppState>,
    me: SupervisorUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: WorkitemId = id.parse().map_err(|_| PageError {
        status: StatusCode::BAD_REQUEST,
        message: "Not a workitem id.".into(),
    })?;
    let found = state
        .store
        .read(move |txn| {
            let Some(w) = store::workitem(txn, id)? else {
                return Ok(None);
            };
            let customer = store::contact(txn, w.contact)?
                .map(|c| c.display_name())
                .unwrap_or_else(|| w.customer.to_string());
            let agent = match w.agent {
                Some(a) => store::user(txn, a)?.map(|u| u.display_name),
                None => None,
            };
            let queue = store::queue(txn, w.queue)?.map(|q| q.name);
            Ok(Some((w, customer, agent, queue)))
        })
        .await?;
    let Some((w, customer, agent, queue)) = found else {
        return Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: "There is no such workitem.".into(),
        });
    };
    Ok(render(&MonitorPage {
        nav: Nav::new(&me, nav::SUPERVISOR, format!("Monitoring {customer}")),
        id,
        agent: agent.unwrap_or_else(|| "nobody yet".into()),
        queue: queue.unwrap_or_default(),
        open: w.state.is_open(),
    }))
}

/// The monitor's live stream: the workitem's messages, delivery statuses, asides, and its
/// end or move. While it is open the workitem's agent is told who is watching.
#[tracing::instrument(skip_all, fields(workitem = %id))]
pub async fn monitor_events_get(
    State(state): State<AppState>,
    me: SupervisorUser,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let id = workitem_id(&id)?;
    let stop = session_stop(&state, &me).await?;
    let mut sub = state
        .hub
        .subscribe_watcher(id, me.user.display_name.clone());
    let on_end = state.clone();
    sub.on_drop(move || {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(tell_agent_who_watches(on_end, id));
        }
    });
    tell_agent_who_watches(state.clone(), id).await;
    let open = state.metrics.stream_opened(StreamKind::Monitor);
    let stream = counted(stream_until(None, sub, event_name, stop), open);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// Tells the workitem's agent who is watching it now.
async fn tell_agent_who_watches(state: AppState, id: WorkitemId) {
    let agent = state
        .store
        .read(move |txn| Ok(store::workitem(txn, id)?.and_then(|w| w.agent)))
        .await;
    if let Ok(Some(agent)) = agent {
        let by = state.hub.watching(id);
        state
            .hub
            .push_agent(agent, AgentPush::Watched { workitem: id, by });
    }
}

#[derive(Deserialize)]
pub struct WhisperRequest {
    text: String,
}

/// A private line to the workitem's agent: kept in its events, shown in their dialog and on
/// every monitor of it, never sent to the customer.
#[tracing::instrument(skip_all, fields(workitem = %id))]
pub async fn whisper_post(
    State(state): State<AppState>,
    me: SupervisorUser,
    Path(id): Path<String>,
    req: Result<Json<WhisperRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = workitem_id(&id)?;
    let text = clean_aside(Some(&body(req)?.text))
        .map_err(ApiError::bad_request)?
        .ok_or_else(|| ApiError::bad_request("Write something to whisper."))?;
    let w = state
        .store
        .read(move |txn| store::workitem(txn, id))
        .await?
        .ok_or_else(|| ApiError::not_found("No such workitem."))?;
    if !w.state.is_open() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "This conversation has ended; nobody would read the whisper.",
        ));
    }
    let at = state.clock.now();
    let kind = EventKind::Whisper {
        by: me.user.id,
        text: text.clone(),
    };
    state
        .store
        .submit_route_step(id, at, kind)?
        .await
        .map_err(|_| ApiError::internal("the store closed"))??;
    let aside = Aside {
        at,
        kind: AsideKind::Whisper,
        text: whisper_text(&me.user.display_name, &text),
    };
    let push = AgentPush::Aside {
        workitem: id,
        aside: aside.clone(),
    };
    match w.agent {
        Some(agent) => state.hub.push_agent(agent, push),
        None => state.hub.push_watchers(id, push),
    }
    Ok(Json(json!({ "aside": aside })))
}

/// The supervisor becomes the workitem's agent; the previous agent is told.
#[tracing::instrument(skip_all, fields(workitem = %id))]
pub async fn take_over_post(
    State(state): State<AppState>,
    me: SupervisorUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = workitem_id(&id)?;
    state
        .acd
        .take_over(id, me.user.id, me.user.display_name.clone())
        .await?;
    Ok(Json(json!({ "ok": true })))
}
