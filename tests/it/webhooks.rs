//! Twilio-compatible webhooks: signatures, durability before 200, dedup, delivery status.

use parley::domain::Role;
use serde_json::json;

use crate::common::*;

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn message_count(server: &TestServer) -> u64 {
    // The webhooks' messages are durable; they are stored once the store applies them.
    server.state.store.applied().await.unwrap();
    server
        .state
        .store
        .read(|txn| {
            use redb::ReadableTableMetadata;
            Ok(txn.open_table(parley::store::MESSAGES)?.len()?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn signed_inbound_is_stored_and_answered_with_empty_twiml() {
    let server = TestServer::start().await;
    let res = server.twilio_sms("SM0001", "+14155550142", "hello").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("xml")
    );
    assert!(res.text().await.unwrap().contains("<Response/>"));
    // Durable before the 200 (in the write-ahead log), stored once applied.
    assert_eq!(message_count(&server).await, 1);
    server.stop().await;
}

/// A provider is answered once its message is in the log, even while the store is held up
/// applying (as a checkpoint holds it for hundreds of milliseconds while a backup shares the
/// disk): the answers do not wait for the messages before them to be stored and routed.
#[tokio::test]
async fn webhooks_are_answered_while_the_store_is_held_up() {
    let server = TestServer::start().await;
    let (go_on, hold) = std::sync::mpsc::channel::<()>();
    let (holding, held) = tokio::sync::oneshot::channel();
    let write = server
        .state
        .store
        .submit(move |_| {
            let _ = holding.send(());
            let _ = hold.recv();
            Ok(())
        })
        .unwrap();
    held.await.unwrap();
    // One at a time, so each is a batch of its own: far more batches than the 64 that
    // once stopped the answers.
    const SENT: usize = 300;
    for i in 0..SENT {
        let res = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            server.twilio_sms_answered(&format!("SMheld{i}"), "+14155550142", OUR_NUMBER, "hi"),
        )
        .await
        .unwrap_or_else(|_| panic!("webhook {i} was not answered while the store was held up"));
        assert_eq!(res.status(), 200);
    }
    let stored_meanwhile = server
        .state
        .store
        .read(|txn| {
            use redb::ReadableTableMetadata;
            Ok(txn.open_table(parley::store::MESSAGES)?.len()?)
        })
        .await
        .unwrap();
    assert_eq!(stored_meanwhile, 0, "the store was held up meanwhile");
    go_on.send(()).unwrap();
    write.await.unwrap().unwrap();
    server.state.inbound.routed().await.unwrap();
    assert_eq!(message_count(&server).await, SENT as u64);
    server.stop().await;
}

#[tokio::test]
async fn wrong_or_missing_signature_is_refused_and_nothing_stored() {
    let server = TestServer::start().await;
    let p = params(&[
        ("MessageSid", "SM0002"),
        ("From", "+14155550142"),
        ("To", OUR_NUMBER),
        ("Body", "hi"),
    ]);
    let wrong = server
        .signed_post("/webhooks/twilio/sms", &p, Some("not-the-token"))
        .await;
    assert_eq!(wrong.status(), 403);
    let missing = reqwest::Client::new()
        .post(format!("{}/webhooks/twilio/sms", server.url))
        .form(&p)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 403);
    // A valid signature over different parameters does not cover a tampered body.
    let url = format!("{}/webhooks/twilio/sms", server.url);
    let sig = parley::sms::twilio::signature(TWILIO_TOKEN, &url, &p);
    let mut tampered = p.clone();
    tampered[3].1 = "send me money".into();
    let res = reqwest::Client::new()
        .post(&url)
        .header("X-Twilio-Signature", sig)
        .form(&tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(message_count(&server).await, 0);
    server.stop().await;
}

#[tokio::test]
async fn webhooks_are_refused_when_twilio_is_not_configured() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let server = TestServer::start_in(dir, |c| c.sms.twilio.auth_token.clear()).await;
    let res = server.twilio_sms("SM0003", "+14155550142", "hi").await;
    assert_eq!(res.status(), 403);
    server.stop().await;
}

#[tokio::test]
async fn the_same_message_sid_twice_stores_one_message() {
    let server = TestServer::start().await;
    for _ in 0..3 {
        let res = server.twilio_sms("SMdup", "+14155550142", "once").await;
        assert_eq!(res.status(), 200);
    }
    assert_eq!(message_count(&server).await, 1);
    // Concurrent retries too.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let url = server.url.clone();
        tasks.push(tokio::spawn(async move {
            let p = params(&[
                ("MessageSid", "SMrace"),
                ("From", "+14155550177"),
                ("To", OUR_NUMBER),
                ("Body", "race"),
            ]);
            let full = format!("{url}/webhooks/twilio/sms");
            let sig = parley::sms::twilio::signature(TWILIO_TOKEN, &full, &p);
            reqwest::Client::new()
                .post(&full)
                .header("X-Twilio-Signature", sig)
                .form(&p)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(message_count(&server).await, 2);
    server.stop().await;
}

#[tokio::test]
async fn a_signed_message_from_a_sender_that_is_not_a_number_is_kept_for_admins() {
    let server = TestServer::start().await;
    let inbound = |sid: &str, from: &str| {
        params(&[
            ("MessageSid", sid),
            ("From", from),
            ("To", OUR_NUMBER),
            ("Body", "Your code is <b>1234</b>"),
        ])
    };
    // A sender name, sent twice (the provider's retry), and a short code.
    for (sid, from) in [
        ("SM0004", "ACME<Bank>"),
        ("SM0004", "ACME<Bank>"),
        ("SM0006", "72975"),
    ] {
        let res = server
            .signed_post("/webhooks/twilio/sms", &inbound(sid, from), None)
            .await;
        assert_eq!(res.status(), 200, "{from}");
    }
    // No conversation: nobody could answer it.
    assert_eq!(message_count(&server).await, 0);
    let (total, held) = server
        .state
        .store
        .read(|txn| parley::store::held_sms(txn, 10))
        .await
        .unwrap();
    assert_eq!(total, 2);
    let acme = held.iter().find(|h| h.provider_id == "SM0004").unwrap();
    assert_eq!(acme.from, "ACME<Bank>");
    assert!(acme.reason.starts_with("From: "), "{}", acme.reason);

    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let html = admin
        .get("/admin/held-messages")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"held-count\">2 held."), "{html}");
    assert!(html.contains("<td>ACME&#60;Bank&#62;</td>"), "{html}");
    assert!(
        html.contains("Your code is &#60;b&#62;1234&#60;/b&#62;"),
        "{html}"
    );
    assert!(html.contains("<td>72975</td>"), "{html}");
    let agent = server.add_agent("alice", &[], None).await;
    let alice = server.login(&agent.username).await;
    assert_eq!(alice.get("/admin/held-messages").await.status(), 403);

    // Only a message without its id is refused: a retry could not be told apart.
    let no_sid = params(&[("From", "ACME"), ("To", OUR_NUMBER), ("Body", "hi")]);
    let res = server
        .signed_post("/webhooks/twilio/sms", &no_sid, None)
        .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("MessageSid"));
    server.stop().await;
}

#[tokio::test]
async fn a_webhook_that_is_not_a_form_gets_a_clear_415_and_stores_nothing() {
    let server = TestServer::start().await;
    let url = format!("{}/webhooks/twilio/sms", server.url);
    let p = params(&[
        ("MessageSid", "SM0005"),
        ("From", "+14155550142"),
        ("To", OUR_NUMBER),
        ("Body", "hi"),
    ]);
    let sig = parley::sms::twilio::signature(TWILIO_TOKEN, &url, &p);
    let res = reqwest::Client::new()
        .post(&url)
        .header("X-Twilio-Signature", sig)
        .json(&json!({"MessageSid": "SM0005", "From": "+14155550142", "To": OUR_NUMBER}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    assert!(res.text().await.unwrap().contains("form"));
    assert_eq!(message_count(&server).await, 0);
    server.stop().await;
}

#[tokio::test]
async fn an_encoded_body_is_stored_as_the_customer_typed_it() {
    let server = TestServer::start().await;
    let body = "50% off? Yes & thanks + é 👍";
    let res = server.twilio_sms("SM0006", "+14155550142", body).await;
    assert_eq!(res.status(), 200);
    let stored = server
        .state
        .store
        .read(|txn| parley::store::message(txn, parley::domain::MessageId(1)))
        .await
        .unwrap()
        .expect("message 1 stored");
    assert_eq!(stored.body, body);
    server.stop().await;
}

/// A stand-in for Twilio's Messages API: fails the first `fail_first` calls with 503, then
/// accepts each message with a new sid. Counts calls.
pub(crate) async fn fake_twilio_api(
    fail_first: usize,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use axum::routing::post;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let app = axum::Router::new().route(
        "/2010-04-01/Accounts/{sid}/Messages.json",
        post(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < fail_first {
                    (
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        "try later".to_owned(),
                    )
                } else {
                    (
                        axum::http::StatusCode::CREATED,
                        format!("{{\"sid\":\"SMout{n}\",\"status\":\"queued\"}}"),
                    )
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}

#[tokio::test]
async fn outbound_retries_with_backoff_then_tracks_delivery_status() {
    use std::sync::atomic::Ordering;
    let (api, calls) = fake_twilio_api(2).await;
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let server = TestServer::start_in(dir, |c| {
        c.sms.provider = parley::config::ProviderKind::Twilio;
        c.sms.twilio.account_sid = "AC123".into();
        c.sms.twilio.api_base = api.clone();
    })
    .await;
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], None).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;
    server
        .twilio_sms("SMin1", "+14155550142", "status please")
        .await;
    let id = events.offer().await;
    alice
        .post_ok(&format!("/api/workitems/{id}/accept"), json!({}))
        .await;
    let sent = alice
        .post_ok(
            &format!("/api/workitems/{id}/messages"),
            json!({"body": "on it"}),
        )
        .await;
    let message_id = sent["message"]["id"].as_u64().unwrap();
    assert_eq!(
        sent["message"]["status"], "queued",
        "stored before it is sent"
    );

    // First attempt fails; the retry waits for the (manual) clock: 1 s, then 2 s.
    let wait_calls = |n: usize| {
        let calls = calls.clone();
        async move {
            let deadline = tokio::time::Instant::now() + DEADLINE;
            while calls.load(Ordering::SeqCst) < n {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "provider not called {n} times"
                );
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    };
    wait_calls(1).await;
    server.advance(1);
    wait_calls(2).await;
    server.advance(2);
    let status = loop {
        let s = events.next_named("message_status").await;
        if s["message"] == message_id && s["status"] == "sent" {
            break s;
        }
    };
    assert_eq!(status["error"], serde_json::Value::Null);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "sent once after two failures"
    );

    // Twilio reports delivery for the sid it gave us (the third call: SMout2).
    let res = server
        .signed_post(
            "/webhooks/twilio/status",
            &params(&[("MessageSid", "SMout2"), ("MessageStatus", "delivered")]),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let delivered = events.next_named("message_status").await;
    assert_eq!(delivered["status"], "delivered");
    let detail: serde_json::Value = alice
        .get(&format!("/api/workitems/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let out = &detail["messages"][1];
    assert_eq!(out["status"], "delivered");
    assert_eq!(out["provider_id"], "SMout2");

    // An unknown status word is a clear 400; an unsigned report a 403; an unknown sid is
    // acknowledged so the provider stops retrying.
    let bogus = server
        .signed_post(
            "/webhooks/twilio/status",
            &params(&[("MessageSid", "SMout2"), ("MessageStatus", "bogus")]),
            None,
        )
        .await;
    assert_eq!(bogus.status(), 400);
    let unsigned = reqwest::Client::new()
        .post(format!("{}/webhooks/twilio/status", server.url))
        .form(&params(&[
            ("MessageSid", "SMout2"),
            ("MessageStatus", "failed"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
    let unknown = server
        .signed_post(
            "/webhooks/twilio/status",
            &params(&[("MessageSid", "SMnever"), ("MessageStatus", "delivered")]),
            None,
        )
        .await;
    assert_eq!(unknown.status(), 200);
    server.stop().await;
}
