//! The agent workspace: the page, and the JSON calls its script makes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::auth::AgentUser;
use super::error::{ApiError, PageError};
use super::nav::{self, Nav};
use super::views::{WorkspaceView, render};
use crate::acd::Presence;
use crate::domain::{
    Activity, Aside, Message, Permission, Role, Workitem, WorkitemId, WorkitemState, WrapUp,
};
use crate::live::AgentPush;
use crate::sms::outbound;
use crate::state::AppState;
use crate::store;

/// A JSON request body, or 400 saying what is wrong with it.
pub fn body<T>(json: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    json.map(|Json(v)| v)
        .map_err(|e| ApiError::bad_request(format!("Invalid request: {}", e.body_text())))
}

pub fn workitem_id(raw: &str) -> Result<WorkitemId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::bad_request(format!("\"{raw}\" is not a workitem id")))
}

#[tracing::instrument(skip_all, fields(agent = %user.user.id))]
pub async fn workspace_get(
    State(state): State<AppState>,
    user: AgentUser,
) -> Result<Response, PageError> {
    let away = state.store.read(store::away_reasons).await?;
    Ok(render(&WorkspaceView {
        nav: Nav::new(&user, nav::WORKSPACE, "Workspace"),
        csrf: user.csrf().to_owned(),
        user: user.0.user,
        away,
    }))
}

#[tracing::instrument(skip_all)]
pub async fn me_get(
    State(state): State<AppState>,
    user: AgentUser,
) -> Result<Json<Value>, ApiError> {
    let u = &user.user;
    let id = u.id;
    let prefs = state
        .store
        .read(move |txn| store::user_prefs(txn, id))
        .await?;
    Ok(Json(json!({
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "csrf": user.csrf(),
        "sound": !prefs.mute_notifications,
        "notify": prefs.notify_offers,
        "may_send_outbound": user.may(Permission::OutboundSend),
    })))
}

#[derive(Deserialize)]
pub struct PresenceRequest {
    presence: Presence,
    #[serde(default)]
    reason: Option<String>,
}

#[tracing::instrument(skip_all, fields(agent = %user.user.id))]
pub async fn presence_post(
    State(state): State<AppState>,
    user: AgentUser,
    req: Result<Json<PresenceRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let req = body(req)?;
    let reason = match req.presence {
        Presence::Away => away_reason(&state, req.reason).await?,
        _ => None,
    };
    let view = state
        .acd
        .set_presence(user.user.id, req.presence, reason)
        .await?;
    Ok(Json(json!({ "view": view })))
}

/// The reason to record for someone going Away, checked against the admin's away reasons
/// (agents and supervisors alike): 422 naming `reason` when it is not allowed.
pub async fn away_reason(
    state: &AppState,
    typed: Option<String>,
) -> Result<Option<String>, ApiError> {
    let reasons = state.store.read(store::away_reasons).await?;
    reasons
        .check(typed.as_deref())
        .map_err(|m| ApiError::invalid_field("reason", m))
}

#[derive(Serialize)]
struct WorkitemDetail {
    workitem: Workitem,
    customer_name: String,
    queue_name: String,
    /// The codes its agent picks from when ending it, and whether one is required.
    wrap_up: WrapUp,
    messages: Vec<Message>,
    /// The customer's consent (`opted_out`, and a `warning` to show when they did).
    consent: Value,
    /// Lines only the people handling it see: transfers, take-overs, whispers.
    asides: Vec<Aside>,
    /// The supervisors monitoring it now.
    watched_by: Vec<String>,
}

/// A workitem with its messages, for the agent it is offered to or owned by (supervisors and
/// admins may read any).
#[tracing::instrument(skip_all, fields(agent = %user.user.id, workitem = %id))]
pub async fn workitem_get(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = workitem_id(&id)?;
    let detail = state
        .store
        .read(move |txn| {
            let Some(workitem) = store::workitem(txn, id)? else {
                return Ok(None);
            };
            let customer_name = store::contact(txn, workitem.contact)?
                .map(|c| c.display_name())
                .unwrap_or_else(|| workitem.customer.to_string());
            let (queue_name, wrap_up) = store::queue(txn, workitem.queue)?
                .map(|q| (q.name, q.wrap_up))
                .unwrap_or_default();
            let messages = store::messages_of(txn, id)?;
            let consent = store::consent_of(txn, &workitem.customer)?;
            let consent = super::outbound::consent_json(&workitem.customer, consent.as_ref());
            let asides = super::handover::asides_of(txn, id)?;
            Ok(Some(WorkitemDetail {
                workitem,
                customer_name,
                queue_name,
                wrap_up,
                messages,
                consent,
                asides,
                watched_by: Vec::new(),
            }))
        })
        .await?
        .ok_or_else(|| ApiError::not_found("No such workitem."))?;
    let mine = detail.workitem.agent == Some(user.user.id);
    if !mine && !user.user.role.at_least(Role::Supervisor) {
        return Err(ApiError::not_found("No such workitem."));
    }
    let mut detail = detail;
    detail.watched_by = state.hub.watching(id);
    Ok(Json(json!(detail)))
}

