//! The simulator is a demo tool for logged-in users, acting only for the numbers of campaigns
//! that send through it: anonymous visitors cannot read, follow or inject texts, a real
//! (Twilio) number is refused with the reason, a customer's Twilio messages never show on the
//! simulated phone, and without a simulator campaign there is no simulator.

use parley::domain::{CampaignKind, E164, Role};
use serde_json::json;

use crate::common::*;

const CUSTOMER: &str = "+14155550123";
const CUSTOMER_Q: &str = "%2B14155550123";

/// A server whose `OUR_NUMBER` sends through the simulator and `TWILIO_NUMBER` through Twilio.
async fn server_with_both() -> TestServer {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.simulator_number(queue).await;
    server.twilio_number(queue).await;
    server.add_user("alice", Role::Agent).await;
    server
}

/// Every stored message with `phone`, as (our number, body).
async fn stored(server: &TestServer, phone: &str) -> Vec<(String, String)> {
    let phone = E164::parse(phone).unwrap();
    server
        .state
        .store
        .read(move |txn| parley::store::messages_with(txn, &phone))
        .await
        .unwrap()
        .into_iter()
        .map(|(w, m)| (w.our_number.to_string(), m.body))
        .collect()
}

async fn text(client: &Client, to: &str, body: &str) -> reqwest::Response {
    client
        .post(
            "/simulator/messages",
            json!({"from": CUSTOMER, "to": to, "body": body}),
        )
        .await
}

#[tokio::test]
async fn anonymous_visitors_cannot_read_follow_or_text() {
    let server = server_with_both().await;
    // A visitor with a pre-login CSRF token of their own, as the old page handed out.
    let visitor = Client::anonymous(&server.url);
    let html = visitor.get("/login").await.text().await.unwrap();
    let visitor = Client {
        csrf: hidden_csrf(&html),
        ..visitor
    };

    let page = visitor.get(&format!("/simulator?phone={CUSTOMER_Q}")).await;
    assert_eq!(page.status(), 303);
    assert_eq!(
        page.headers()["location"],
        "/login?next=/simulator%3Fphone%3D%252B14155550123"
    );
    let read = visitor
        .get(&format!("/simulator/messages?phone={CUSTOMER_Q}"))
        .await;
    assert_eq!(read.status(), 401);
    let stream = visitor
        .get(&format!("/simulator/events?phone={CUSTOMER_Q}"))
        .await;
    assert_eq!(stream.status(), 401);
    for body in ["STOP", "HELP", "hello"] {
        let res = text(&visitor, OUR_NUMBER, body).await;
        assert_eq!(res.status(), 401, "{body}");
        let res = text(&visitor, TWILIO_NUMBER, body).await;
        assert_eq!(res.status(), 401, "{body}");
    }
    assert_eq!(stored(&server, CUSTOMER).await, vec![]);

    // Logged in, the pre-login token no longer does: the page's calls carry the session's.
    let alice = server.login("alice").await;
    let with_anon_token = Client {
        csrf: visitor.csrf.clone(),
        ..alice
    };
    let res = text(&with_anon_token, OUR_NUMBER, "hello").await;
    assert_eq!(res.status(), 403);
    assert_eq!(stored(&server, CUSTOMER).await, vec![]);
    server.stop().await;
}

#[tokio::test]
async fn a_number_that_sends_through_twilio_is_refused_with_the_reason() {
    let server = server_with_both().await;
    let alice = server.login("alice").await;

    // The picker offers only the simulator's numbers.
    let html = alice.get("/simulator").await.text().await.unwrap();
    assert!(
        html.contains(&format!("<option value=\"{OUR_NUMBER}\"")),
        "{html}"
    );
    assert!(!html.contains(TWILIO_NUMBER), "{html}");

    for body in ["STOP", "HELP", "hello"] {
        let res = text(&alice, TWILIO_NUMBER, body).await;
        assert_eq!(res.status(), 403, "{body}");
        let error: serde_json::Value = res.json().await.unwrap();
        let error = error["error"].as_str().unwrap();
        assert!(
            error.contains("Real customers") && error.contains("twilio"),
            "{error}"
        );
    }
    // A number no campaign owns is refused too.
    let res = text(&alice, "+14155550199", "hello").await;
    assert_eq!(res.status(), 403);
    assert_eq!(stored(&server, CUSTOMER).await, vec![]);

    // The simulator's own number works.
    alice
        .post_ok(
            "/simulator/messages",
            json!({"from": CUSTOMER, "to": OUR_NUMBER, "body": "hello"}),
        )
        .await;
    assert_eq!(
        stored(&server, CUSTOMER).await,
        vec![(OUR_NUMBER.to_owned(), "hello".to_owned())]
    );
    server.stop().await;
}

