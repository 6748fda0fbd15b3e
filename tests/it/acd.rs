//! The ACD's routing rules, each over HTTP with live SSE streams and a manual clock.

use parley::domain::{CampaignKind, E164, EventKind, QueueId, UserId, WorkitemId};
use serde_json::json;

use crate::common::*;

struct Agent {
    id: UserId,
    client: Client,
    events: Events,
}

/// Logs an agent in, opens their live stream and makes them Available.
async fn ready(
    server: &TestServer,
    name: &str,
    queues: &[QueueId],
    capacity: Option<u32>,
) -> Agent {
    let user = server.add_agent(name, queues, capacity).await;
    let client = server.login(name).await;
    let events = client.events().await;
    client.available().await;
    Agent {
        id: user.id,
        client,
        events,
    }
}

async fn offers_of(server: &TestServer, agent: UserId) -> Vec<u64> {
    let snap = server.state.acd.snapshot(agent).await.unwrap();
    snap.view.offers.iter().map(|(w, _)| w.0).collect()
}

async fn events_of(server: &TestServer, id: u64) -> Vec<EventKind> {
    server
        .state
        .store
        .read(move |txn| parley::store::events_of(txn, WorkitemId(id)))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

/// The workitem's events once `done` holds for them (they are persisted asynchronously).
async fn events_until(
    server: &TestServer,
    id: u64,
    done: impl Fn(&[EventKind]) -> bool,
) -> Vec<EventKind> {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let kinds = events_of(server, id).await;
        if done(&kinds) {
            return kinds;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "events never complete: {kinds:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

async fn accept(agent: &Agent, id: u64) {
    agent
        .client
        .post_ok(&format!("/api/workitems/{id}/accept"), json!({}))
        .await;
}

async fn terminate(agent: &Agent, id: u64) {
    agent
        .client
        .post_ok(&format!("/api/workitems/{id}/terminate"), json!({}))
        .await;
}

#[tokio::test]
async fn longest_idle_agent_is_offered_first() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let mut alice = ready(&server, "alice", &[q], None).await;
    server.advance(1);
    let mut bob = ready(&server, "bob", &[q], None).await;
    server.advance(1);
    server.twilio_sms("SM1", "+14155550101", "first").await;
    let first = alice.events.offer().await;
    server.advance(1);
    server.twilio_sms("SM2", "+14155550102", "second").await;
    // Alice was just given work; Bob has now waited longest.
    let second = bob.events.offer().await;
    assert_ne!(first, second);
    assert_eq!(offers_of(&server, alice.id).await, vec![first]);
    server.stop().await;
}

#[tokio::test]
async fn capacity_is_respected() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let mut alice = ready(&server, "alice", &[q], Some(1)).await;
    server.twilio_sms("SM1", "+14155550101", "one").await;
    let first = alice.events.offer().await;
    server.twilio_sms("SM2", "+14155550102", "two").await;
    server.twilio_sms("SM3", "+14155550103", "three").await;
    assert_eq!(
        offers_of(&server, alice.id).await,
        vec![first],
        "full at capacity 1"
    );
    accept(&alice, first).await;
    assert_eq!(offers_of(&server, alice.id).await, Vec::<u64>::new());
    terminate(&alice, first).await;
    let second = alice.events.offer().await;
    assert_ne!(second, first);
    assert_eq!(offers_of(&server, alice.id).await, vec![second]);
    server.stop().await;
}

/// Signed inbound webhook to one of our numbers.
async fn text(server: &TestServer, sid: &str, from: &str, to: &str) {
    let res = server.twilio_sms_to(sid, from, to, "hi").await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn higher_priority_first_then_oldest() {
    let server = TestServer::start().await;
    let low = server.default_queue().await;
    let vip_number = E164::parse("+14155550199").unwrap();
    let vip = server
        .state
        .store
        .write(move |txn| {
            let q = parley::store::insert_queue(txn, "VIP", 5, 20)?;
            parley::store::insert_campaign(
                txn,
                "VIP line",
                CampaignKind::Inbound,
                q.id,
                vec![vip_number],
            )?;
            Ok(q)
        })
        .await
        .unwrap();
    server.state.acd.queue_changed(vip.clone());
    let user = server.add_agent("alice", &[low, vip.id], Some(1)).await;
    let client = server.login("alice").await;
    let events = client.events().await;
    let mut alice = Agent {
        id: user.id,
        client,
        events,
    };
    text(&server, "SMlow", "+14155550101", OUR_NUMBER).await;
    server.advance(1);
    text(&server, "SMvip1", "+14155550102", "+14155550199").await;
    server.advance(1);
    text(&server, "SMvip2", "+14155550103", "+14155550199").await;

    alice.client.available().await;
    let mut order = Vec::new();
    for _ in 0..3 {
        let offer = alice.events.next_named("offer").await;
        let id = offer["workitem"]["id"].as_u64().unwrap();
        order.push(offer["workitem"]["customer"].as_str().unwrap().to_owned());
        if order.len() == 1 {
            assert_eq!(offer["workitem"]["queue_name"], "VIP");
        }
        accept(&alice, id).await;
        terminate(&alice, id).await;
    }
    assert_eq!(order, vec!["+14155550102", "+14155550103", "+14155550101"]);
    server.stop().await;
}

#[tokio::test]
async fn an_offer_not_taken_in_time_goes_to_the_next_agent() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let mut alice = ready(&server, "alice", &[q], None).await;
    server.advance(1);
    let mut bob = ready(&server, "bob", &[q], None).await;
    server.twilio_sms("SM1", "+14155550101", "anyone?").await;
    let id = alice.events.offer().await;
    server.advance(19);
    assert_eq!(
        offers_of(&server, alice.id).await,
        vec![id],
        "not yet timed out"
    );
    server.advance(1);
    let withdrawn = alice.events.next_named("offer_withdrawn").await;
    assert_eq!(withdrawn["workitem"], id);
    assert_eq!(withdrawn["reason"], "timed_out");
    assert_eq!(bob.events.offer().await, id);
    // Bob lets it lapse too; Alice is still skipped for it, so it waits.
    server.advance(20);
    bob.events.next_named("offer_withdrawn").await;
    assert_eq!(offers_of(&server, alice.id).await, Vec::<u64>::new());
    assert_eq!(offers_of(&server, bob.id).await, Vec::<u64>::new());
    // Routing steps are written behind the ACD (it never waits on the disk): wait for them.
    let kinds = events_until(&server, id, |k| k.len() >= 6).await;
    assert!(matches!(kinds[0], EventKind::Queued { .. }));
    assert!(kinds.contains(&EventKind::Offered { agent: alice.id }));
    assert!(kinds.contains(&EventKind::TimedOut { agent: alice.id }));
    assert!(kinds.contains(&EventKind::Offered { agent: bob.id }));
    assert!(kinds.contains(&EventKind::TimedOut { agent: bob.id }));
    // After the skip period, it is offered again.
    server.advance(120);
    let again = alice.events.offer().await;
    assert_eq!(again, id);
    server.stop().await;
}

#[tokio::test]
async fn reject_goes_to_the_next_agent_at_once() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let mut alice = ready(&server, "alice", &[q], None).await;
    server.advance(1);
    let mut bob = ready(&server, "bob", &[q], None).await;
    server.twilio_sms("SM1", "+14155550101", "hello").await;
    let id = alice.events.offer().await;
    // Bob cannot accept what was not offered to him.
    let res = bob
        .client
        .post(&format!("/api/workitems/{id}/accept"), json!({}))
        .await;
    assert_eq!(res.status(), 409);
    alice
        .client
        .post_ok(&format!("/api/workitems/{id}/reject"), json!({}))
        .await;
    assert_eq!(bob.events.offer().await, id);
    events_until(&server, id, |k| {
        k.contains(&EventKind::Rejected { agent: alice.id })
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn closing_the_last_tab_withdraws_offers_but_keeps_accepted_work() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let alice = ready(&server, "alice", &[q], None).await;
    server.advance(1);
    let mut bob = ready(&server, "bob", &[q], Some(1)).await;
    server.advance(1);
    let Agent {
        id: alice_id,
        client: alice_client,
        events: mut alice_events,
    } = alice;
    server.twilio_sms("SM1", "+14155550101", "mine").await;
    let kept = alice_events.offer().await;
    alice_client
        .post_ok(&format!("/api/workitems/{kept}/accept"), json!({}))
        .await;
    server.advance(1);
    server.twilio_sms("SM2", "+14155550102", "for bob").await;
    let bobs = bob.events.offer().await;
    bob.client
        .post_ok(&format!("/api/workitems/{bobs}/accept"), json!({}))
        .await;
    bob.client
        .post_ok(&format!("/api/workitems/{bobs}/terminate"), json!({}))
        .await;
    server.advance(1);
    server.twilio_sms("SM3", "+14155550103", "pending").await;
    let pending = alice_events.offer().await;
    // Alice closes her only tab: the pending offer moves to Bob at once.
    drop(alice_events);
    assert_eq!(bob.events.offer().await, pending);
    let snap = server.state.acd.snapshot(alice_id).await.unwrap();
    assert!(snap.view.offers.is_empty());
    assert_eq!(
        snap.view.active,
        vec![WorkitemId(kept)],
        "accepted work stays hers"
    );
    // She comes back: the sync shows it, and customer messages reach her.
    let mut back = alice_client.events().await;
    server
        .twilio_sms("SM4", "+14155550101", "still there?")
        .await;
    let m = back.next_named("message").await;
    assert_eq!(m["message"]["workitem"], kept);
    server.stop().await;
}

#[tokio::test]
async fn going_away_withdraws_offers_and_stops_new_ones() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let mut alice = ready(&server, "alice", &[q], None).await;
    server.twilio_sms("SM1", "+14155550101", "hi").await;
    let id = alice.events.offer().await;
    let res = alice
        .client
        .post_ok(
            "/api/presence",
            json!({"presence": "away", "reason": "Lunch"}),
        )
        .await;
    assert_eq!(res["view"]["presence"], "away");
    assert_eq!(res["view"]["away_reason"], "Lunch");
    let w = alice.events.next_named("offer_withdrawn").await;
    assert_eq!(w["workitem"], id);
    assert_eq!(w["reason"], "agent_left");
    assert!(offers_of(&server, alice.id).await.is_empty());
    // Back to Available: offered again (leaving did not skip her).
    alice.client.available().await;
    assert_eq!(alice.events.offer().await, id);
    // Bad presence input is a clear 400.
    let bad = alice
        .client
        .post("/api/presence", json!({"presence": "asleep"}))
        .await;
    assert_eq!(bad.status(), 400);
    server.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_queued_and_active_workitems() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let mut alice = ready(&server, "alice", &[q], None).await;
    server.add_agent("bob", &[q], None).await;
    server
        .twilio_sms("SM1", "+14155550101", "accepted before restart")
        .await;
    let active = alice.events.offer().await;
    accept(&alice, active).await;
    alice
        .client
        .post_ok("/api/presence", json!({"presence": "offline"}))
        .await;
    server
        .twilio_sms("SM2", "+14155550102", "queued before restart")
        .await;
    let dir = server.stop().await;

    let server = TestServer::start_in(dir, |_| {}).await;
    // Alice's session survived (cookies do not depend on the port); her stream's sync shows
    // her active workitem.
    alice.client.base = server.url.clone();
    let res = alice.client.get("/api/events").await;
    assert_eq!(res.status(), 200);
    let mut events = Events::from_response(res);
    let sync = events.next_named("sync").await;
    assert_eq!(sync["active"][0]["id"], active);
    // The queued one is offered once an agent is available.
    let bob = server.login("bob").await;
    let mut bob_events = bob.events().await;
    bob.available().await;
    let offered = bob_events.offer().await;
    assert_ne!(offered, active);
    // And a customer message on the active one still reaches Alice.
    server
        .twilio_sms("SM3", "+14155550101", "after restart")
        .await;
    let m = events.next_named("message").await;
    assert_eq!(m["message"]["workitem"], active);
    server.stop().await;
}

/// The start reads every waiting workitem back into the routing state, on a thread that then
/// only waits; the page cache those reads filled is emptied before the server serves, so its
/// memory goes back with that thread's (it would otherwise stay with it for good).
#[tokio::test]
async fn a_start_empties_the_page_cache_its_reading_back_filled() {
    let server = TestServer::start().await;
    // About 0.8 MB of pages read back (kept without the emptying), against a few pages that the
    // tasks started since read.
    for i in 0..600 {
        server
            .twilio_sms(&format!("SM{i}"), &format!("+1415555{i:04}"), "waiting")
            .await;
    }
    let dir = server.stop().await;

    let server = TestServer::start_in(dir, |_| {}).await;
    let cached = server.state.store.page_cache().bytes;
    server.stop().await;
    assert!(
        cached < 160 * 1024,
        "{cached} bytes still cached at the start"
    );
}
