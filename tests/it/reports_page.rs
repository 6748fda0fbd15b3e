//! `/reports` over HTTP on a fixture worked out by hand: per queue and per agent figures
//! (received, answered, within the service level, first response and handle time medians and
//! p90, ended unanswered), agents' time in each state from local midnight in the site zone,
//! the charts, the export links with the same filters, and refusals.

use serde_json::json;

use crate::common::*;

fn cell<'a>(html: &'a str, table: &str, row: &str, class: &str) -> &'a str {
    let table_at = html.find(&format!("id=\"{table}\"")).expect(table);
    let html = &html[table_at..];
    let row_at = html
        .find(&format!("<tr><td>{row}</td>"))
        .unwrap_or_else(|| panic!("no row {row} in {table}"));
    let html = &html[row_at..];
    let end = html.find("</tr>").expect("row end");
    let html = &html[..end];
    let open = format!("<td class=\"{class}\">");
    let at = html
        .find(&open)
        .unwrap_or_else(|| panic!("no {class} in {row}"))
        + open.len();
    &html[at..at + html[at..].find("</td>").expect("cell end")]
}

#[tokio::test]
async fn the_report_of_a_day_gives_figures_worked_out_by_hand() {
    let server = TestServer::start_in_zone("Europe/Paris").await;
    let queue = server.default_queue().await;
    // 09:00 Paris (07:00 UTC) on 4 June 2030: Alice goes Available.
    server.advance_to("2030-06-03T21:50:00Z");
    let (alice, mut events) = server.agent_on_duty("alice", queue).await;
    // 23:50 Paris the evening before: not that day's.
    let late = server
        .accepted_text(&alice, &mut events, "+14155550100", "late")
        .await;
    alice
        .post_ok(&format!("/api/workitems/{late}/terminate"), json!({}))
        .await;
    alice
        .post_ok("/api/presence", json!({"presence": "offline"}))
        .await;
    server.advance_to("2030-06-04T07:00:00Z");
    alice.available().await;
    // From 09:00 UTC, one after another: first reply after (10, 30, 90 s) and ended after
    // (120, 300, 600 s); the fourth is never answered and ends after 20 s.
    server.advance_to("2030-06-04T09:00:00Z");
    for (customer, wait, handle) in [
        ("+14155550101", 10, 120),
        ("+14155550102", 30, 300),
        ("+14155550103", 90, 600),
        ("+14155550104", 20, 20),
    ] {
        let w = server
            .accepted_text(&alice, &mut events, customer, "hello")
            .await;
        server.advance(wait);
        if customer != "+14155550104" {
            alice
                .post_ok(
                    &format!("/api/workitems/{w}/messages"),
                    json!({"body": "On it"}),
                )
                .await;
        }
        server.advance(handle - wait);
        alice
            .post_ok(&format!("/api/workitems/{w}/terminate"), json!({}))
            .await;
    }
    // Lunch from 10:00 UTC, Offline from 11:00; the report is read at 12:00 UTC.
    server.advance_to("2030-06-04T10:00:00Z");
    alice
        .post_ok(
            "/api/presence",
            json!({"presence": "away", "reason": "Lunch"}),
        )
        .await;
    server.advance_to("2030-06-04T11:00:00Z");
    alice
        .post_ok("/api/presence", json!({"presence": "offline"}))
        .await;
    server.advance_to("2030-06-04T12:00:00Z");

    let sam = server.login("sam").await;
    let res = sam.get("/reports?from=2030-06-04&to=2030-06-04").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("2030-06-04 to 2030-06-04 (Europe/Paris)"),
        "{html}"
    );
    let expected = [
        ("received", "4"),
        ("answered", "3"),
        ("in-sla", "67 %"),
        ("frt-median", "30 s"),
        ("frt-p90", "1 min 30 s"),
        ("handle-median", "2 min 0 s"),
        ("handle-p90", "10 min 0 s"),
        ("terminated", "4"),
        ("unanswered", "1"),
        ("transfers", "0"),
    ];
    for (class, value) in expected {
        assert_eq!(
            cell(&html, "report-queues", "Support", class),
            value,
            "{class}"
        );
        assert_eq!(cell(&html, "report-queues", "All", class), value, "{class}");
    }
    // Per agent the same, except that arrivals are counted before anyone has them.
    assert_eq!(cell(&html, "report-agents", "alice", "received"), "0");
    assert_eq!(cell(&html, "report-agents", "alice", "frt-median"), "30 s");
    assert_eq!(
        cell(&html, "report-agents", "alice", "handle-p90"),
        "10 min 0 s"
    );
    // From midnight Paris (22:00 UTC): Offline to 07:00, Available to 10:00, Lunch to
    // 11:00, Offline to 12:00. Busy 120 + 300 + 600 + 20 s of the 3 h Available: 10 %.
    let states = &html[html.find("id=\"report-states\"").unwrap()..];
    assert!(
        states.contains("<tr><td>alice</td><td>3 h 0 min</td><td>1 h 0 min</td><td>Lunch 1 h 0 min</td><td>10 h 0 min</td><td>10 %</td></tr>"),
        "{states}"
    );
    for shown in [
        "id=\"per-day-chart\"",
        "id=\"per-hour-chart\"",
        "11:00 · 4 conversations",
    ] {
        assert!(html.contains(shown), "{shown} missing");
    }
    assert!(
        html.contains("href=\"/reports/messages.csv?from=2030-06-04&#38;to=2030-06-04\""),
        "{html}"
    );

    // Two days, read in two halves at once: the evening before counts now, in its own day.
    let html = sam
        .get("/reports?from=2030-06-03&to=2030-06-04")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(cell(&html, "report-queues", "All", "received"), "5");
    assert_eq!(cell(&html, "report-queues", "All", "answered"), "3");
    for shown in ["03 Jun · 1 conversations", "04 Jun · 4 conversations"] {
        assert!(html.contains(shown), "{shown} missing");
    }

    // Another agent's report has none of it; a bad range says why.
    let bob = server.add_agent("bob", &[queue], None).await;
    let html = sam
        .get(&format!(
            "/reports?from=2030-06-04&to=2030-06-04&agent={}",
            bob.id
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<tr><td>Support</td>"), "{html}");
    let html = sam
        .get("/reports?from=2030-06-05&to=2030-06-04")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("role=\"alert\" id=\"report-error\">The range ends before it starts."));
    assert_eq!(alice.get("/reports").await.status(), 403);
}

