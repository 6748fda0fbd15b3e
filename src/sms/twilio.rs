//! Twilio: checking the signature on its webhooks and sending SMS through its REST API.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::domain::DeliveryStatus;
use crate::sms::provider::{OutboundSms, Provider, SendError, SendReceipt};

/// How long one send may take, connect to last byte; a stuck request must not hold the outbox.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);

/// The `X-Twilio-Signature` Twilio would put on a webhook: HMAC-SHA1, keyed with the auth token,
/// over the full URL it requested followed by every POST parameter as name then value, sorted
/// by name (and by value for a repeated name), base64 encoded.
#[must_use]
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    // Sort references: the caller's order (the form body's order) must not matter.
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();

    // HMAC takes keys of any length, so this never fails; were it to, an empty signature
    // matches no header (verify_signature rejects empty ones).
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()) else {
        return String::new();
    };
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    BASE64.encode(mac.finalize().into_bytes())
}

/// Whether `header` (the request's `X-Twilio-Signature`) proves the webhook came from Twilio.
#[must_use = "an unchecked signature lets anyone forge webhooks"]
pub fn verify_signature(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    header: Option<&str>,
) -> bool {
    let Some(given) = header.filter(|h| !h.is_empty()) else {
        return false;
    };
    let expected = signature(auth_token, url, params);
    // Constant time, so an attacker cannot find the signature byte by byte from timings.
    bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// Sends SMS through Twilio's Messages API.
pub struct TwilioProvider {
    /// `Err` only when the HTTP client could not be built (no usable TLS); every send then
    /// fails as transient with this reason instead of the process panicking at boot.
    client: Result<reqwest::Client, String>,
    /// `{api_base}/2010-04-01/Accounts/{sid}/Messages.json`, built once.
    messages_url: String,
    account_sid: String,
    auth_token: String,
    /// Where Twilio should post delivery reports, when configured.
    status_callback: Option<String>,
}

impl TwilioProvider {
    /// `api_base` is normally `https://api.twilio.com`; tests point it at a local server.
    pub fn new(
        api_base: &str,
        account_sid: &str,
        auth_token: &str,
        status_callback: Option<String>,
    ) -> TwilioProvider {
        let client = reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            .build()
            .map_err(|e| {
                tracing::error!(error = %e, "cannot build the Twilio HTTP client; sends will fail");
                format!("Twilio HTTP client unavailable: {e}")
            });
        TwilioProvider {
            client,
            messages_url: format!(
                "{}/2010-04-01/Accounts/{account_sid}/Messages.json",
                api_base.trim_end_matches('/')
            ),
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
            status_callback,
        }
    }

    async fn send_one(&self, sms: &OutboundSms) -> Result<SendReceipt, SendError> {
        let mut form = vec![
            ("To", sms.to.as_str()),
            ("From", sms.from.as_str()),
            ("Body", sms.body.as_str()),
        ];
        if let Some(callback) = &self.status_callback {
            form.push(("StatusCallback", callback.as_str()));
        }

        let client = self
            .client
            .as_ref()
            .map_err(|e| SendError::Transient(e.clone()))?;
        let response = client
            .post(&self.messages_url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&form)
            .send()
            .await
            .map_err(network_error)?;
        let status = response.status();
        let body = response.text().await.map_err(network_error)?;

        let outcome = outcome(status, &body);
        match &outcome {
            Ok(receipt) => tracing::debug!(
                message = %sms.message, provider_id = %receipt.provider_id, "twilio accepted sms"
            ),
            Err(error) => tracing::debug!(message = %sms.message, %error, "twilio send failed"),
        }
        outcome
    }
}

// Hand-written so the auth token can never reach a log through `{:?}`.
impl std::fmt::Debug for TwilioProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioProvider")
            .field("messages_url", &self.messages_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("status_callback", &self.status_callback)
            .finish_non_exhaustive()
    }
}

impl Provider for TwilioProvider {
    fn name(&self) -> &'static str {
        "twilio"
    }

    fn send<'a>(&'a self, sms: &'a OutboundSms) -> BoxFuture<'a, Result<SendReceipt, SendError>> {
        Box::pin(self.send_one(sms))
    }
}

/// Turns Twilio's answer into a receipt or an error worth (or not worth) retrying.
fn outcome(status: StatusCode, body: &str) -> Result<SendReceipt, SendError> {
    if status.is_success() {
        return receipt(body);
    }
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        return Err(SendError::Transient(format!(
            "Twilio answered HTTP {status}{}",
            error_message(body)
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        )));
    }
    if status.is_client_error() {
        // Twilio explains a refusal as {"code": 21211, "message": "...", "status": 400}.
        let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
        let code = json
            .as_ref()
            .and_then(|j| match j.get("code")? {
                serde_json::Value::Number(n) => Some(n.to_string()),
                serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_else(|| status.as_u16().to_string());
        let message = error_message(body).unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("request refused")
                .to_owned()
        });
        return Err(SendError::Permanent { code, message });
    }
    // 1xx/3xx are not answers the Messages API gives; whatever sits in between may recover.
    Err(SendError::Transient(format!(
        "unexpected HTTP {status} from Twilio"
    )))
}

/// Reads the `sid` and `status` of the message resource Twilio created.
fn receipt(body: &str) -> Result<SendReceipt, SendError> {
    // A success means the message exists at Twilio: trying again would send it twice, so an
    // answer we cannot read is recorded, not retried.
    let json: serde_json::Value = serde_json::from_str(body).map_err(|e| {
        SendError::Uncertain(format!(
            "Twilio accepted the request but its answer is not JSON: {e}"
        ))
    })?;
    let provider_id = json
        .get("sid")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| SendError::Uncertain("Twilio's answer has no message sid".to_owned()))?;
    Ok(SendReceipt {
        provider_id: provider_id.to_owned(),
        status: sent_status(json.get("status").and_then(|v| v.as_str())),
    })
}

/// The status right after sending. Twilio says "queued"/"accepted" when it took the message,
/// which for us is `Sent` (ours left the outbox); `Queued` would mean still waiting here.
/// Inbound-only words and unknown ones also just mean "taken".
fn sent_status(twilio_status: Option<&str>) -> DeliveryStatus {
    match twilio_status.and_then(DeliveryStatus::from_provider) {
        Some(DeliveryStatus::Queued | DeliveryStatus::Received) | None => DeliveryStatus::Sent,
        Some(known) => known,
    }
}

/// Twilio's human-readable `message` from an error body, if there is one.
fn error_message(body: &str) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(body).ok()?;
    let message = json.get("message")?.as_str()?.trim();
    (!message.is_empty()).then(|| message.to_owned())
}

/// Connection, TLS or timeout trouble: only a failed connection (the request never left) is
/// worth another try.
fn network_error(e: reqwest::Error) -> SendError {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // Drop the URL (it names the account) and keep the root cause, e.g. "connection refused".
    let e = e.without_url();
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        detail = format!("{detail}: {cause}");
        source = cause.source();
    }
    // Only a failed connection proves Twilio never saw the request; anything later may have
    // created the message, and a retry could send it twice.
    if e.is_connect() {
        SendError::Transient(format!("Twilio {kind}: {detail}"))
    } else {
        SendError::Uncertain(format!("Twilio {kind}: {detail}"))
    }
}

#[cfg(test)]
#[path = "twilio_tests.rs"]
mod tests;
