//! Today's figures on the wallboard (`/api/supervisor/floor`, `/supervisor`): counted from
//! the statistics kept as workitems change, from midnight in `site_time_zone`.

use serde_json::{Value, json};

use crate::common::{Client, Events, TestServer};

/// Alice, Available in the default queue with room for many conversations.
async fn alice_on_duty(server: &TestServer) -> (Client, Events) {
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], Some(8)).await;
    let alice = server.login("alice").await;
    let events = alice.events().await;
    alice.available().await;
    (alice, events)
}

async fn reply(agent: &Client, w: u64) {
    agent
        .post_ok(
            &format!("/api/workitems/{w}/messages"),
            json!({"body": "Thanks, on it."}),
        )
        .await;
}

async fn terminate(agent: &Client, w: u64) {
    let res = agent
        .post_bare(&format!("/api/workitems/{w}/terminate"))
        .await;
    assert_eq!(res.status(), 200);
}

async fn today(server: &TestServer) -> Value {
    let sam = server.login("sam").await;
    let res = sam.get("/api/supervisor/floor").await;
    assert_eq!(res.status(), 200);
    let floor: Value = res.json().await.expect("floor json");
    floor["queues"][0]["today"].clone()
}

#[tokio::test]
async fn todays_figures_count_from_local_midnight_and_are_exact() {
    let server = TestServer::start_in_zone("Europe/Paris").await;
    let (alice, mut events) = alice_on_duty(&server).await;
    // 23:50 in Paris the evening before: answered after 5 s and ended; not today's.
    server.advance_to("2030-06-03T21:50:00Z");
    let w0 = server
        .accepted_text(&alice, &mut events, "+14155550100", "late")
        .await;
    server.advance(5);
    reply(&alice, w0).await;
    terminate(&alice, w0).await;

    // 11:00 in Paris: four customers, answered after 10 s, 30 s, 90 s and never. The
    // queue's service level is 60 s.
    server.advance_to("2030-06-04T09:00:00Z");
    for (customer, wait) in [
        ("+14155550101", 10),
        ("+14155550102", 30),
        ("+14155550103", 90),
    ] {
        let w = server
            .accepted_text(&alice, &mut events, customer, "hello")
            .await;
        server.advance(wait);
        reply(&alice, w).await;
    }
    let w4 = server
        .accepted_text(&alice, &mut events, "+14155550104", "hello")
        .await;
    server.advance(20);
    terminate(&alice, w4).await;

    let t = today(&server).await;
    assert_eq!(
        t,
        json!({
            "received": 4,
            "answered": 3,
            "answered_in_sla": 2,
            "in_sla_percent": 67,
            "median_first_response_secs": 30,
            "terminated_unanswered": 1,
        })
    );
    // The wallboard shows the same, with today's chart.
    let sam = server.login("sam").await;
    let page = sam.get("/supervisor").await.text().await.unwrap();
    for shown in [
        r#"<td class="today-received">4</td>"#,
        r#"<td class="today-in-sla">67 %</td>"#,
        r#"<td class="today-median">30 s</td>"#,
        r#"<td class="today-unanswered">1</td>"#,
        r#"id="today-chart""#,
        "11:00 · 4 received",
        "11:00 · median first response 30 s",
        "Time (Europe/Paris)",
    ] {
        assert!(page.contains(shown), "{shown} missing from {page}");
    }
}

#[tokio::test]
async fn on_a_daylight_saving_day_today_starts_at_local_midnight() {
    // 10 March 2030: New York springs forward at 02:00, so at 12:00 EDT (16:00 UTC) the day
    // began 11 hours earlier, at 00:00 EST (05:00 UTC).
    let server = TestServer::start_in_zone("America/New_York").await;
    let (alice, mut events) = alice_on_duty(&server).await;
    // 23:50 EST on the 9th: twelve hours before noon, but yesterday.
    server.advance_to("2030-03-10T04:50:00Z");
    let before = server
        .accepted_text(&alice, &mut events, "+14155550111", "hi")
        .await;
    terminate(&alice, before).await;
    // 00:05 EST on the 10th: today.
    server.advance_to("2030-03-10T05:05:00Z");
    let after = server
        .accepted_text(&alice, &mut events, "+14155550112", "hi")
        .await;
    server.advance(40);
    reply(&alice, after).await;
    server.advance_to("2030-03-10T16:00:00Z");
    let t = today(&server).await;
    assert_eq!(
        (t["received"].as_u64(), t["answered"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        t["terminated_unanswered"], 0,
        "yesterday's ending counted: {t}"
    );
    assert_eq!(t["median_first_response_secs"], 40);
}
