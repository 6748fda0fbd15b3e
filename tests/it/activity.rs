//! `GET /api/activity`, what the workspace's list is drawn from after every (re)connect: for
//! each of the agent's active workitems, how many messages the customer sent and the latest
//! message each way, so the list can order itself, show the customer's wait and count unread
//! messages. Other agents' workitems and offers are not in it.

use serde_json::{Value, json};

use crate::common::*;

const ANN: &str = "+14155550123";
const BEN: &str = "+14155550124";

async fn activity(client: &Client) -> Value {
    let res = client.get("/api/activity").await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.expect("json")["activity"].clone()
}

#[tokio::test]
async fn activity_counts_the_customers_messages_and_marks_the_latest_each_way() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], None).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;
    assert_eq!(activity(&alice).await, json!({}));

    assert_eq!(server.twilio_sms("SMa1", ANN, "Hi").await.status(), 200);
    let ann = events.offer().await;
    // An offer is not the agent's yet.
    assert_eq!(activity(&alice).await, json!({}));
    alice
        .post_ok(&format!("/api/workitems/{ann}/accept"), json!({}))
        .await;
    server.advance(5);
    assert_eq!(
        server.twilio_sms("SMa2", ANN, "Anyone?").await.status(),
        200
    );
    let second = events.next_named("message").await["message"].clone();

    let a = &activity(&alice).await[ann.to_string()];
    assert_eq!(a["customer_messages"], 2);
    assert_eq!(a["last_in"]["id"], second["id"]);
    assert_eq!(a["last_in"]["at"], second["at"]);
    assert_eq!(a["last_out"], Value::Null);

    // The agent's answer is the latest message out; the customer's count stays.
    let reply = alice
        .post_ok(
            &format!("/api/workitems/{ann}/messages"),
            json!({"body": "Here!"}),
        )
        .await;
    let a = &activity(&alice).await[ann.to_string()];
    assert_eq!(a["customer_messages"], 2);
    assert_eq!(a["last_out"]["id"], reply["message"]["id"]);
    assert_eq!(a["last_in"]["id"], second["id"]);

    // Another agent's workitem is in their activity only.
    server.add_agent("bob", &[queue], None).await;
    let bob = server.login("bob").await;
    let mut bob_events = bob.events().await;
    bob.available().await;
    alice
        .post_ok("/api/presence", json!({"presence": "away"}))
        .await;
    assert_eq!(server.twilio_sms("SMb1", BEN, "Hello").await.status(), 200);
    let ben = bob_events.offer().await;
    bob.post_ok(&format!("/api/workitems/{ben}/accept"), json!({}))
        .await;
    let mine = activity(&alice).await;
    assert_eq!(
        mine.as_object().unwrap().keys().collect::<Vec<_>>(),
        [&ann.to_string()]
    );
    assert_eq!(
        activity(&bob).await[ben.to_string()]["customer_messages"],
        1
    );
    server.stop().await;
}