#[tokio::test]
async fn the_phone_shows_only_what_the_simulator_carried() {
    let server = server_with_both().await;
    let alice = server.login("alice").await;
    let res = server
        .twilio_sms_to("SMsecret1", CUSTOMER, TWILIO_NUMBER, "my card is 4111")
        .await;
    assert_eq!(res.status(), 200);
    alice
        .post_ok(
            "/simulator/messages",
            json!({"from": CUSTOMER, "to": OUR_NUMBER, "body": "simulated hello"}),
        )
        .await;
    // Both are stored for this customer, but the transcript holds only the simulator's.
    assert_eq!(stored(&server, CUSTOMER).await.len(), 2);
    let transcript: serde_json::Value = alice
        .get(&format!("/simulator/messages?phone={CUSTOMER_Q}"))
        .await
        .json()
        .await
        .unwrap();
    let bodies: Vec<&str> = transcript["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["simulated hello"]);

    // Live: a Twilio text is answered (so routed) before the simulator's, yet the stream's
    // first message is the simulator's.
    let res = alice
        .get(&format!("/simulator/events?phone={CUSTOMER_Q}"))
        .await;
    assert_eq!(res.status(), 200);
    let mut stream = Events::from_response(res);
    let res = server
        .twilio_sms_to("SMsecret2", CUSTOMER, TWILIO_NUMBER, "my pin is 1234")
        .await;
    assert_eq!(res.status(), 200);
    alice
        .post_ok(
            "/simulator/messages",
            json!({"from": CUSTOMER, "to": OUR_NUMBER, "body": "simulated again"}),
        )
        .await;
    let first = stream.next_named("message").await;
    assert_eq!(first["body"], "simulated again");
    assert_eq!(first["our_number"], OUR_NUMBER);
    server.stop().await;
}

#[tokio::test]
async fn without_a_simulator_campaign_there_is_no_simulator() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.add_user("alice", Role::Agent).await;
    let alice = server.login("alice").await;

    async fn statuses(alice: &Client) -> [u16; 4] {
        [
            alice.get("/simulator").await.status().as_u16(),
            alice
                .get(&format!("/simulator/messages?phone={CUSTOMER_Q}"))
                .await
                .status()
                .as_u16(),
            alice
                .get(&format!("/simulator/events?phone={CUSTOMER_Q}"))
                .await
                .status()
                .as_u16(),
            text(alice, OUR_NUMBER, "hello").await.status().as_u16(),
        ]
    }
    assert_eq!(statuses(&alice).await, [404; 4], "no campaign at all");
    server.twilio_number(queue).await;
    assert_eq!(statuses(&alice).await, [404; 4], "only a Twilio campaign");
    assert_eq!(stored(&server, CUSTOMER).await, vec![]);

    // Decided per request: a campaign choosing the simulator opens it at once.
    server
        .campaign("Demo", CampaignKind::Inbound, queue, OUR_NUMBER, |c| {
            c.provider = Some("simulator".into())
        })
        .await;
    let page = alice.get("/simulator").await;
    assert_eq!(page.status(), 200);
    let read = alice
        .get(&format!("/simulator/messages?phone={CUSTOMER_Q}"))
        .await;
    assert_eq!(read.status(), 200);
    let res = text(&alice, OUR_NUMBER, "hello").await;
    assert_eq!(res.status(), 200);
    server.stop().await;
}
