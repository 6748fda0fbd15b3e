//! The CSV exports over HTTP, read back with a CSV reader: a header row, one row per
//! workitem, message, agent state or survey answer in the range, the filters applied, cells
//! quoted and formulas defused; refusals for bad filters and for agents.

use std::collections::BTreeMap;

use parley::domain::{
    Answer, Question, QuestionKind, Role, Survey, SurveyId, SurveyResponse, WorkitemId,
};
use serde_json::json;

use crate::common::*;

/// Rows (header first) of a CSV export, checking its status and type.
async fn csv(client: &Client, path: &str) -> Vec<Vec<String>> {
    let res = client.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = res.text().await.unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0].iter().position(|h| h == name).expect(name);
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

#[tokio::test]
async fn every_export_streams_its_rows_with_the_filters_applied() {
    let server = TestServer::start().await;
    server.advance_to_hour(9);
    let queue = server.default_queue().await;
    server.simulator_number(queue).await;
    let alice = server.add_agent("alice", &[queue], None).await;
    server.add_user("sam", Role::Supervisor).await;
    let agent = server.login("alice").await;
    let sam = server.login("sam").await;
    let today = server.clock.now().date_naive();
    let midnight = today.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let mut events = agent.events().await;
    server.advance(60);
    agent.available().await;
    server.advance(1);
    assert_eq!(
        server
            .twilio_sms("SM1", "+14155550123", "=HYPERLINK(\"x\")")
            .await
            .status(),
        200
    );
    let first = agent.accept_next(&mut events).await;
    agent
        .post_ok(
            &format!("/api/workitems/{first}/messages"),
            json!({"body": "Hello, \"friend\""}),
        )
        .await;
    server.advance(120);
    agent
        .post_ok(&format!("/api/workitems/{first}/terminate"), json!({}))
        .await;
    server.advance(1);
    assert_eq!(
        server
            .twilio_sms("SM2", "+14155550124", "second")
            .await
            .status(),
        200
    );
    let second = agent.accept_next(&mut events).await;
    let response = SurveyResponse {
        survey: SurveyId(77),
        answers: BTreeMap::from([(1, Answer::Rating(5))]),
        updated_at: server.clock.now(),
        updated_by: alice.id,
    };
    server
        .state
        .store
        .write(move |txn| {
            parley::store::put_survey(
                txn,
                &Survey {
                    id: SurveyId(77),
                    name: "Satisfaction".into(),
                    questions: vec![Question {
                        id: 1,
                        text: "How was it?".into(),
                        kind: QuestionKind::Rating,
                        required: false,
                    }],
                    next_question_id: 2,
                },
            )?;
            parley::store::save_survey_response(txn, WorkitemId(second), &response)
        })
        .await
        .unwrap();
    server.advance(30);

    let day = today.format("%Y-%m-%d").to_string();
    let range = format!("from={day}&to={day}");
    let rows = csv(&sam, &format!("/reports/workitems.csv?{range}")).await;
    assert_eq!(rows[0][0], "id");
    assert_eq!(column(&rows, "id"), [first.to_string(), second.to_string()]);
    assert_eq!(column(&rows, "state"), ["terminated", "active"]);
    assert_eq!(column(&rows, "agent"), ["alice", "alice"]);
    assert_eq!(column(&rows, "handle_secs"), ["120", ""]);
    assert_eq!(column(&rows, "direction"), ["in", "in"]);
    let replied = &column(&rows, "first_reply_at")[0];
    assert!(replied.starts_with(&day), "{replied}");
    assert_eq!(column(&rows, "first_reply_at")[1], "");

    let rows = csv(&sam, &format!("/reports/messages.csv?{range}")).await;
    assert_eq!(
        column(&rows, "body"),
        ["'=HYPERLINK(\"x\")", "Hello, \"friend\"", "second"],
        "read back through quoting; a formula defused"
    );
    assert_eq!(column(&rows, "direction"), ["in", "out", "in"]);

    // Alice: Offline from midnight, then Available until now.
    let rows = csv(
        &sam,
        &format!("/reports/agents.csv?{range}&agent={}", alice.id),
    )
    .await;
    let stretches: Vec<(String, String)> = column(&rows, "state")
        .into_iter()
        .zip(column(&rows, "busy"))
        .collect();
    let expected = [
        ("offline", "no"),
        ("available", "no"),
        ("available", "yes"),
        ("available", "no"),
        ("available", "yes"),
    ];
    assert_eq!(
        stretches,
        expected.map(|(s, b)| (s.to_owned(), b.to_owned())),
        "a stretch per state, and per holding work or not"
    );
    let secs: i64 = column(&rows, "secs")
        .iter()
        .map(|s| s.parse::<i64>().unwrap())
        .sum();
    assert_eq!(secs, (server.clock.now() - midnight).num_seconds());

    let rows = csv(&sam, &format!("/reports/surveys.csv?{range}")).await;
    assert_eq!(column(&rows, "question"), ["How was it?"]);
    assert_eq!(column(&rows, "answer"), ["5"]);
    assert_eq!(column(&rows, "workitem"), [second.to_string()]);

    // Filters: another queue, the other direction, an earlier day: header rows only.
    let yesterday = (today - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    for query in [
        format!("{range}&queue=999"),
        format!("{range}&direction=out"),
        format!("from={yesterday}&to={yesterday}"),
    ] {
        for kind in ["workitems", "messages", "surveys"] {
            let rows = csv(&sam, &format!("/reports/{kind}.csv?{query}")).await;
            assert_eq!(rows.len(), 1, "{kind} with {query}: {rows:?}");
        }
    }
}

#[tokio::test]
async fn bad_filters_and_agents_are_refused() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], None).await;
    server.add_user("sam", Role::Supervisor).await;
    let sam = server.login("sam").await;
    for (query, says) in [
        ("from=yesterday", "from date"),
        ("from=2026-02-01&to=2026-01-01", "ends before"),
        ("agent=alice", "agent must be an id"),
        ("direction=both", "direction"),
    ] {
        let res = sam.get(&format!("/reports/workitems.csv?{query}")).await;
        assert_eq!(res.status(), 400, "{query}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains(says),
            "{query}: {body}"
        );
    }
    // An export streams any range; the page covers at most 366 days.
    let long = "from=2020-01-01&to=2026-01-01";
    assert_eq!(
        sam.get(&format!("/reports/workitems.csv?{long}"))
            .await
            .status(),
        200
    );
    let page = sam
        .get(&format!("/reports?{long}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("A report covers at most 366 days."), "{page}");
    let alice = server.login("alice").await;
    assert_eq!(alice.get("/reports/messages.csv").await.status(), 403);
}
