//! Every change of an agent's state is stored with its time and reason (for reports of time
//! in each state), whoever made it; saying the same state again records nothing, and a
//! restart closes whatever state was open with Offline.

use parley::domain::{Presence, PresenceChange, Role, UserId};
use serde_json::json;

use crate::common::*;

/// The agent's recorded changes once there are `n` of them (they are written behind the
/// routing engine).
async fn log_of(server: &TestServer, agent: UserId, n: usize) -> Vec<PresenceChange> {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let (from, to) = (
            server.clock.now() - chrono::Duration::days(1),
            server.clock.now() + chrono::Duration::days(1),
        );
        let log = server
            .state
            .store
            .read(move |t| parley::store::presence_log(t, agent, from, to))
            .await
            .unwrap();
        if log.len() >= n {
            assert_eq!(log.len(), n, "more changes than expected: {log:?}");
            return log;
        }
        assert!(tokio::time::Instant::now() < deadline, "only {log:?}");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn each_state_change_is_stored_with_its_time_and_reason() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice = server.add_agent("alice", &[queue], None).await;
    server.add_user("sam", Role::Supervisor).await;
    let agent = server.login("alice").await;
    let sam = server.login("sam").await;
    let _events = agent.events().await;
    let t0 = server.clock.now();
    agent.available().await;
    agent.available().await; // the same state again: nothing new
    server.advance(60);
    agent
        .post_ok(
            "/api/presence",
            json!({"presence": "away", "reason": "Lunch"}),
        )
        .await;
    server.advance(30);
    sam.post_ok(
        &format!("/api/supervisor/agents/{}/presence", alice.id),
        json!({"presence": "offline"}),
    )
    .await;
    let log = log_of(&server, alice.id, 3).await;
    let got: Vec<(i64, Presence, Option<&str>)> = log
        .iter()
        .map(|c| ((c.at - t0).num_seconds(), c.presence, c.reason.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (0, Presence::Available, None),
            (60, Presence::Away, Some("Lunch")),
            (90, Presence::Offline, None),
        ]
    );
    // A range starting later begins with the state it starts in.
    let (from, to) = (t0 + chrono::Duration::seconds(70), server.clock.now());
    let id = alice.id;
    let tail = server
        .state
        .store
        .read(move |t| parley::store::presence_log(t, id, from, to))
        .await
        .unwrap();
    assert_eq!(tail.first().map(|c| c.presence), Some(Presence::Away));
    server.stop().await;
}

#[tokio::test]
async fn a_restart_closes_an_open_state_with_offline() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice = server.add_agent("alice", &[queue], None).await;
    let agent = server.login("alice").await;
    let events = agent.events().await;
    agent.available().await;
    log_of(&server, alice.id, 1).await;
    drop(events);
    let port = server.port();
    let dir = server.stop().await;
    let server = TestServer::restart(port, dir).await;
    let log = log_of(&server, alice.id, 2).await;
    assert_eq!(log[1].presence, Presence::Offline);
    assert_eq!(log[1].reason.as_deref(), Some("restart"));
    // A second restart finds her Offline already and adds nothing.
    let dir = server.stop().await;
    let server = TestServer::restart(port, dir).await;
    log_of(&server, alice.id, 2).await;
    server.stop().await;
}
