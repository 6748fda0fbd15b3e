//! The response templates an agent may use in a workitem, filled for its customer.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::{Value, json};

use super::auth::AgentUser;
use super::error::ApiError;
use crate::domain::response_template::{Values, fill};
use crate::domain::{Permission, ResponseTemplateId, WorkitemId};
use crate::state::AppState;
use crate::store;

#[derive(Serialize)]
struct FilledTemplate {
    id: ResponseTemplateId,
    name: String,
    /// The text with the placeholders filled, ready for the reply box.
    text: String,
}

/// `GET /api/workitems/{id}/templates`: for the workitem's own agent only (the text is filled
/// with their name), by name.
#[tracing::instrument(skip_all, fields(agent = %user.user.id, workitem = %id))]
pub async fn workitem_templates_get(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(Permission::TemplatesUse)?;
    let id: WorkitemId = id
        .parse()
        .map_err(|_| ApiError::bad_request(format!("\"{id}\" is not a workitem id")))?;
    let agent = user.user.clone();
    let filled = state
        .store
        .read(move |txn| {
            let Some(workitem) = store::workitem(txn, id)? else {
                return Ok(None);
            };
            if workitem.agent != Some(agent.id) {
                return Ok(None);
            }
            let contact = store::contact(txn, workitem.contact)?;
            let campaign = match workitem.campaign {
                Some(c) => store::campaign(txn, c)?.map(|x| x.name),
                None => None,
            };
            let values = Values::new(contact.as_ref(), &agent.display_name, campaign);
            // `all_response_templates` is sorted by name already.
            let templates: Vec<FilledTemplate> = store::all_response_templates(txn)?
                .into_iter()
                .filter(|t| t.usable_by(agent.id, workitem.campaign))
                .map(|t| FilledTemplate {
                    id: t.id,
                    text: fill(&t.body, &values),
                    name: t.name,
                })
                .collect();
            Ok(Some(templates))
        })
        .await?
        .ok_or_else(|| ApiError::not_found("No such workitem."))?;
    Ok(Json(json!({ "templates": filled })))
}
