//! The customer-phone simulator: pick a number, text the center, see replies live.

use std::convert::Infallible;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::auth;
use super::error::ApiError;
use super::views::{SimulatorView, render};
use crate::bootstrap::{DEMO_CUSTOMER, DEMO_NUMBER};
use crate::domain::{CampaignKind, Direction, E164};
use crate::live::PhonePush;
use crate::sms::outbound::MAX_BODY_CHARS;
use crate::state::AppState;
use crate::store::{self, InboundSms, Ingested};

#[derive(Deserialize)]
pub struct PhoneQuery {
    #[serde(default)]
    phone: String,
}

fn phone(raw: &str) -> Result<E164, ApiError> {
    E164::parse(raw).map_err(|e| ApiError::bad_request(e.to_string()))
}

#[tracing::instrument(skip_all)]
pub async fn simulator_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PhoneQuery>,
) -> Result<Response, ApiError> {
    let (csrf, set_cookie) = auth::anon_csrf(&state, &headers);
    let campaigns = state.store.read(store::all_campaigns).await?;
    let numbers: Vec<(String, String)> = campaigns
        .iter()
        .filter(|c| c.kind == CampaignKind::Inbound)
        .flat_map(|c| c.numbers.iter().map(|n| (n.to_string(), c.name.clone())))
        .collect();
    let our_number = numbers
        .first()
        .map(|(n, _)| n.clone())
        .unwrap_or_else(|| DEMO_NUMBER.to_owned());
    let phone = E164::parse(&q.phone)
        .map(|p| p.to_string())
        .unwrap_or_else(|_| DEMO_CUSTOMER.to_owned());
    let page = render(&SimulatorView {
        csrf,
        phone,
        our_number,
        numbers,
    });
    Ok(match set_cookie {
        Some(c) => ([(header::SET_COOKIE, c)], page).into_response(),
        None => page,
    })
}

#[derive(Serialize)]
struct PhoneMessage {
    direction: Direction,
    our_number: E164,
    body: String,
    at: chrono::DateTime<chrono::Utc>,
}

/// Everything this phone has exchanged with the center, oldest first.
#[tracing::instrument(skip_all)]
pub async fn messages_get(
    State(state): State<AppState>,
    Query(q): Query<PhoneQuery>,
) -> Result<Json<Value>, ApiError> {
    let customer = phone(&q.phone)?;
    let messages: Vec<PhoneMessage> = state
        .store
        .read(move |txn| store::messages_with(txn, &customer))
        .await?
        .into_iter()
        .map(|(w, m)| PhoneMessage {
            direction: m.direction,
            our_number: w.our_number,
            body: m.body,
            at: m.at,
        })
        .collect();
    Ok(Json(json!({ "messages": messages })))
}

#[derive(Deserialize)]
pub struct SendRequest {
    from: String,
    to: String,
    body: String,
}

/// The simulated customer texts the center: handled exactly like a provider's inbound message.
#[tracing::instrument(skip_all)]
pub async fn messages_post(
    State(state): State<AppState>,
    req: Result<Json<SendRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let req = req
        .map(|Json(r)| r)
        .map_err(|e| ApiError::bad_request(format!("Invalid request: {}", e.body_text())))?;
    let from = phone(&req.from)
        .map_err(|e| ApiError::bad_request(format!("Your number: {}", e.message)))?;
    let to = phone(&req.to)
        .map_err(|e| ApiError::bad_request(format!("Center number: {}", e.message)))?;
    let body = req.body.trim().to_owned();
    if body.is_empty() {
        return Err(ApiError::bad_request("Type a message first."));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::bad_request(format!(
            "The message is too long (at most {MAX_BODY_CHARS} characters)."
        )));
    }
    let sms = InboundSms {
        provider: "simulator",
        provider_id: None,
        from,
        to,
        body,
        received_at: state.clock.now(),
    };
    match state.inbound.receive(sms).await? {
        Ingested::Stored { message, .. } => Ok(Json(json!({ "message_id": message.id }))),
        Ingested::Duplicate(id) => Ok(Json(json!({ "message_id": id }))),
    }
}

/// Live messages for one simulated phone.
#[tracing::instrument(skip_all)]
pub async fn events_get(
    State(state): State<AppState>,
    Query(q): Query<PhoneQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let customer = phone(&q.phone)?;
    let sub = state.hub.subscribe_phone(customer);
    fn name(_: &PhonePush) -> &'static str {
        "message"
    }
    Ok(Sse::new(super::sse::stream_of(
        None,
        sub,
        name,
        state.shutdown.clone(),
    ))
    .keep_alive(KeepAlive::default()))
}