#[tokio::test]
async fn the_campaign_and_direction_filters_narrow_the_figures() {
    let server = TestServer::start_in_zone("UTC").await;
    let queue = server.default_queue().await;
    let support_line = server.simulator_number(queue).await;
    let follow_ups = server.follow_ups_number(queue).await;
    server.advance_to("2030-06-04T09:00:00Z");
    let (alice, mut events) = server.agent_on_duty("alice", queue).await;
    server
        .accepted_text(&alice, &mut events, "+14155550101", "hello")
        .await;
    alice
        .post_ok(
            "/api/outbound",
            json!({"to": "+14155550102", "body": "Your order shipped", "campaign": follow_ups.0}),
        )
        .await;
    let sam = server.login("sam").await;
    let today = "2030-06-04";
    let figures = |query: String| {
        let sam = &sam;
        async move {
            let html = sam
                .get(&format!("/reports?from={today}&to={today}{query}"))
                .await
                .text()
                .await
                .unwrap();
            let of = |class| cell(&html, "report-queues", "All", class).to_owned();
            (
                of("received"),
                of("outbound"),
                html.contains("id=\"states-note\""),
            )
        }
    };
    let both = |r: &str, o: &str, note| (r.to_owned(), o.to_owned(), note);
    assert_eq!(figures(String::new()).await, both("1", "1", false));
    assert_eq!(figures("&direction=in".into()).await, both("1", "0", true));
    assert_eq!(figures("&direction=out".into()).await, both("0", "1", true));
    assert_eq!(
        figures(format!("&campaign={}", follow_ups.0)).await,
        both("0", "1", true)
    );
    assert_eq!(
        figures(format!("&campaign={}&direction=in", support_line.0)).await,
        both("1", "0", true)
    );
}
