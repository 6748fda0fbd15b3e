//! Moving a conversation to someone else: `POST /api/workitems/{id}/transfer` (an agent
//! their own active workitem; a supervisor any), and the people and queues it can go to.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::auth::{AgentUser, SessionInfo};
use super::error::ApiError;
use super::workspace::{body, workitem_id};
use crate::acd::{Presence, Transfer, TransferTarget};
use std::collections::HashMap;

use redb::ReadTransaction;

use crate::domain::{Aside, EventKind, QueueId, Role, UserId, WorkitemId, clean_aside};
use crate::state::AppState;
use crate::store;
use crate::store::StoreError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    #[serde(default)]
    queue: Option<QueueId>,
    #[serde(default)]
    agent: Option<UserId>,
    #[serde(default)]
    note: Option<String>,
}

/// Moves an active workitem to a queue (`{"queue": id}`) or a named agent (`{"agent": id,
/// "note": "..."}`); answers once the move is durable. The named agent gets a normal offer;
/// if they reject it or let it lapse, it waits in its queue.
#[tracing::instrument(skip_all, fields(by = %user.user.id, workitem = %id))]
pub async fn transfer_post(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
    req: Result<Json<TransferRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = workitem_id(&id)?;
    let holder = state
        .store
        .read(move |txn| Ok(store::workitem(txn, id)?.map(|w| w.agent)))
        .await?;
    match holder {
        Some(agent) if agent == Some(user.user.id) || owner_check(&user).is_none() => {}
        _ => return Err(ApiError::not_found("No such workitem.")),
    }
    let req = body(req)?;
    let note = clean_aside(req.note.as_deref()).map_err(ApiError::bad_request)?;
    let (target, target_name) = match (req.queue, req.agent) {
        (Some(q), None) => (TransferTarget::Queue(q), queue_name(&state, q).await?),
        (None, Some(a)) => (TransferTarget::Agent(a), agent_name(&state, a).await?),
        _ => {
            return Err(ApiError::bad_request(
                "Give either \"queue\" or \"agent\" to transfer to, not both.",
            ));
        }
    };
    state
        .acd
        .transfer(
            id,
            owner_check(&user),
            Transfer {
                by: user.user.id,
                by_name: user.user.display_name.clone(),
                target,
                target_name: target_name.clone(),
                note,
            },
        )
        .await?;
    Ok(Json(json!({ "ok": true, "to": target_name })))
}

/// An agent may move only what they hold; a supervisor anything active.
pub fn owner_check(user: &SessionInfo) -> Option<UserId> {
    (!user.user.role.at_least(Role::Supervisor)).then_some(user.user.id)
}

async fn queue_name(state: &AppState, id: QueueId) -> Result<String, ApiError> {
    state
        .store
        .read(move |txn| store::queue(txn, id))
        .await?
        .map(|q| q.name)
        .ok_or_else(|| ApiError::not_found(format!("There is no queue {id}.")))
}

async fn agent_name(state: &AppState, id: UserId) -> Result<String, ApiError> {
    state
        .store
        .read(move |txn| store::user(txn, id))
        .await?
        .filter(|u| !u.disabled)
        .map(|u| u.display_name)
        .ok_or_else(|| ApiError::not_found(format!("There is no agent {id}.")))
}

#[derive(Serialize)]
struct TargetAgent {
    id: UserId,
    name: String,
    presence: Presence,
    /// Whether a transfer to them would be offered now (Available, workspace open, room).
    can_take: bool,
}

/// Where a conversation can go: every queue, and every other enabled user with whether they
/// could take an offer now.
#[tracing::instrument(skip_all)]
pub async fn targets_get(
    State(state): State<AppState>,
    user: AgentUser,
) -> Result<Json<Value>, ApiError> {
    let floor = state.acd.floor().await?;
    let (queues, users) = state
        .store
        .read(|txn| Ok((store::all_queues(txn)?, store::all_users(txn)?)))
        .await?;
    let agents: Vec<TargetAgent> = users
        .into_iter()
        .filter(|u| !u.disabled && u.id != user.user.id)
        .map(|u| {
            let seen = floor.agents.iter().find(|a| a.id == u.id);
            TargetAgent {
                id: u.id,
                name: u.display_name,
                presence: seen.map_or(Presence::Offline, |a| a.presence),
                can_take: seen.is_some_and(|a| {
                    a.presence == Presence::Available
                        && a.connected
                        && (a.offers + a.active.len()) < a.capacity as usize
                }),
            }
        })
        .collect();
    let queues: Vec<Value> = queues
        .into_iter()
        .map(|q| json!({ "id": q.id, "name": q.name }))
        .collect();
    Ok(Json(json!({ "queues": queues, "agents": agents })))
}

/// The asides of a workitem (transfers, take-overs, whispers) in order, with names filled in.
pub fn asides_of(txn: &ReadTransaction, id: WorkitemId) -> Result<Vec<Aside>, StoreError> {
    let events = store::events_of(txn, id)?;
    let mut users: HashMap<UserId, String> = HashMap::new();
    let mut queues: HashMap<QueueId, String> = HashMap::new();
    let mut asides = Vec::new();
    for e in &events {
        if !matches!(
            e.kind,
            EventKind::Transferred { .. } | EventKind::TakenOver { .. } | EventKind::Whisper { .. }
        ) {
            continue;
        }
        if users.is_empty() {
            users = store::all_users(txn)?
                .into_iter()
                .map(|u| (u.id, u.display_name))
                .collect();
            queues = store::all_queues(txn)?
                .into_iter()
                .map(|q| (q.id, q.name))
                .collect();
        }
        let user = |u: UserId| {
            users
                .get(&u)
                .cloned()
                .unwrap_or_else(|| format!("user {u}"))
        };
        let queue = |q: QueueId| queues.get(&q).cloned().unwrap_or_else(|| format!("{q}"));
        asides.extend(Aside::of(e.at, &e.kind, user, queue));
    }
    Ok(asides)
}
