//! The simulator can be every customer of every simulator number: it offers the numbers of
//! every campaign that sends through it (outbound and predictive ones too), names ours on each
//! message, and a customer's answer to an agent's outbound SMS joins that agent's workitem.

use parley::domain::Role;
use serde_json::{Value, json};

use crate::common::*;

const CUSTOMER: &str = "+14155550123";
const CUSTOMER_Q: &str = "%2B14155550123";

#[tokio::test]
async fn every_simulator_number_is_offered_and_an_answer_reaches_the_agent_who_wrote() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.simulator_number(queue).await;
    let follow_ups = server.follow_ups_number(queue).await;
    server.twilio_number(queue).await;
    server.add_agent("alice", &[queue], None).await;
    server.add_user("carol", Role::Agent).await;
    let alice = server.login("alice").await;
    let customer = server.login("carol").await;

    // The picker: inbound numbers first, each with its campaign's name; never a Twilio one.
    let html = customer.get("/simulator").await.text().await.unwrap();
    let support = html
        .find(&format!(
            "<option value=\"{OUR_NUMBER}\" data-name=\"Support line\""
        ))
        .expect("the Support line in the picker");
    let outbound = html
        .find(&format!(
            "<option value=\"{FOLLOW_UPS}\" data-name=\"Follow-ups\""
        ))
        .expect("the outbound campaign's number in the picker");
    assert!(support < outbound, "inbound numbers first");
    assert!(!html.contains(TWILIO_NUMBER), "{html}");

    // Alice texts the customer from Follow-ups; the phone's stream shows it from that number.
    let mut phone = Events::from_response(
        customer
            .get(&format!("/simulator/events?phone={CUSTOMER_Q}"))
            .await,
    );
    let mut agent = alice.events().await;
    let started = alice
        .post_ok(
            "/api/outbound",
            json!({"to": CUSTOMER, "body": "Is all well?", "campaign": follow_ups.0}),
        )
        .await;
    let id = started["workitem"]["id"].clone();
    let shown = phone.next_named("message").await;
    assert_eq!(
        (&shown["direction"], &shown["our_number"], &shown["body"]),
        (&json!("out"), &json!(FOLLOW_UPS), &json!("Is all well?"))
    );

    // The answer to that number joins alice's workitem: a message there, no new offer.
    customer
        .post_ok(
            "/simulator/messages",
            json!({"from": CUSTOMER, "to": FOLLOW_UPS, "body": "All good, thanks"}),
        )
        .await;
    let data = loop {
        let (name, data) = agent.next().await;
        assert_ne!(
            name, "offer",
            "the answer was offered as a new workitem: {data}"
        );
        if name == "message" && data["message"]["direction"] == "in" {
            break data;
        }
    };
    assert_eq!(data["message"]["workitem"], id);
    assert_eq!(data["message"]["body"], "All good, thanks");

    // A text to the Support line is another conversation, offered through the queue.
    alice.available().await;
    customer
        .post_ok(
            "/simulator/messages",
            json!({"from": CUSTOMER, "to": OUR_NUMBER, "body": "Another question"}),
        )
        .await;
    let offer = agent.next_named("offer").await;
    assert_ne!(offer["workitem"]["id"], id);

    // The transcript names our number on every message.
    let transcript: Value = customer
        .get(&format!("/simulator/messages?phone={CUSTOMER_Q}"))
        .await
        .json()
        .await
        .unwrap();
    let rows: Vec<(&str, &str, &str)> = transcript["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["direction"].as_str().unwrap(),
                m["our_number"].as_str().unwrap(),
                m["body"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("out", FOLLOW_UPS, "Is all well?"),
            ("in", FOLLOW_UPS, "All good, thanks"),
            ("in", OUR_NUMBER, "Another question"),
        ]
    );
    server.stop().await;
}
