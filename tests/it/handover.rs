//! Moving conversations between people over HTTP: transfer to a queue and to a named agent
//! (accept, reject → queue, lapse → queue, target at capacity), a supervisor's whisper that
//! never reaches the customer, taking over, and monitoring (the agent is told who watches).

use parley::domain::Role;
use serde_json::{Value, json};

use crate::common::*;

const CUSTOMER: &str = "+14155550123";

/// A server with one queue and a simulator number, agents alice and bob (Available, streams
/// open) and supervisor sam; alice holds the customer's workitem.
struct Floor {
    server: TestServer,
    alice: Client,
    alice_events: Events,
    bob: Client,
    bob_events: Events,
    sam: Client,
    workitem: u64,
}

async fn floor(bob_capacity: Option<u32>) -> Floor {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.simulator_number(queue).await;
    server.add_agent("alice", &[queue], None).await;
    server.add_agent("bob", &[queue], bob_capacity).await;
    server.add_user("sam", Role::Supervisor).await;
    let alice = server.login("alice").await;
    let bob = server.login("bob").await;
    let sam = server.login("sam").await;
    let mut alice_events = alice.events().await;
    alice.available().await;
    assert_eq!(
        server.twilio_sms("SM1", CUSTOMER, "hello").await.status(),
        200
    );
    let workitem = alice.accept_next(&mut alice_events).await;
    let bob_events = bob.events().await;
    bob.available().await;
    Floor {
        server,
        alice,
        alice_events,
        bob,
        bob_events,
        sam,
        workitem,
    }
}

