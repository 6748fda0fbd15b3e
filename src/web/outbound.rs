//! Outbound SMS from the workspace: the dialog's choices (campaigns, templates, contacts as
//! you type, the recipient's consent) and the send itself.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::AgentUser;
use super::error::ApiError;
use crate::domain::response_template::{Values, fill};
use crate::domain::{CampaignId, E164, Permission};
use crate::live::ConsentCard;
use crate::sms::compose::{Compose, ComposeError, usable_campaigns};
use crate::state::AppState;
use crate::store;

/// Contacts offered while typing the recipient.
const LOOKUP_LIMIT: usize = 8;

impl From<ComposeError> for ApiError {
    fn from(e: ComposeError) -> ApiError {
        let status = match &e {
            ComposeError::Store(inner) => return ApiError::internal(inner),
            ComposeError::Empty
            | ComposeError::TooLong(_)
            | ComposeError::NoCampaign
            | ComposeError::UnknownCampaign => StatusCode::UNPROCESSABLE_ENTITY,
            ComposeError::NotAllowed(_) => StatusCode::FORBIDDEN,
            ComposeError::NoNumber(_)
            | ComposeError::OptedOut(_)
            | ComposeError::QuietHours { .. }
            | ComposeError::Busy(_) => StatusCode::CONFLICT,
        };
        ApiError::new(status, capitalised(&e.to_string()))
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => {
            // A message that is already a sentence (the opt-out warning) keeps its stop.
            let stop = if s.ends_with('.') { "" } else { "." };
            format!("{}{}{stop}", first.to_uppercase(), chars.as_str())
        }
        None => String::new(),
    }
}

/// `GET /api/outbound/options`: the campaigns this agent may send from and their default.
#[tracing::instrument(skip_all, fields(agent = %user.user.id))]
pub async fn options_get(
    State(state): State<AppState>,
    user: AgentUser,
) -> Result<Json<Value>, ApiError> {
    let me = user.user.id;
    let (campaigns, prefs) = state
        .store
        .read(move |txn| {
            let usable =
                usable_campaigns(store::all_campaigns(txn)?, &store::agent_settings(txn, me)?);
            Ok((usable, store::user_prefs(txn, me)?))
        })
        .await?;
    let default = prefs
        .default_sms_campaign
        .filter(|d| campaigns.iter().any(|c| c.id == *d));
    let list: Vec<Value> = campaigns
        .iter()
        .map(|c| json!({"id": c.id, "name": c.name, "number": c.numbers.first()}))
        .collect();
    Ok(Json(json!({
        "may_send": user.may(Permission::OutboundSend),
        "campaigns": list,
        "default_campaign": default,
    })))
}

#[derive(Deserialize)]
pub struct TemplatesQuery {
    #[serde(default)]
    campaign: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// `GET /api/outbound/templates?campaign=&to=`: the chosen campaign's templates (all the
/// agent's templates when none is chosen), filled for the recipient when they are a contact.
#[tracing::instrument(skip_all, fields(agent = %user.user.id))]
pub async fn templates_get(
    State(state): State<AppState>,
    user: AgentUser,
    Query(q): Query<TemplatesQuery>,
) -> Result<Json<Value>, ApiError> {
    user.require(Permission::TemplatesUse)?;
    let campaign = parse_campaign(q.campaign.as_deref())?;
    let to = q.to.as_deref().and_then(|t| E164::parse(t).ok());
    let agent = user.user.clone();
    let templates = state
        .store
        .read(move |txn| {
            let contact = match &to {
                Some(phone) => store::contact_by_phone(txn, phone)?,
                None => None,
            };
            let campaign_name = match campaign {
                Some(id) => store::campaign(txn, id)?.map(|c| c.name),
                None => None,
            };
            let values = Values::new(contact.as_ref(), &agent.display_name, campaign_name);
            Ok(store::all_response_templates(txn)?
                .into_iter()
                .filter(|t| match campaign {
                    Some(_) => t.usable_by(agent.id, campaign),
                    None => t.usable_by_agent(agent.id),
                })
                .map(|t| json!({"id": t.id, "name": t.name, "text": fill(&t.body, &values)}))
                .collect::<Vec<Value>>())
        })
        .await?;
    Ok(Json(json!({ "templates": templates })))
}

fn parse_campaign(raw: Option<&str>) -> Result<Option<CampaignId>, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<u64>()
            .map(|n| Some(CampaignId(n)))
            .map_err(|_| ApiError::bad_request(format!("\"{s}\" is not a campaign id."))),
    }
}

#[derive(Deserialize)]
pub struct LookupQuery {
    #[serde(default)]
    q: String,
}

/// `GET /api/outbound/contacts?q=`: contacts whose name or number matches what is typed.
#[tracing::instrument(skip_all, fields(agent = %user.user.id))]
pub async fn contacts_get(
    State(state): State<AppState>,
    user: AgentUser,
    Query(q): Query<LookupQuery>,
) -> Result<Json<Value>, ApiError> {
    let query = q.q.trim().to_owned();
    if query.is_empty() {
        return Ok(Json(json!({ "contacts": [] })));
    }
    let (found, _) = state
        .store
        .read(move |txn| store::search_contacts(txn, &query, 0, LOOKUP_LIMIT))
        .await?;
    let list: Vec<Value> = found
        .iter()
        .map(|c| json!({"id": c.id, "name": c.display_name(), "mobile": c.mobile}))
        .collect();
    Ok(Json(json!({ "contacts": list })))
}

#[derive(Deserialize)]
pub struct ConsentQuery {
    #[serde(default)]
    phone: String,
}

/// `GET /api/consent?phone=`: whether a number may be messaged, so the dialog warns before
/// the agent types.
#[tracing::instrument(skip_all, fields(agent = %user.user.id))]
pub async fn consent_get(
    State(state): State<AppState>,
    user: AgentUser,
    Query(q): Query<ConsentQuery>,
) -> Result<Json<Value>, ApiError> {
    let phone = E164::parse(&q.phone).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let lookup = phone.clone();
    let consent = state
        .store
        .read(move |txn| store::consent_of(txn, &lookup))
        .await?;
    Ok(Json(consent_json(&phone, consent.as_ref())))
}

/// A number's consent as the workspace shows it (`GET /api/consent`, a workitem's consent, the
/// `consent` event): the same fields and the same warning everywhere.
pub fn consent_json(phone: &E164, consent: Option<&crate::domain::Consent>) -> Value {
    json!(ConsentCard::new(phone, consent))
}

#[derive(Deserialize)]
pub struct OutboundInput {
    #[serde(default)]
    to: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    campaign: Option<Value>,
}

/// `POST /api/outbound`: sends a new SMS; the workitem it opens is the agent's, active.
#[tracing::instrument(skip_all, fields(agent = %user.user.id))]
pub async fn outbound_post(
    State(state): State<AppState>,
    user: AgentUser,
    Json(input): Json<OutboundInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    user.require(Permission::OutboundSend)?;
    let to = E164::parse(&input.to).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("To: {}", capitalised(&e.to_string())),
        )
    })?;
    let campaign = match &input.campaign {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_u64().map(CampaignId),
        Some(Value::String(s)) => parse_campaign(Some(s))?,
        Some(_) => return Err(ApiError::bad_request("campaign must be a campaign id.")),
    };
    let compose = Compose {
        store: &state.store,
        outbox: &state.outbox,
        acd: &state.acd,
        clock: &state.clock,
    };
    let started = compose
        .send(user.user.id, campaign, to, &input.body)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "workitem": started.workitem,
            "message": started.message,
            "new_workitem": started.new_workitem,
        })),
    ))
}
