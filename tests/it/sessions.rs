//! How sessions end: logout, the idle timeout and the absolute lifetime each end the session
//! and close its open event streams at once; API tokens cannot open a live stream.

use std::time::Duration;

use crate::common::*;

/// How soon an ended session's stream must close: at once, with room for a loaded machine.
const AT_ONCE: Duration = Duration::from_secs(5);

#[tokio::test]
async fn logout_closes_the_open_event_stream_at_once() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], None).await;
    server.simulator_number(queue).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    let phone = alice.get("/simulator/events?phone=%2B14155550123").await;
    assert_eq!(phone.status(), 200);
    let mut phone = Events::from_response(phone);
    // A second login of the same user keeps its own stream.
    let other_tab = server.login("alice").await;
    let mut other = other_tab.events().await;

    let (status, _, location) = alice.form_post("/logout", &[], true).await;
    assert_eq!((status, location.as_str()), (303, "/login"));
    events.assert_ends_within(AT_ONCE, "logout").await;
    phone
        .assert_ends_within(AT_ONCE, "logout (the simulator's stream)")
        .await;
    assert_eq!(alice.get("/api/events").await.status(), 401);

    // The other login's stream goes on and still gets pushes.
    alice_texted(&server).await;
    other_tab.available().await;
    other.next_named("offer").await;
    server.stop().await;
}

async fn alice_texted(server: &TestServer) {
    let res = server.twilio_sms("SM1", "+14155550123", "hello").await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_session_ends_after_its_absolute_lifetime_however_busy() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], None).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    // Busy all along: a request every 5 minutes keeps the idle timeout away for 12 hours.
    for step in 1..(12 * 60 / 5) {
        server.advance(5 * 60);
        let res = alice.get("/api/me").await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert_eq!(status, 200, "{} minutes after the login: {body}", step * 5);
    }
    server.advance(10 * 60);
    assert_eq!(
        alice.get("/api/me").await.status(),
        401,
        "12 hours after the login the session is over"
    );
    events
        .assert_ends_within(AT_ONCE, "the session's end")
        .await;
    server.stop().await;
}

#[tokio::test]
async fn the_sweeper_ends_idle_sessions_and_their_streams() {
    let server = TestServer::start_in(std::sync::Arc::new(tempfile::tempdir().unwrap()), |c| {
        c.auth.session_idle_minutes = 30;
    })
    .await;
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], None).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    server.advance(29 * 60);
    assert_eq!(
        parley::web::sessions::sweep(&server.state).await.unwrap(),
        0
    );
    assert!(
        events.try_next(Duration::from_millis(200)).await.is_none(),
        "the stream stays open while the session lives"
    );
    server.advance(2 * 60);
    assert_eq!(
        parley::web::sessions::sweep(&server.state).await.unwrap(),
        1
    );
    events.assert_ends_within(AT_ONCE, "the idle timeout").await;
    assert_eq!(alice.get("/api/me").await.status(), 401);
    server.stop().await;
}

#[tokio::test]
async fn api_tokens_cannot_open_the_live_stream() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice = server.add_agent("alice", &[queue], None).await;
    let token =
        parley::web::auth::create_api_token(&server.state.store, alice.id, "x", server.clock.now())
            .await
            .unwrap();
    let res = reqwest::Client::new()
        .get(format!("{}/api/events", server.url))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body = res.text().await.unwrap();
    assert!(body.contains("API tokens cannot open"), "{body}");

    // Available by her session but with no workspace open, alice is not offered anything.
    let session = server.login("alice").await;
    session.available().await;
    alice_texted(&server).await;
    let snap = server.state.acd.snapshot(alice.id).await.unwrap();
    assert!(snap.offers.is_empty(), "no offer without an open workspace");
    let mut events = session.events().await;
    events.next_named("offer").await;
    server.stop().await;
}

#[tokio::test]
async fn a_wall_screen_keeps_its_session_while_it_is_open() {
    let server = TestServer::start_in(std::sync::Arc::new(tempfile::tempdir().unwrap()), |c| {
        c.auth.session_idle_minutes = 30;
    })
    .await;
    server
        .add_user("sam", parley::domain::Role::Supervisor)
        .await;
    let sam = server.login("sam").await;
    let res = sam.get("/api/supervisor/events?tv=1").await;
    assert_eq!(res.status(), 200);
    let mut screen = Events::from_response(res);
    screen.next_named("floor").await;
    // A day and a half on the wall, swept every half hour: past the idle timeout and the
    // absolute lifetime (12 hours), the session lives on.
    for _ in 0..72 {
        server.advance(30 * 60);
        assert_eq!(
            parley::web::sessions::sweep(&server.state).await.unwrap(),
            0
        );
    }
    assert_eq!(sam.get("/api/me").await.status(), 200);
    // Closed, it is over at the next sweep that sees it gone (the streams ends first).
    drop(screen);
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while parley::web::sessions::sweep(&server.state).await.unwrap() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the session lived on"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(sam.get("/api/me").await.status(), 401);
    server.stop().await;
}
