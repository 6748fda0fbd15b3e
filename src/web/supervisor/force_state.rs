//! A supervisor sets an agent Away (with a reason) or Offline: their offers go to others at
//! once, their workspace shows the new state, and the wallboard follows.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::acd::Presence;
use crate::domain::UserId;
use crate::state::AppState;
use crate::store;
use crate::web::auth::SupervisorUser;
use crate::web::error::ApiError;
use crate::web::workspace::{away_reason, body};

#[derive(Deserialize)]
pub struct ForceRequest {
    presence: Presence,
    #[serde(default)]
    reason: Option<String>,
}

#[tracing::instrument(skip_all, fields(agent = %id))]
pub async fn force_state_post(
    State(state): State<AppState>,
    _me: SupervisorUser,
    Path(id): Path<u64>,
    req: Result<Json<ForceRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let req = body(req)?;
    if req.presence == Presence::Available {
        return Err(ApiError::bad_request(
            "A supervisor can set an agent Away or Offline; only the agent makes themselves Available.",
        ));
    }
    let reason = match req.presence {
        Presence::Away => away_reason(&state, req.reason).await?,
        _ => None,
    };
    let agent = UserId(id);
    let known = state
        .store
        .read(move |txn| store::user(txn, agent))
        .await?
        .is_some_and(|u| !u.disabled);
    if !known {
        return Err(ApiError::not_found(format!("There is no agent {id}.")));
    }
    let view = state.acd.set_presence(agent, req.presence, reason).await?;
    Ok(Json(json!({ "view": view })))
}
