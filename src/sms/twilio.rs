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
    let json: serde_json::Value = serde_json::from_str(body).map_err(|e| {
        SendError::Transient(format!(
            "Twilio accepted the request but its answer is not JSON: {e}"
        ))
    })?;
    // Without the sid no delivery report could ever be matched to the message, so let the
    // outbox try again (at the risk of a duplicate SMS) rather than record a send we can't track.
    let provider_id = json
        .get("sid")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| SendError::Transient("Twilio's answer has no message sid".to_owned()))?;
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

/// Connection, TLS or timeout trouble: the message may go through on a later try.
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
    SendError::Transient(format!("Twilio {kind}: {detail}"))
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is a failed test
mod tests {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::extract::{Form, State};
    use axum::http::{HeaderMap, Method, Uri};

    use super::*;
    use crate::domain::{E164, MessageId};

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const DOC_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn doc_params() -> Vec<(String, String)> {
        pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ])
    }

    // The worked example of Twilio's webhook security docs (token 12345, this URL and these
    // parameters; https://www.twilio.com/docs/usage/security#validating-requests, now
    // /docs/usage/webhooks/webhooks-security). The value is as quoted from those docs by many
    // independent implementations' tests; the vectors from twilio-python's own test suite
    // below check the same algorithm against Twilio's code.
    const DOC_SIGNATURE: &str = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

    #[test]
    fn matches_twilios_documented_example() {
        assert_eq!(signature("12345", DOC_URL, &doc_params()), DOC_SIGNATURE);
        assert!(verify_signature(
            "12345",
            DOC_URL,
            &doc_params(),
            Some(DOC_SIGNATURE)
        ));
    }

    #[test]
    fn matches_twilio_python_test_vectors() {
        // twilio/twilio-python, tests/unit/test_request_validator.py: same URL and token, but
        // Caller/From +14158675309; plus its vector for a repeated parameter name.
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("Caller", "+14158675309"),
        ]);
        assert_eq!(
            signature("12345", DOC_URL, &params),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        let repeated = pairs(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
        ]);
        assert_eq!(
            signature("12345", DOC_URL, &repeated),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        );
    }

    #[test]
    fn parameter_order_does_not_matter() {
        let mut shuffled = doc_params();
        shuffled.reverse();
        shuffled.swap(0, 2);
        assert_eq!(signature("12345", DOC_URL, &shuffled), DOC_SIGNATURE);
        assert!(verify_signature(
            "12345",
            DOC_URL,
            &shuffled,
            Some(DOC_SIGNATURE)
        ));
    }

    #[test]
    fn rejects_what_twilio_did_not_sign() {
        let p = doc_params();
        let sig = Some(DOC_SIGNATURE);
        assert!(!verify_signature("54321", DOC_URL, &p, sig), "wrong token");
        let mut tampered = doc_params();
        tampered[2].1 = "9999".to_owned();
        assert!(
            !verify_signature("12345", DOC_URL, &tampered, sig),
            "tampered param"
        );
        let mut extra = doc_params();
        extra.push(("Body".to_owned(), "hi".to_owned()));
        assert!(
            !verify_signature("12345", DOC_URL, &extra, sig),
            "added param"
        );
        assert!(
            !verify_signature("12345", "https://mycompany.com/other.php", &p, sig),
            "other url"
        );
        assert!(
            !verify_signature("12345", DOC_URL, &p, None),
            "missing header"
        );
        assert!(
            !verify_signature("12345", DOC_URL, &p, Some("")),
            "empty header"
        );
        assert!(
            !verify_signature("12345", DOC_URL, &p, Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ")),
            "truncated header"
        );
    }

    #[test]
    fn twilio_queued_counts_as_sent() {
        assert_eq!(sent_status(Some("queued")), DeliveryStatus::Sent);
        assert_eq!(sent_status(Some("accepted")), DeliveryStatus::Sent);
        assert_eq!(sent_status(Some("delivered")), DeliveryStatus::Delivered);
        assert_eq!(sent_status(Some("something-new")), DeliveryStatus::Sent);
        assert_eq!(sent_status(None), DeliveryStatus::Sent);
    }

    #[test]
    fn debug_hides_the_token() {
        let p = TwilioProvider::new("https://api.twilio.com", "AC123", "s3cr3t-token", None);
        assert!(!format!("{p:?}").contains("s3cr3t-token"));
    }

    /// What the fake Twilio saw.
    #[derive(Clone, Debug)]
    struct Seen {
        method: Method,
        path: String,
        authorization: Option<String>,
        form: HashMap<String, String>,
    }

    #[derive(Clone)]
    struct Fake {
        reply: (u16, &'static str),
        seen: Arc<Mutex<Vec<Seen>>>,
    }

    async fn fake_twilio(
        State(fake): State<Fake>,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        Form(form): Form<HashMap<String, String>>,
    ) -> (axum::http::StatusCode, &'static str) {
        let authorization = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        fake.seen.lock().expect("lock").push(Seen {
            method,
            path: uri.path().to_owned(),
            authorization,
            form,
        });
        let status = axum::http::StatusCode::from_u16(fake.reply.0).expect("status");
        (status, fake.reply.1)
    }

    /// Starts a fake Twilio on a free local port; returns its base URL and what it records.
    async fn serve(status: u16, body: &'static str) -> (String, Arc<Mutex<Vec<Seen>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new().fallback(fake_twilio).with_state(Fake {
            reply: (status, body),
            seen: seen.clone(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), seen)
    }

    fn sms() -> OutboundSms {
        OutboundSms {
            message: MessageId(7),
            from: E164::parse("+14155550100").expect("from"),
            to: E164::parse("+14155550111").expect("to"),
            body: "Hello & welcome, 100% café".to_owned(),
        }
    }

    #[tokio::test]
    async fn sends_the_form_with_basic_auth_and_reads_the_sid() {
        let (base, seen) = serve(201, r#"{"sid":"SM123","status":"queued"}"#).await;
        // A trailing slash on the base must not double up in the path.
        let provider = TwilioProvider::new(
            &format!("{base}/"),
            "AC123",
            "token456",
            Some("https://parley.example/sms/status".to_owned()),
        );
        assert_eq!(provider.name(), "twilio");

        let receipt = provider.send(&sms()).await.expect("sent");
        assert_eq!(
            receipt,
            SendReceipt {
                provider_id: "SM123".to_owned(),
                status: DeliveryStatus::Sent
            }
        );

        let seen = seen.lock().expect("lock").clone();
        assert_eq!(seen.len(), 1);
        let req = &seen[0];
        assert_eq!(req.method, Method::POST);
        assert_eq!(req.path, "/2010-04-01/Accounts/AC123/Messages.json");
        let basic = format!("Basic {}", BASE64.encode("AC123:token456"));
        assert_eq!(req.authorization.as_deref(), Some(basic.as_str()));
        let field = |k: &str| req.form.get(k).map(String::as_str);
        assert_eq!(field("To"), Some("+14155550111"));
        assert_eq!(field("From"), Some("+14155550100"));
        assert_eq!(field("Body"), Some("Hello & welcome, 100% café"));
        assert_eq!(
            field("StatusCallback"),
            Some("https://parley.example/sms/status")
        );
        assert_eq!(req.form.len(), 4);
    }

    #[tokio::test]
    async fn leaves_out_status_callback_when_unset() {
        let (base, seen) = serve(201, r#"{"sid":"SM9","status":"sent"}"#).await;
        let provider = TwilioProvider::new(&base, "AC123", "token456", None);
        let receipt = provider.send(&sms()).await.expect("sent");
        assert_eq!(receipt.status, DeliveryStatus::Sent);
        let seen = seen.lock().expect("lock").clone();
        assert!(!seen[0].form.contains_key("StatusCallback"));
    }

    #[tokio::test]
    async fn a_success_without_sid_is_transient() {
        let (base, _) = serve(201, r#"{"status":"queued"}"#).await;
        let provider = TwilioProvider::new(&base, "AC123", "token456", None);
        let err = provider.send(&sms()).await.expect_err("no sid");
        assert!(matches!(err, SendError::Transient(_)), "{err:?}");
    }

    #[tokio::test]
    async fn a_refusal_is_permanent_with_twilios_code() {
        let (base, _) = serve(
            400,
            r#"{"code": 21211, "message": "The 'To' number +1555 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#,
        )
        .await;
        let provider = TwilioProvider::new(&base, "AC123", "token456", None);
        let err = provider.send(&sms()).await.expect_err("refused");
        assert_eq!(
            err,
            SendError::Permanent {
                code: "21211".to_owned(),
                message: "The 'To' number +1555 is not a valid phone number.".to_owned()
            }
        );
    }

    #[tokio::test]
    async fn a_refusal_without_json_falls_back_to_the_http_status() {
        let (base, _) = serve(401, "Unauthorized").await;
        let provider = TwilioProvider::new(&base, "AC123", "wrong", None);
        let err = provider.send(&sms()).await.expect_err("refused");
        assert_eq!(
            err,
            SendError::Permanent {
                code: "401".to_owned(),
                message: "Unauthorized".to_owned()
            }
        );
    }

    #[tokio::test]
    async fn server_trouble_and_rate_limits_are_transient() {
        for status in [503, 500, 429] {
            let (base, _) = serve(status, r#"{"code": 20503, "message": "down"}"#).await;
            let provider = TwilioProvider::new(&base, "AC123", "token456", None);
            let err = provider.send(&sms()).await.expect_err("failed");
            assert!(matches!(err, SendError::Transient(_)), "{status}: {err:?}");
        }
    }

    #[tokio::test]
    async fn connection_refused_is_transient_and_hides_the_token() {
        // Take a free port, then close it so nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let provider = TwilioProvider::new(
            &format!("http://127.0.0.1:{port}"),
            "AC123",
            "token456",
            None,
        );
        let err = provider.send(&sms()).await.expect_err("refused");
        match &err {
            SendError::Transient(msg) => assert!(!msg.contains("token456"), "{msg}"),
            other => panic!("expected transient, got {other:?}"),
        }
    }
}