/// How each of the agent's active workitems stands (`Activity`: the customer's latest
/// message, our latest, how many the customer sent), by workitem id: the list orders itself,
/// shows the customer's wait and counts unread messages from it, after every (re)connect.
#[tracing::instrument(skip_all, fields(agent = %user.user.id))]
pub async fn activity_get(
    State(state): State<AppState>,
    user: AgentUser,
) -> Result<Json<Value>, ApiError> {
    let active = state.acd.snapshot(user.user.id).await?.view.active;
    let activity = state
        .store
        .read(move |txn| {
            let mut out = serde_json::Map::new();
            for id in active {
                let activity = Activity::of(&store::messages_of(txn, id)?);
                out.insert(id.to_string(), json!(activity));
            }
            Ok(out)
        })
        .await?;
    Ok(Json(json!({ "activity": activity })))
}

#[tracing::instrument(skip_all, fields(agent = %user.user.id, workitem = %id))]
pub async fn accept_post(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let card = state.acd.accept(user.user.id, workitem_id(&id)?).await?;
    Ok(Json(json!({ "workitem": card })))
}

#[tracing::instrument(skip_all, fields(agent = %user.user.id, workitem = %id))]
pub async fn reject_post(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.acd.reject(user.user.id, workitem_id(&id)?).await?;
    Ok(Json(json!({ "ok": true })))
}

/// The optional body of a termination.
#[derive(Default, Deserialize)]
pub struct TerminateRequest {
    #[serde(default)]
    wrap_up: Option<String>,
}

/// Ends the agent's workitem. When its queue has wrap-up codes the body names one
/// (`{"wrap_up": "Sale"}`); a code outside the list, or none where one is required, is 422
/// naming `wrap_up`. Without codes the body may be empty.
#[tracing::instrument(skip_all, fields(agent = %user.user.id, workitem = %id))]
pub async fn terminate_post(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
    raw: Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = workitem_id(&id)?;
    let req: TerminateRequest = if raw.iter().all(u8::is_ascii_whitespace) {
        TerminateRequest::default()
    } else {
        serde_json::from_slice(&raw)
            .map_err(|e| ApiError::bad_request(format!("Invalid request: {e}")))?
    };
    let found = state
        .store
        .read(move |txn| {
            let Some(w) = store::workitem(txn, id)? else {
                return Ok(None);
            };
            let wrap_up = store::queue(txn, w.queue)?.map(|q| q.wrap_up);
            Ok(Some((w, wrap_up.unwrap_or_default())))
        })
        .await?;
    // Only the agent's own active workitem is checked: anyone else is refused by the ACD,
    // without learning the queue's codes.
    let wrap_up = match found {
        Some((w, codes)) if w.agent == Some(user.user.id) && w.state == WorkitemState::Active => {
            codes
                .check(req.wrap_up.as_deref())
                .map_err(|e| ApiError::invalid_field("wrap_up", e.to_string()))?
        }
        _ => None,
    };
    state.acd.terminate(user.user.id, id, wrap_up).await?;
    Ok(Json(json!({ "ok": true })))
}

#[derive(Deserialize)]
pub struct MessageRequest {
    body: String,
}

/// Sends the agent's reply: stored and queued before this answers; the outbox delivers it.
#[tracing::instrument(skip_all, fields(agent = %user.user.id, workitem = %id))]
pub async fn message_post(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
    req: Result<Json<MessageRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = workitem_id(&id)?;
    let req = body(req)?;
    let message = outbound::send_reply(
        &state.store,
        &state.outbox,
        &state.clock,
        user.user.id,
        id,
        &req.body,
    )
    .await?;
    // The agent's other tabs show it too.
    state.hub.push_agent(
        user.user.id,
        AgentPush::Message {
            message: message.clone(),
        },
    );
    Ok(Json(json!({ "message": message })))
}
