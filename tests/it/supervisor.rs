//! The supervisor's wallboard over HTTP: the floor as JSON follows routing (states, since
//! when, workspaces, work against capacity, each queue's line), and the live stream redraws
//! the board after each change.

use serde_json::{Value, json};

use crate::common::*;

fn agent<'a>(floor: &'a Value, username: &str) -> &'a Value {
    floor["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["username"] == username)
        .unwrap_or_else(|| panic!("{username} is not on the floor: {floor}"))
}

async fn floor(sam: &Client) -> Value {
    let res = sam.get("/api/supervisor/floor").await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("floor json")
}

#[tokio::test]
async fn the_floor_follows_states_work_and_the_line() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], Some(1)).await;
    server.add_agent("bob", &[queue], None).await;
    server
        .add_user("sam", parley::domain::Role::Supervisor)
        .await;
    let sam = server.login("sam").await;

    let start = floor(&sam).await;
    // Only people assigned to a queue are agents on the floor.
    let names: Vec<&str> = start["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(agent(&start, "alice")["presence"], "offline");
    assert_eq!(agent(&start, "alice")["connected"], false);
    assert_eq!(start["queues"][0]["name"], "Support");
    assert_eq!(start["queues"][0]["waiting"], 0);

    // Alice opens her workspace and goes Available at a known time.
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    server.advance(60);
    let available_at = server.clock.now();
    alice.available().await;
    let f = floor(&sam).await;
    let a = agent(&f, "alice");
    assert_eq!(
        (a["presence"].as_str(), a["connected"].as_bool()),
        (Some("available"), Some(true))
    );
    assert_eq!(
        a["since"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        available_at
    );
    assert_eq!(f["queues"][0]["available_agents"], 1);

    // Two customers text; alice (capacity 1) is offered the first, the second waits.
    assert_eq!(
        server
            .twilio_sms("SM1", "+14155550001", "first")
            .await
            .status(),
        200
    );
    let first = events.offer().await;
    server.advance(5);
    let second_at = server.clock.now();
    assert_eq!(
        server
            .twilio_sms("SM2", "+14155550002", "second")
            .await
            .status(),
        200
    );
    let f = poll_floor(&sam, |f| f["queues"][0]["waiting"] == 1).await;
    assert_eq!(f["queues"][0]["offers_out"], 1);
    assert_eq!(agent(&f, "alice")["offers"], 1);
    assert_eq!(
        f["queues"][0]["oldest_waiting"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        second_at
    );

    // Accepted: alice works on it, 1 of 1.
    alice
        .post_ok(&format!("/api/workitems/{first}/accept"), json!({}))
        .await;
    let f = floor(&sam).await;
    let a = agent(&f, "alice");
    assert_eq!(a["active"][0]["id"], first);
    assert_eq!(a["active"][0]["customer"], "+14155550001");
    assert_eq!(a["active"][0]["queue_name"], "Support");
    assert_eq!(
        (a["capacity"].as_u64(), a["offers"].as_u64()),
        (Some(1), Some(0))
    );

    // The customer has waited since their text; past the queue's service level (60 s by
    // default) the wait is marked; an answer ends it.
    let waiting = &agent(&f, "alice")["waiting"][0];
    assert_eq!(
        (waiting["workitem"].as_u64(), waiting["past_sla"].as_bool()),
        (Some(first), Some(false))
    );
    assert_eq!(f["queues"][0]["sla_secs"], 60);
    server.advance(61);
    let f = floor(&sam).await;
    assert_eq!(agent(&f, "alice")["waiting"][0]["past_sla"], true);
    alice
        .post_ok(
            &format!("/api/workitems/{first}/messages"),
            json!({"body": "On it!"}),
        )
        .await;
    let f = floor(&sam).await;
    assert_eq!(agent(&f, "alice")["waiting"], json!([]));

    assert_eq!(agent(&f, "alice")["stranded"], false);

    // Away with a reason, since a new time.
    server.advance(30);
    alice
        .post_ok(
            "/api/presence",
            json!({"presence": "away", "reason": "Lunch"}),
        )
        .await;
    let a = agent(&floor(&sam).await, "alice").clone();
    assert_eq!(
        (a["presence"].as_str(), a["away_reason"].as_str()),
        (Some("away"), Some("Lunch"))
    );
    assert_eq!(
        a["since"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        server.clock.now()
    );
    assert_eq!(a["stranded"], false, "away still has the work in hand");

    // Offline with a conversation open: stranded, on the board too.
    alice
        .post_ok("/api/presence", json!({"presence": "offline"}))
        .await;
    assert_eq!(agent(&floor(&sam).await, "alice")["stranded"], true);
    let page = sam.get("/supervisor").await.text().await.unwrap();
    assert!(page.contains("<strong>Stranded:</strong>"), "{page}");
}

/// The floor once `ready` holds (routing runs apart from the webhook's answer).
async fn poll_floor(sam: &Client, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let f = floor(sam).await;
        if ready(&f) {
            return f;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the floor never got there: {f}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_wallboard_stream_redraws_after_each_change() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice_user = server.add_agent("alice", &[queue], None).await;
    server
        .add_user("sam", parley::domain::Role::Supervisor)
        .await;
    let sam = server.login("sam").await;

    let page = sam.get("/supervisor").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("id=\"agent-{}\"", alice_user.id)),
        "{html}"
    );

    let res = sam.get("/api/supervisor/events").await;
    assert_eq!(res.status(), 200);
    let mut board = Events::from_response(res);
    let first = board.next_named("floor").await;
    let row = |html: &str| -> String {
        let start = html
            .find(&format!("id=\"agent-{}\"", alice_user.id))
            .expect("alice's row");
        html[start..start + html[start..].find("</tr>").unwrap()].to_owned()
    };
    assert!(row(first["html"].as_str().unwrap()).contains("Offline"));

    let alice = server.login("alice").await;
    let _events = alice.events().await;
    alice.available().await;
    // The workspace opening and the state change may come as one redraw or two.
    loop {
        let html = board.next_named("floor").await["html"]
            .as_str()
            .unwrap()
            .to_owned();
        if row(&html).contains("Available") {
            assert!(row(&html).contains("Open"), "{}", row(&html));
            break;
        }
    }
    // Logging out ends the stream.
    sam.form_post("/logout", &[], true).await;
    board
        .assert_ends_within(std::time::Duration::from_secs(5), "logout")
        .await;
}

#[tokio::test]
async fn a_supervisor_sets_an_agent_away_or_offline_and_the_agent_sees_it() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice_user = server.add_agent("alice", &[queue], None).await;
    server
        .add_user("sam", parley::domain::Role::Supervisor)
        .await;
    let sam = server.login("sam").await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;
    events.next_named("presence").await;

    // A customer's offer is out to alice when sam sets her Away: it is withdrawn at once.
    assert_eq!(
        server
            .twilio_sms("SM1", "+14155550001", "hello")
            .await
            .status(),
        200
    );
    let offered = events.offer().await;
    let path = format!("/api/supervisor/agents/{}/presence", alice_user.id);
    let res = sam
        .post(&path, json!({"presence": "away", "reason": " Coaching "}))
        .await;
    assert_eq!(res.status(), 200);
    let presence = events.next_named("presence").await;
    assert_eq!(presence["view"]["presence"], "away");
    assert_eq!(presence["view"]["away_reason"], "Coaching");
    let withdrawn = events.next_named("offer_withdrawn").await;
    assert_eq!(withdrawn["workitem"], offered);
    let f = floor(&sam).await;
    assert_eq!(agent(&f, "alice")["away_reason"], "Coaching");

    // Offline drops the reason.
    let res = sam
        .post(&path, json!({"presence": "offline", "reason": "x"}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        events.next_named("presence").await["view"]["presence"],
        "offline"
    );

    // Refused: Available (only the agent does that), a long reason, a bad state, nobody.
    for (body, status, says) in [
        (json!({"presence": "available"}), 400, "only the agent"),
        (
            json!({"presence": "away", "reason": "r".repeat(101)}),
            422,
            "too long",
        ),
        (json!({"presence": "asleep"}), 400, "Invalid request"),
    ] {
        let res = sam.post(&path, body.clone()).await;
        assert_eq!(res.status(), status, "{body}");
        let text = res.text().await.unwrap();
        assert!(text.contains(says), "{body}: {text}");
    }
    let res = sam
        .post(
            "/api/supervisor/agents/999/presence",
            json!({"presence": "away"}),
        )
        .await;
    assert_eq!(res.status(), 404);
    // An agent may not do it to a colleague.
    let res = alice.post(&path, json!({"presence": "offline"})).await;
    assert_eq!(res.status(), 403);
}