/// Waits until the workitem's Events tab shows every one of `steps` (routing steps are
/// written behind the ACD), and returns its text.
async fn events_showing(client: &Client, workitem: u64, steps: &[&str]) -> String {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let res = client
            .get(&format!("/workspace/workitems/{workitem}/tabs/events"))
            .await;
        assert_eq!(res.status(), 200);
        let text = res.text().await.unwrap();
        if steps.iter().all(|s| text.contains(s)) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the Events tab never showed all of {steps:?}: {text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

async fn user_id(server: &TestServer, name: &str) -> u64 {
    let name = name.to_owned();
    server
        .state
        .store
        .read(move |t| parley::store::user_by_name(t, &name))
        .await
        .unwrap()
        .unwrap()
        .id
        .0
}

#[tokio::test]
async fn transfer_to_an_agent_who_accepts_keeps_the_history_and_the_note() {
    let mut f = floor(None).await;
    let bob_id = user_id(&f.server, "bob").await;
    let w = f.workitem;
    f.alice
        .post_ok(
            &format!("/api/workitems/{w}/messages"),
            json!({"body": "Let me check"}),
        )
        .await;
    let res = f
        .alice
        .post_ok(
            &format!("/api/workitems/{w}/transfer"),
            json!({"agent": bob_id, "note": "billing question"}),
        )
        .await;
    assert_eq!(res["to"], "bob");
    // Alice is told why it left her list; Bob gets an offer that says how it came.
    let removed = f.alice_events.next_named("removed").await;
    assert_eq!(removed["workitem"], w);
    assert_eq!(removed["why"], "Transferred to bob");
    let offer = f.bob_events.next_named("offer").await;
    assert_eq!(offer["workitem"]["id"], w);
    assert_eq!(
        offer["workitem"]["handover"],
        "Transferred by alice to bob (billing question)"
    );
    f.bob
        .post_ok(&format!("/api/workitems/{w}/accept"), json!({}))
        .await;
    let detail: Value = f
        .bob
        .get(&format!("/api/workitems/{w}"))
        .await
        .json()
        .await
        .unwrap();
    let bodies: Vec<&str> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["hello", "Let me check"],
        "the history moved with it"
    );
    assert_eq!(
        detail["asides"][0]["text"],
        "Transferred by alice to bob (billing question)"
    );
    // Alice no longer holds it: she cannot reply or terminate.
    let res = f
        .alice
        .post(&format!("/api/workitems/{w}/terminate"), json!({}))
        .await;
    assert_eq!(res.status(), 409);
    events_showing(
        &f.bob,
        w,
        &["Transferred by alice to bob (billing question)"],
    )
    .await;
    // The customer noticed nothing: the only message they got is alice's reply.
    let out = f.server.stored_messages(w).await;
    assert_eq!(out.len(), 2);
}

#[tokio::test]
async fn a_named_agent_who_rejects_sends_it_to_the_queue_and_a_lapse_does_too() {
    let mut f = floor(None).await;
    let bob_id = user_id(&f.server, "bob").await;
    let queue = f.server.default_queue().await;
    f.server.add_agent("carol", &[queue], None).await;
    let carol = f.server.login("carol").await;
    let mut carol_events = carol.events().await;
    carol.available().await;
    let w = f.workitem;
    f.alice
        .post_ok(
            &format!("/api/workitems/{w}/transfer"),
            json!({"agent": bob_id}),
        )
        .await;
    assert_eq!(f.bob_events.offer().await, w);
    f.bob
        .post_ok(&format!("/api/workitems/{w}/reject"), json!({}))
        .await;
    // Neither the giver nor the one who declined: carol, from the queue.
    assert_eq!(carol_events.offer().await, w);
    // Carol lets it lapse: it waits in the queue for whoever may take it (nobody yet).
    f.server.advance(31);
    let withdrawn = carol_events.next_named("offer_withdrawn").await;
    assert_eq!(withdrawn["reason"], "timed_out");
    let steps = [
        "Transferred by alice to bob",
        "Rejected by bob",
        "Offered to carol",
        "Not answered in time by carol",
    ];
    events_showing(&f.sam, w, &steps).await;
}

#[tokio::test]
async fn transfer_to_a_queue_routes_it_like_a_new_arrival_at_its_old_place() {
    let mut f = floor(None).await;
    let w = f.workitem;
    let queue = f.server.default_queue().await;
    f.alice
        .post_ok(
            &format!("/api/workitems/{w}/transfer"),
            json!({"queue": queue.0}),
        )
        .await;
    f.alice_events.next_named("removed").await;
    // Alice handed it on, so Bob gets it.
    assert_eq!(f.bob_events.offer().await, w);
    events_showing(&f.sam, w, &["Transferred by alice to queue Support"]).await;
}

#[tokio::test]
async fn a_transfer_the_target_cannot_take_is_refused_and_nothing_moves() {
    let mut f = floor(Some(1)).await;
    let bob_id = user_id(&f.server, "bob").await;
    let w = f.workitem;
    // Bob's one place is taken by an offer (alice, Away, gets none).
    f.alice
        .post_ok("/api/presence", json!({"presence": "away"}))
        .await;
    assert_eq!(
        f.server
            .twilio_sms("SM2", "+14155550199", "hi")
            .await
            .status(),
        200
    );
    f.bob_events.offer().await;
    let res = f
        .alice
        .post(
            &format!("/api/workitems/{w}/transfer"),
            json!({"agent": bob_id}),
        )
        .await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["error"],
        "that agent has no room for another conversation"
    );
    f.bob
        .post_ok("/api/presence", json!({"presence": "away"}))
        .await;
    let res = f
        .alice
        .post(
            &format!("/api/workitems/{w}/transfer"),
            json!({"agent": bob_id}),
        )
        .await;
    assert_eq!(res.status(), 409);
    // Still alice's.
    f.alice
        .post_ok(
            &format!("/api/workitems/{w}/messages"),
            json!({"body": "still here"}),
        )
        .await;
}

