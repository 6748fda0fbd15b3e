//! The outbox over HTTP with a fake provider and the manual clock: each number's rate is held
//! (counted per clock step, never timed), and a held number does not hold up another.

use parley::domain::CampaignKind;
use serde_json::json;

use crate::common::*;

const SECOND_NUMBER: &str = "+14155550111";

/// A campaign owning `number` that may send `rate` messages per second from it.
async fn campaign_with_rate(server: &TestServer, number: &str, rate: f64) {
    let queue = server.default_queue().await;
    let name = format!("rate {number}");
    server
        .campaign(&name, CampaignKind::Inbound, queue, number, move |c| {
            c.send_rate = rate
        })
        .await;
}

#[tokio::test]
async fn each_number_sends_at_its_rate_and_a_held_number_holds_up_no_other() {
    let (server, fake) = TestServer::start_faked(vec![]).await;
    campaign_with_rate(&server, OUR_NUMBER, 2.0).await;
    campaign_with_rate(&server, SECOND_NUMBER, 1.0).await;
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], Some(5)).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;

    server.twilio_sms("SM1", "+14155550142", "first").await;
    let busy = events.offer().await;
    alice
        .post_ok(&format!("/api/workitems/{busy}/accept"), json!({}))
        .await;
    server
        .twilio_sms_to("SM2", "+14155550143", SECOND_NUMBER, "second")
        .await;
    let quiet = events.offer().await;
    alice
        .post_ok(&format!("/api/workitems/{quiet}/accept"), json!({}))
        .await;

    // Ten replies on the 2/s number, then one on the 1/s number.
    for i in 0..10 {
        alice
            .post_ok(
                &format!("/api/workitems/{busy}/messages"),
                json!({"body": format!("reply {i}")}),
            )
            .await;
    }
    alice
        .post_ok(
            &format!("/api/workitems/{quiet}/messages"),
            json!({"body": "other number"}),
        )
        .await;

    // At the start: a burst of two from the busy number, and the other number is not held
    // behind its backlog.
    let start = server.clock.now();
    let sent = fake.wait_calls(3).await;
    assert!(sent.iter().any(|s| s.from == SECOND_NUMBER), "{sent:?}");

    // Then two per second: step the clock and let each step's sends happen.
    for step in 1..=4 {
        server.advance(1);
        fake.wait_calls(3 + 2 * step).await;
    }
    let sent = fake.wait_calls(11).await;
    assert_eq!(sent.len(), 11, "{sent:?}");
    // Counted per clock reading: never more than burst + rate × elapsed from one number.
    for s in sent.iter().filter(|s| s.from == OUR_NUMBER) {
        let elapsed = (s.at - start).num_seconds();
        let by_then = sent
            .iter()
            .filter(|o| o.from == OUR_NUMBER && o.at <= s.at)
            .count() as i64;
        assert!(
            by_then <= 2 + 2 * elapsed,
            "{by_then} sends by +{elapsed}s: {sent:?}"
        );
    }
    let bodies: Vec<&str> = sent
        .iter()
        .filter(|s| s.from == OUR_NUMBER)
        .map(|s| s.body.as_str())
        .collect();
    let expected: Vec<String> = (0..10).map(|i| format!("reply {i}")).collect();
    assert_eq!(bodies, expected, "in order, each once");
}

/// A campaign on `number` sending through `provider` (`None`: the server's default).
async fn campaign_with_provider(server: &TestServer, number: &str, provider: Option<&str>) {
    let queue = server.default_queue().await;
    let provider = provider.map(str::to_owned);
    let name = format!("via {provider:?}");
    server
        .campaign(&name, CampaignKind::Inbound, queue, number, move |c| {
            c.provider = provider
        })
        .await;
}

#[tokio::test]
async fn each_campaign_sends_through_its_own_provider() {
    use std::sync::atomic::Ordering;
    let (api, calls) = crate::webhooks::fake_twilio_api(0).await;
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    // The simulator is the default; Twilio is there too because its credentials are set.
    let server = TestServer::start_in(dir, |c| {
        c.sms.twilio.account_sid = "AC123".into();
        c.sms.twilio.api_base = api.clone();
    })
    .await;
    campaign_with_provider(&server, OUR_NUMBER, None).await;
    campaign_with_provider(&server, SECOND_NUMBER, Some("twilio")).await;
    campaign_with_provider(&server, "+14155550112", Some("pigeon")).await;
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], Some(5)).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;

    let mut statuses = Vec::new();
    for (i, ours) in [OUR_NUMBER, SECOND_NUMBER, "+14155550112"]
        .iter()
        .enumerate()
    {
        let customer = format!("+1415555020{i}");
        server
            .twilio_sms_to(&format!("SMp{i}"), &customer, ours, "hello")
            .await;
        let id = events.offer().await;
        alice
            .post_ok(&format!("/api/workitems/{id}/accept"), json!({}))
            .await;
        let sent = alice
            .post_ok(
                &format!("/api/workitems/{id}/messages"),
                json!({"body": "hi"}),
            )
            .await;
        let message = sent["message"]["id"].clone();
        let status = loop {
            let s = events.next_named("message_status").await;
            if s["message"] == message {
                break s;
            }
        };
        statuses.push(status);
    }
    // The simulator delivers at once; Twilio took one message; the unknown provider failed.
    assert_eq!(statuses[0]["status"], "delivered", "{:?}", statuses[0]);
    assert_eq!(statuses[1]["status"], "sent", "{:?}", statuses[1]);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(statuses[2]["status"], "failed");
    assert!(
        statuses[2]["error"].as_str().unwrap().contains("pigeon"),
        "{:?}",
        statuses[2]
    );
}
