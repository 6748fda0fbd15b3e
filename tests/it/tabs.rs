//! The read-only tabs of a workitem: Data, Information, Events; and who may see them.

use parley::domain::Role;
use serde_json::json;

use crate::common::*;

async fn accepted_workitem(server: &TestServer) -> (Client, u64) {
    let q = server.default_queue().await;
    server.add_agent("alice", &[q], None).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;
    server
        .twilio_sms("SM1", "+14155550101", "Where is my parcel?")
        .await;
    let id = events.offer().await;
    server.advance(7);
    alice
        .post_ok(&format!("/api/workitems/{id}/accept"), json!({}))
        .await;
    (alice, id)
}

async fn tab(client: &Client, id: u64, name: &str) -> (u16, String) {
    let res = client
        .get(&format!("/workspace/workitems/{id}/tabs/{name}"))
        .await;
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn information_and_events_show_the_workitem_and_its_timings() {
    let server = TestServer::start().await;
    let (alice, id) = accepted_workitem(&server).await;
    let (status, info) = tab(&alice, id, "information").await;
    assert_eq!(status, 200);
    assert!(info.contains(&format!("#{id}")));
    assert!(info.contains("Support"));
    assert!(info.contains("active"));
    assert!(
        info.contains("7 s"),
        "wait time from arrival to acceptance: {info}"
    );
    let (_, events) = tab(&alice, id, "events").await;
    for expected in [
        "Queued",
        "Customer message",
        "Offered to alice",
        "Accepted by alice",
        "+7 s",
    ] {
        assert!(events.contains(expected), "{expected} missing in {events}");
    }
    let (_, data) = tab(&alice, id, "data").await;
    assert!(data.contains("+14155550101"));
    server.stop().await;
}

#[tokio::test]
async fn only_the_agent_and_supervisors_see_a_workitems_tabs() {
    let server = TestServer::start().await;
    let (_, id) = accepted_workitem(&server).await;
    server.add_user("bob", Role::Agent).await;
    server.add_user("sue", Role::Supervisor).await;
    let bob = server.login("bob").await;
    let (status, body) = tab(&bob, id, "information").await;
    assert_eq!(status, 404);
    assert!(body.contains("No such workitem."));
    let sue = server.login("sue").await;
    assert_eq!(tab(&sue, id, "events").await.0, 200);
    let (status, _) = tab(&sue, 999, "data").await;
    assert_eq!(status, 404);
    let anonymous = Client::anonymous(&server.url);
    assert_eq!(tab(&anonymous, id, "data").await.0, 303);
    server.stop().await;
}
