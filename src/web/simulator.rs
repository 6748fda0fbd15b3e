//! The customer-phone simulator: pick a number, text the center, see replies live. A demo
//! tool for logged-in users, and only for the numbers of campaigns that send through the
//! simulator: it must never read or write a real customer's conversation.

use std::collections::HashSet;
use std::convert::Infallible;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::auth::AgentUser;
use super::error::{ApiError, PageError};
use super::views::{SimulatorView, render};
use crate::bootstrap::DEMO_CUSTOMER;
use crate::domain::{CampaignKind, Direction, E164};
use crate::live::PhonePush;
use crate::metrics::StreamKind;
use crate::sms::outbound::MAX_BODY_CHARS;
use crate::state::AppState;
use crate::store::{self, InboundSms, Ingested, StoreError};

#[derive(Deserialize)]
pub struct PhoneQuery {
    #[serde(default)]
    phone: String,
}

fn phone(raw: &str) -> Result<E164, ApiError> {
    E164::parse(raw).map_err(|e| ApiError::bad_request(e.to_string()))
}

const NONE_SIMULATED: &str = "No campaign sends through the simulator. Give a campaign a \
                              number and the simulator as its provider on /admin/campaigns.";

/// Our numbers as the simulator sees them, read per request (campaigns change at run time).
struct Numbers {
    /// Numbers of campaigns that send through the simulator, inbound campaigns first, with
    /// the campaign's name: the only ones the simulator may act for.
    simulated: Vec<(E164, String)>,
    /// Every other number a campaign owns, with its campaign's name and provider (for the
    /// refusal's reason).
    others: Vec<(E164, String, String)>,
}

impl Numbers {
    async fn read(state: &AppState) -> Result<Numbers, StoreError> {
        let default = state.config.sms.provider.name();
        let mut campaigns = state.store.read(store::all_campaigns).await?;
        campaigns.sort_by_key(|c| c.kind != CampaignKind::Inbound);
        let mut numbers = Numbers {
            simulated: Vec::new(),
            others: Vec::new(),
        };
        for c in &campaigns {
            let provider = c.sends_through(default);
            for n in &c.numbers {
                if provider == crate::sms::simulator::NAME {
                    numbers.simulated.push((n.clone(), c.name.clone()));
                } else {
                    numbers
                        .others
                        .push((n.clone(), c.name.clone(), provider.to_owned()));
                }
            }
        }
        Ok(numbers)
    }

    /// The numbers, or 404 when no campaign sends through the simulator.
    async fn some(state: &AppState) -> Result<Numbers, ApiError> {
        let numbers = Numbers::read(state).await?;
        if numbers.simulated.is_empty() {
            return Err(ApiError::not_found(NONE_SIMULATED));
        }
        Ok(numbers)
    }

    fn set(&self) -> HashSet<E164> {
        self.simulated.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Refuses (403, saying why) a number the simulator may not text.
    fn check(&self, to: &E164) -> Result<(), ApiError> {
        if self.simulated.iter().any(|(n, _)| n == to) {
            return Ok(());
        }
        let reason = match self.others.iter().find(|(n, _, _)| n == to) {
            Some((_, name, provider)) => format!(
                "{to} belongs to the campaign “{name}”, which sends through {provider}; the \
                 simulator may only text numbers of campaigns that send through the simulator."
            ),
            None => format!("{to} is not a number of a campaign that sends through the simulator."),
        };
        Err(ApiError::new(StatusCode::FORBIDDEN, reason))
    }
}

#[tracing::instrument(skip_all)]
pub async fn simulator_get(
    State(state): State<AppState>,
    user: AgentUser,
    Query(q): Query<PhoneQuery>,
) -> Result<axum::response::Response, PageError> {
    let numbers = Numbers::read(&state).await?;
    let Some((first, _)) = numbers.simulated.first() else {
        return Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: NONE_SIMULATED.into(),
        });
    };
    let our_number = first.to_string();
    let phone = E164::parse(&q.phone)
        .map(|p| p.to_string())
        .unwrap_or_else(|_| DEMO_CUSTOMER.to_owned());
    Ok(render(&SimulatorView {
        csrf: user.csrf().to_owned(),
        phone,
        our_number,
        numbers: numbers
            .simulated
            .iter()
            .map(|(n, name)| (n.to_string(), name.clone()))
            .collect(),
    }))
}

#[derive(Serialize)]
struct PhoneMessage {
    direction: Direction,
    our_number: E164,
    body: String,
    at: chrono::DateTime<chrono::Utc>,
}

/// Everything this phone has exchanged with the simulator's numbers, oldest first.
#[tracing::instrument(skip_all)]
pub async fn messages_get(
    State(state): State<AppState>,
    _user: AgentUser,
    Query(q): Query<PhoneQuery>,
) -> Result<Json<Value>, ApiError> {
    let simulated = Numbers::some(&state).await?.set();
    let customer = phone(&q.phone)?;
    let messages: Vec<PhoneMessage> = state
        .store
        .read(move |txn| store::messages_with(txn, &customer))
        .await?
        .into_iter()
        .filter(|(w, _)| simulated.contains(&w.our_number))
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
    _user: AgentUser,
    req: Result<Json<SendRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let numbers = Numbers::some(&state).await?;
    let req = req
        .map(|Json(r)| r)
        .map_err(|e| ApiError::bad_request(format!("Invalid request: {}", e.body_text())))?;
    let from = phone(&req.from)
        .map_err(|e| ApiError::bad_request(format!("Your number: {}", e.message)))?;
    let to = phone(&req.to)
        .map_err(|e| ApiError::bad_request(format!("Center number: {}", e.message)))?;
    numbers.check(&to)?;
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
        provider: crate::sms::simulator::NAME,
        provider_id: None,
        from,
        to,
        body,
        received_at: state.clock.now(),
    };
    match state.inbound.receive_stored(sms).await? {
        Ingested::Stored { message, .. } => Ok(Json(json!({ "message_id": message.id }))),
        Ingested::Duplicate(id) => Ok(Json(json!({ "message_id": id }))),
    }
}

/// Live messages for one simulated phone: only what the simulator carries is pushed to it
/// (see `sms::inbound::route` and the simulator provider).
#[tracing::instrument(skip_all)]
pub async fn events_get(
    State(state): State<AppState>,
    user: AgentUser,
    Query(q): Query<PhoneQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    Numbers::some(&state).await?;
    let customer = phone(&q.phone)?;
    let stop = super::sse::session_stop(&state, &user).await?;
    let sub = state.hub.subscribe_phone(customer);
    fn name(_: &PhonePush) -> &'static str {
        "message"
    }
    let open = state.metrics.stream_opened(StreamKind::Simulator);
    let stream = super::sse::counted(super::sse::stream_until(None, sub, name, stop), open);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