#[tokio::test]
async fn bad_transfers_get_clear_errors() {
    let f = floor(None).await;
    let w = f.workitem;
    let bob_id = user_id(&f.server, "bob").await;
    let path = format!("/api/workitems/{w}/transfer");
    let cases = [
        (json!({}), 400, "Give either"),
        (json!({"queue": 1, "agent": bob_id}), 400, "Give either"),
        (json!({"queue": 999}), 404, "There is no queue 999."),
        (json!({"agent": 999}), 404, "There is no agent 999."),
        (
            json!({"agent": bob_id, "note": "x".repeat(501)}),
            400,
            "at most 500",
        ),
    ];
    for (body, status, error) in cases {
        let res = f.alice.post(&path, body.clone()).await;
        assert_eq!(res.status(), status, "{body}");
        let got: Value = res.json().await.unwrap();
        assert!(
            got["error"].as_str().unwrap().contains(error),
            "{body}: {got}"
        );
    }
    // Another agent may not move alice's conversation.
    let res = f.bob.post(&path, json!({"queue": 1})).await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_whisper_reaches_the_agent_and_the_events_never_the_customer() {
    let mut f = floor(None).await;
    let w = f.workitem;
    let path = format!("/api/supervisor/workitems/{w}/whisper");
    let res = f.sam.post(&path, json!({"text": "  "})).await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        f.alice.post(&path, json!({"text": "hi"})).await.status(),
        403
    );
    f.sam
        .post_ok(&path, json!({"text": "Offer the loyalty discount"}))
        .await;
    let aside = f.alice_events.next_named("aside").await;
    assert_eq!(aside["workitem"], w);
    assert_eq!(aside["aside"]["kind"], "whisper");
    assert_eq!(
        aside["aside"]["text"],
        "Whisper from sam: Offer the loyalty discount"
    );
    events_showing(
        &f.alice,
        w,
        &["Whisper from sam: Offer the loyalty discount"],
    )
    .await;
    // Not a message: nothing in the conversation, the outbox or the simulated phone.
    let messages = f.server.stored_messages(w).await;
    assert!(
        messages.iter().all(|m| !m.body.contains("loyalty")),
        "{messages:?}"
    );
    let phone: Value = f
        .sam
        .get("/simulator/messages?phone=%2B14155550123")
        .await
        .json()
        .await
        .unwrap();
    assert!(!phone.to_string().contains("loyalty"), "{phone}");
    // After the end nobody would read it.
    f.alice
        .post_ok(&format!("/api/workitems/{w}/terminate"), json!({}))
        .await;
    assert_eq!(
        f.sam.post(&path, json!({"text": "late"})).await.status(),
        409
    );
}

#[tokio::test]
async fn a_supervisor_takes_over_and_the_agent_is_told() {
    let mut f = floor(None).await;
    let w = f.workitem;
    let path = format!("/api/supervisor/workitems/{w}/take-over");
    assert_eq!(f.bob.post(&path, json!({})).await.status(), 403);
    let mut sam_events = f.sam.events().await;
    f.sam.post_ok(&path, json!({})).await;
    let removed = f.alice_events.next_named("removed").await;
    assert_eq!(removed["why"], "sam took over this conversation");
    let assigned = sam_events.next_named("assigned").await;
    assert_eq!(assigned["workitem"]["id"], w);
    f.sam
        .post_ok(
            &format!("/api/workitems/{w}/messages"),
            json!({"body": "Sam here"}),
        )
        .await;
    events_showing(&f.sam, w, &["sam took over from alice"]).await;
    assert_eq!(f.sam.post(&path, json!({})).await.status(), 409);
    f.sam
        .post_ok(&format!("/api/workitems/{w}/terminate"), json!({}))
        .await;
}

#[tokio::test]
async fn monitoring_streams_the_conversation_and_tells_the_agent() {
    let mut f = floor(None).await;
    let w = f.workitem;
    let res = f
        .sam
        .get(&format!("/api/supervisor/workitems/{w}/events"))
        .await;
    assert_eq!(res.status(), 200);
    let mut monitor = Events::from_response(res);
    let watched = f.alice_events.next_named("watched").await;
    assert_eq!(watched["by"], json!(["sam"]));
    let detail: Value = f
        .alice
        .get(&format!("/api/workitems/{w}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["watched_by"], json!(["sam"]));
    // The customer and the agent write; the monitor sees both as they happen.
    assert_eq!(
        f.server
            .twilio_sms("SM3", CUSTOMER, "any news?")
            .await
            .status(),
        200
    );
    let m = monitor.next_named("message").await;
    assert_eq!(m["message"]["body"], "any news?");
    f.alice
        .post_ok(
            &format!("/api/workitems/{w}/messages"),
            json!({"body": "Yes!"}),
        )
        .await;
    let m = monitor.next_named("message").await;
    assert_eq!(m["message"]["body"], "Yes!");
    // The page itself renders for a supervisor, with its forms.
    let page = f.sam.get(&format!("/supervisor/workitems/{w}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"whisper-form\"") && html.contains("id=\"take-over\""));
    // Closing the monitor tells the agent nobody watches any more.
    drop(monitor);
    let watched = f.alice_events.next_named("watched").await;
    assert_eq!(watched["by"], json!([]));
    // The end reaches a monitor too.
    let res = f
        .sam
        .get(&format!("/api/supervisor/workitems/{w}/events"))
        .await;
    let mut monitor = Events::from_response(res);
    f.alice
        .post_ok(&format!("/api/workitems/{w}/terminate"), json!({}))
        .await;
    let end = monitor.next_named("terminated").await;
    assert_eq!(end["workitem"], w);
}
