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
async fn a_success_without_sid_is_not_retried() {
    let (base, _) = serve(201, r#"{"status":"queued"}"#).await;
    let provider = TwilioProvider::new(&base, "AC123", "token456", None);
    let err = provider.send(&sms()).await.expect_err("no sid");
    assert!(matches!(err, SendError::Uncertain(_)), "{err:?}");
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
