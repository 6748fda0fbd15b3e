//! Provider webhooks. They carry no session: each request proves itself with the provider's
//! signature, and an inbound message is durable before the provider hears 200.

use axum::body::Bytes;
use axum::extract::{FromRequest, OriginalUri, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::domain::{DeliveryStatus, E164, HeldSms, carrier_code_blocks};
use crate::live::AgentPush;
use crate::metrics::{InboundOutcome, RefusedReason, ReportStatus};
use crate::sms::outbound::announce_carrier_opt_out;
use crate::sms::twilio;
use crate::state::AppState;
use crate::store::{self, InboundSms};

const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

fn twiml_ok() -> Response {
    ([(header::CONTENT_TYPE, "text/xml")], EMPTY_TWIML).into_response()
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, message.to_owned()).into_response()
}

/// A webhook's form fields, in body order. Parsed straight into pairs: on the busiest
/// endpoint, going through serde's generic deserializer cost several times the parse.
pub struct WebhookForm(Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for WebhookForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Expected a form (application/x-www-form-urlencoded).",
            ));
        }
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(WebhookForm(
            form_urlencoded::parse(&body).into_owned().collect(),
        ))
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Checks `X-Twilio-Signature` against the URL Twilio was configured with (our public URL
/// plus the path and query it called). Returns the refusal when it does not match.
fn unsigned(
    state: &AppState,
    uri: &OriginalUri,
    headers: &HeaderMap,
    params: &[(String, String)],
) -> Option<Response> {
    let Some(token) = state.config.twilio_auth_token() else {
        return Some(refuse(
            StatusCode::FORBIDDEN,
            "Twilio webhooks are not configured (sms.twilio.auth_token is empty).",
        ));
    };
    let path = uri.0.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let url = format!("{}{}", state.config.public_url.trim_end_matches('/'), path);
    let header = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok());
    if twilio::verify_signature(token, &url, params, header) {
        None
    } else {
        tracing::warn!(%url, "Twilio webhook with a missing or wrong signature refused");
        Some(refuse(StatusCode::FORBIDDEN, "Invalid X-Twilio-Signature."))
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn twilio_sms_post(
    State(state): State<AppState>,
    uri: OriginalUri,
    headers: HeaderMap,
    WebhookForm(params): WebhookForm,
) -> Response {
    let refused = |reason: RefusedReason| state.metrics.inbound_refused.get(reason).inc();
    if let Some(refusal) = unsigned(&state, &uri, &headers, &params) {
        refused(RefusedReason::Signature);
        return refusal;
    }
    let Some(sid) = param(&params, "MessageSid").filter(|s| !s.is_empty()) else {
        refused(RefusedReason::Invalid);
        return refuse(StatusCode::BAD_REQUEST, "MessageSid is missing.");
    };
    let (raw_from, raw_to) = (
        param(&params, "From").unwrap_or_default(),
        param(&params, "To").unwrap_or_default(),
    );
    let body = param(&params, "Body").unwrap_or_default();
    let (from, to) = match (E164::parse(raw_from), E164::parse(raw_to)) {
        (Ok(from), Ok(to)) => (from, to),
        (from, to) => {
            let reason = match (from, to) {
                (Err(e), _) => format!("From: {e}"),
                (_, Err(e)) => format!("To: {e}"),
                _ => unreachable!("one of them is not a number"),
            };
            let held = HeldSms {
                provider: "twilio".into(),
                provider_id: sid.to_owned(),
                from: raw_from.to_owned(),
                to: raw_to.to_owned(),
                body: body.to_owned(),
                received_at: state.clock.now(),
                reason,
            };
            return hold(&state, held).await;
        }
    };
    let sms = InboundSms {
        provider: "twilio",
        provider_id: Some(sid.to_owned()),
        from,
        to,
        body: body.to_owned(),
        received_at: state.clock.now(),
    };
    match state.inbound.receive(sms).await {
        Ok(_) => twiml_ok(),
        Err(e) => {
            // Not acknowledged: Twilio retries, and the dedup by MessageSid keeps it single.
            refused(RefusedReason::NotStored);
            tracing::error!(error = %e, "inbound message could not be stored");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "Message not stored; retry.",
            )
        }
    }
}

/// Keeps a signed message no conversation can hold (its sender is a short code or a name)
/// for admins, and acknowledges it once durable: refusing it would lose it.
async fn hold(state: &AppState, held: HeldSms) -> Response {
    let reason = held.reason.clone();
    match state
        .store
        .write(move |txn| store::hold_sms(txn, &held))
        .await
    {
        Ok(new) => {
            let outcome = if new {
                tracing::warn!(%reason, "inbound message held: no conversation can hold it");
                InboundOutcome::Held
            } else {
                InboundOutcome::Duplicate
            };
            state.metrics.inbound.get(outcome).inc();
            twiml_ok()
        }
        Err(e) => {
            state
                .metrics
                .inbound_refused
                .get(RefusedReason::NotStored)
                .inc();
            tracing::error!(error = %e, "held message could not be stored");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "Message not stored; retry.",
            )
        }
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn twilio_status_post(
    State(state): State<AppState>,
    uri: OriginalUri,
    headers: HeaderMap,
    WebhookForm(params): WebhookForm,
) -> Response {
    if let Some(refused) = unsigned(&state, &uri, &headers, &params) {
        return refused;
    }
    let (Some(sid), Some(raw_status)) = (
        param(&params, "MessageSid"),
        param(&params, "MessageStatus"),
    ) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "MessageSid and MessageStatus are required.",
        );
    };
    let Some(status) = DeliveryStatus::from_provider(raw_status) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!("Unknown MessageStatus \"{raw_status}\"."),
        );
    };
    if let Some(reported) = report_status(status) {
        state.metrics.outbound_reports.get(reported).inc();
    }
    let error = param(&params, "ErrorCode")
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let blocks = error.as_deref().is_some_and(carrier_code_blocks);
    let sid = sid.to_owned();
    let now = state.clock.now();
    let updated = state
        .store
        .write(move |txn| {
            let Some(m) = store::record_delivery_status(txn, "twilio", &sid, status, error, now)?
            else {
                return Ok(None);
            };
            Ok(Some(m))
        })
        .await;
    match updated {
        Ok(Some(m)) => {
            if blocks {
                announce_carrier_opt_out(&state.store, &state.hub, m.workitem).await;
            }
            let agent = state
                .store
                .read(move |txn| store::workitem(txn, m.workitem))
                .await
                .ok()
                .flatten()
                .and_then(|w| w.agent);
            if let Some(agent) = agent {
                state.hub.push_agent(
                    agent,
                    AgentPush::MessageStatus {
                        workitem: m.workitem,
                        message: m.id,
                        status: m.status,
                        error: m.error,
                    },
                );
            }
            twiml_ok()
        }
        // A report for a message we never sent: acknowledge so the provider stops retrying.
        Ok(None) => twiml_ok(),
        Err(e) => {
            tracing::error!(error = %e, "delivery status could not be stored");
            refuse(StatusCode::SERVICE_UNAVAILABLE, "Status not stored; retry.")
        }
    }
}

/// The label a delivery report counts under (`received` is about inbound messages).
fn report_status(status: DeliveryStatus) -> Option<ReportStatus> {
    Some(match status {
        DeliveryStatus::Queued => ReportStatus::Queued,
        DeliveryStatus::Sent => ReportStatus::Sent,
        DeliveryStatus::Delivered => ReportStatus::Delivered,
        DeliveryStatus::Undelivered => ReportStatus::Undelivered,
        DeliveryStatus::Failed => ReportStatus::Failed,
        DeliveryStatus::Received => return None,
    })
}
