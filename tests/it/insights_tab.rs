//! The Personality Insights tab: below 10 customer messages across 2 workitems it says how
//! much more history it needs; from there it shows the style, 3–5 tips with their evidence
//! and the measures, computed from all of the contact's workitems.

use parley::domain::Role;
use serde_json::json;

use crate::common::*;

const CUSTOMER: &str = "+14155550101";

/// Short statements, no questions, no '!' or emoji: a "Brief and direct" writer.
const TEXTS: [&str; 10] = [
    "Order 1234 is late",
    "Still no parcel",
    "Tracking says delivered",
    "Not at my door",
    "Checked with neighbours",
    "Parcel came today",
    "Box is damaged",
    "Want a refund",
    "Photo sent by mail",
    "Refund received, thanks",
];

async fn tab(client: &Client, id: u64) -> (u16, String) {
    let res = client
        .get(&format!("/workspace/workitems/{id}/tabs/insights"))
        .await;
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The customer texts `texts[range]`, a minute apart.
async fn customer_texts(server: &TestServer, range: std::ops::Range<usize>) {
    for i in range {
        server.advance(60);
        let res = server
            .twilio_sms(&format!("SM{i}"), CUSTOMER, TEXTS[i])
            .await;
        assert_eq!(res.status(), 200);
    }
}

#[tokio::test]
async fn insights_need_ten_messages_over_two_workitems_then_show_tips_with_evidence() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    server.add_agent("alice", &[q], None).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;

    // First workitem: 5 customer messages and a reply, then terminated.
    customer_texts(&server, 0..1).await;
    let first = events.offer().await;
    alice
        .post_ok(&format!("/api/workitems/{first}/accept"), json!({}))
        .await;
    customer_texts(&server, 1..5).await;
    alice
        .post_ok(
            &format!("/api/workitems/{first}/messages"),
            json!({"body": "Sorry, checking now."}),
        )
        .await;
    alice
        .post_ok(&format!("/api/workitems/{first}/terminate"), json!({}))
        .await;

    // Too little history on the first workitem alone.
    let (status, html) = tab(&alice, first).await;
    assert_eq!(status, 200);
    assert!(html.contains("1 more conversation needed"), "{html}");

    // Second workitem: 4 more, so 9 in all: one message short.
    customer_texts(&server, 5..6).await;
    let second = events.offer().await;
    assert_ne!(second, first);
    alice
        .post_ok(&format!("/api/workitems/{second}/accept"), json!({}))
        .await;
    customer_texts(&server, 6..9).await;
    let (status, html) = tab(&alice, second).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"insights-not-enough\""), "{html}");
    assert!(
        html.contains("so far 9 messages across 2 conversations: 1 more message needed."),
        "{html}"
    );
    assert!(!html.contains("insights-tips"), "no tips yet: {html}");

    // The 10th message: a profile.
    customer_texts(&server, 9..10).await;
    let (status, html) = tab(&alice, second).await;
    assert_eq!(status, 200);
    assert!(!html.contains("insights-not-enough"), "{html}");
    assert!(
        html.contains("<h3 id=\"insights-style\">Brief and direct</h3>"),
        "{html}"
    );
    assert!(
        html.contains("Based on 10 messages across 2 conversations."),
        "{html}"
    );
    let tips = html.matches("<span class=\"tip\">").count();
    let evidence = html.matches("<span class=\"evidence muted\">").count();
    assert!((3..=5).contains(&tips), "{tips} tips: {html}");
    assert_eq!(evidence, tips, "each tip has its evidence: {html}");
    assert!(
        !html.contains("<span class=\"evidence muted\"></span>"),
        "empty evidence: {html}"
    );
    assert!(
        html.contains("Keep replies short: one idea per message."),
        "{html}"
    );
    assert!(html.contains("id=\"insights-measures\""), "{html}");
    assert!(html.contains("UTC (time zone unknown)"), "{html}");

    // The first (terminated) workitem shows the same contact's profile to a supervisor; an
    // agent who never had the workitem does not see it at all.
    server.add_user("sue", Role::Supervisor).await;
    let sue = server.login("sue").await;
    let (status, html) = tab(&sue, first).await;
    assert_eq!(status, 200);
    assert!(html.contains("Brief and direct"), "{html}");
    server.add_user("bob", Role::Agent).await;
    let bob = server.login("bob").await;
    assert_eq!(tab(&bob, second).await.0, 404);
    server.stop().await;
}
