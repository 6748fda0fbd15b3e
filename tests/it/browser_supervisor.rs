//! The wallboard in a real browser: it changes live, with no reload, as an agent opens the
//! workspace and goes Available and as a customer's text is offered.

use crate::browser::{assert_page_clean, js, log_in_to, open_browser, wait_text};
use crate::common::*;

#[tokio::test]
async fn the_wallboard_changes_live_as_an_agent_goes_available_and_a_customer_texts() {
    let Some((_driver, c)) = open_browser().await else {
        return;
    };
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.simulator_number(queue).await;
    let alice = server.add_agent("alice", &[queue], None).await;
    server
        .add_user("sam", parley::domain::Role::Supervisor)
        .await;
    log_in_to(
        &c,
        &server,
        "/supervisor",
        "sam",
        "#wallboard[data-live=\"1\"]",
    )
    .await;
    let row = format!("#agent-{} .state", alice.id);
    wait_text(&c, &row, "Offline").await;
    js(&c, "window.parleyTestMark = 1; return null;", vec![]).await;

    // Alice opens her workspace and goes Available: the board follows.
    let agent = server.login("alice").await;
    let mut events = agent.events().await;
    agent.available().await;
    wait_text(&c, &row, "Available").await;
    wait_text(&c, &format!("#queue-{queue} .available"), "1").await;

    // A customer texts: the offer shows on the board, then the work once accepted.
    assert_eq!(
        server
            .twilio_sms("SM1", "+14155550123", "Where is my order?")
            .await
            .status(),
        200
    );
    let id = events.offer().await;
    wait_text(&c, &format!("#queue-{queue} .offers-out"), "1").await;
    agent
        .post_ok(
            &format!("/api/workitems/{id}/accept"),
            serde_json::json!({}),
        )
        .await;
    wait_text(&c, &format!("#floor-workitem-{id}"), "+14155550123").await;
    wait_text(&c, &format!("#agent-{} .load", alice.id), "1 of").await;
    assert_eq!(
        js(&c, "return window.parleyTestMark || 0;", vec![]).await,
        serde_json::json!(1),
        "the page reloaded instead of changing live"
    );
    crate::browser::snapshot(&c, "wallboard").await;

    // Sam sets alice Away with a reason from the board; her workspace's stream says so.
    crate::browser::type_into(&c, "#force-reason", "Coaching").await;
    crate::browser::click(&c, "#force-submit").await;
    wait_text(&c, &row, "Away: Coaching").await;
    let presence = events.next_named("presence").await;
    assert_eq!(presence["view"]["away_reason"], "Coaching");
    assert_page_clean(&c, "the wallboard").await;
    c.close().await.expect("close");
}
