//! The History tab over HTTP: one timeline of the customer's workitems, notes and survey
//! answers, newest first, within a range the agent picks (remembered per user, saved only by a
//! CSRF-checked POST), paged; each item's detail, refused for other customers' items.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use parley::domain::{
    AgentSettings, Answer, Note, NoteId, Permission, Question, QuestionKind, Role, Survey,
    SurveyResponse, UserId, WorkitemId,
};
use parley::store;
use serde_json::json;

use crate::common::*;

const CUSTOMER: &str = "+14155550101";
const OTHER: &str = "+14155550102";

/// `client` (logged in) becomes Available, `from` texts, and the client accepts the offer.
async fn accept_next(
    server: &TestServer,
    client: &Client,
    sid: &str,
    from: &str,
    text: &str,
) -> u64 {
    let mut events = client.events().await;
    client.available().await;
    server.twilio_sms(sid, from, text).await;
    let id = events.offer().await;
    client
        .post_ok(&format!("/api/workitems/{id}/accept"), json!({}))
        .await;
    id
}

async fn get(client: &Client, path: &str) -> (u16, String) {
    let res = client.get(path).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn history(client: &Client, id: u64, query: &str) -> (u16, String) {
    get(
        client,
        &format!("/workspace/workitems/{id}/tabs/history{query}"),
    )
    .await
}

/// Chooses a range as the drop-down does: a form POST with the CSRF header.
async fn choose_range(client: &Client, id: u64, range: &str, csrf: &str) -> (u16, String) {
    let res = client
        .http
        .post(format!(
            "{}/workspace/workitems/{id}/history/range",
            client.base
        ))
        .header("X-CSRF-Token", csrf)
        .form(&[("range", range), ("scope", "side")])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn contact_of(server: &TestServer, id: u64) -> parley::domain::ContactId {
    server
        .state
        .store
        .read(move |txn| {
            Ok(store::workitem(txn, WorkitemId(id))?
                .expect("workitem")
                .contact)
        })
        .await
        .unwrap()
}

/// Stores a note on the workitem's customer, written at `at`; returns its id.
async fn note_at(server: &TestServer, id: u64, body: &str, at: DateTime<Utc>) -> u64 {
    let contact = contact_of(server, id).await;
    let body = body.to_owned();
    server
        .state
        .store
        .write(move |txn| {
            store::add_note(
                txn,
                Note {
                    id: NoteId(0),
                    contact,
                    workitem: None,
                    author: UserId(1),
                    author_name: "Colleague".into(),
                    body,
                    at,
                },
            )
        })
        .await
        .unwrap()
        .id
        .0
}

/// The position of each needle in `html`, failing when one is missing.
fn positions(html: &str, needles: &[&str]) -> Vec<usize> {
    needles
        .iter()
        .map(|n| {
            html.find(n)
                .unwrap_or_else(|| panic!("{n:?} missing in {html}"))
        })
        .collect()
}

fn selected(html: &str) -> &str {
    let at = html.find("\" selected>").expect("a selected range");
    let start = html[..at].rfind('"').unwrap() + 1;
    &html[start..at]
}

#[tokio::test]
async fn the_timeline_lists_workitems_notes_and_answers_newest_first() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let alice = server.add_agent("alice", &[q], None).await;
    let client = server.login("alice").await;
    let first = accept_next(&server, &client, "SM1", CUSTOMER, "My parcel is late").await;
    server.advance(60);
    note_at(&server, first, "Parcel 1234 lost", server.clock.now()).await;
    server.advance(60);
    let survey = Survey {
        id: parley::domain::SurveyId(0),
        name: "Exit survey".into(),
        questions: vec![Question {
            id: 1,
            text: "How did we do?".into(),
            kind: QuestionKind::Rating,
            required: true,
        }],
        next_question_id: 2,
    };
    let at = server.clock.now();
    server
        .state
        .store
        .write(move |txn| {
            let survey = Survey {
                id: store::next_survey_id(txn)?,
                ..survey
            };
            store::put_survey(txn, &survey)?;
            let response = SurveyResponse {
                survey: survey.id,
                answers: [(1, Answer::Rating(4))].into_iter().collect(),
                updated_at: at,
                updated_by: alice.id,
            };
            store::save_survey_response(txn, WorkitemId(first), &response)
        })
        .await
        .unwrap();
    client
        .post_ok(&format!("/api/workitems/{first}/terminate"), json!({}))
        .await;
    server.advance(60);
    let second = accept_next(&server, &client, "SM2", CUSTOMER, "Any news?").await;

    let (status, html) = history(&client, second, "").await;
    assert_eq!(status, 200, "{html}");
    let at = positions(
        &html,
        &[
            "Any news?",
            "Exit survey",
            "Note by Colleague",
            "My parcel is late",
        ],
    );
    assert!(at.windows(2).all(|w| w[0] < w[1]), "newest first: {html}");
    assert!(html.contains("SMS conversation (this one)"));
    assert!(html.contains("4 items"));
    assert!(
        html.contains("Inbound · 2 min 0 s · ended · Support · alice · 1 message"),
        "the first workitem's facts: {html}"
    );
    assert!(html.contains("ongoing, 0 s so far"), "{html}");
    assert!(html.contains("class=\"history-search\""), "the search slot");

    // Details: the first workitem's transcript, the note, the answers.
    let base = format!("/workspace/workitems/{second}/history");
    let (status, detail) = get(&client, &format!("{base}/workitem/{first}")).await;
    assert_eq!(status, 200);
    assert!(detail.contains("My parcel is late") && detail.contains("Customer"));
    let (status, detail) = get(&client, &format!("{base}/survey/{first}")).await;
    assert_eq!(status, 200);
    assert!(
        detail.contains("How did we do?") && detail.contains("4 of 5"),
        "{detail}"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_range_ends_exactly_at_its_length_on_the_apps_clock() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    server.add_agent("alice", &[q], None).await;
    let client = server.login("alice").await;
    let id = accept_next(&server, &client, "SM1", CUSTOMER, "Hello").await;
    let now = server.clock.now();
    let day = Duration::hours(24);
    note_at(&server, id, "at the boundary", now - day).await;
    note_at(&server, id, "just inside", now - day + Duration::seconds(1)).await;
    note_at(
        &server,
        id,
        "just outside",
        now - day - Duration::seconds(1),
    )
    .await;

    let (status, html) = history(&client, id, "?range=24h").await;
    assert_eq!(status, 200);
    assert!(html.contains("at the boundary") && html.contains("just inside"));
    assert!(!html.contains("just outside"), "{html}");
    assert_eq!(selected(&html), "24h");
    // A second later the boundary note is out too.
    server.advance(1);
    let (_, html) = history(&client, id, "?range=24h").await;
    assert!(html.contains("just inside") && !html.contains("at the boundary"));
    let (_, html) = history(&client, id, "?range=7d").await;
    assert!(html.contains("just outside"));
    let (status, html) = history(&client, id, "?range=2d").await;
    assert_eq!(status, 400);
    assert!(html.contains("Unknown time range"));
    server.stop().await;
}

#[tokio::test]
async fn the_timeline_pages_twenty_at_a_time() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    server.add_agent("alice", &[q], None).await;
    let client = server.login("alice").await;
    let id = accept_next(&server, &client, "SM1", CUSTOMER, "Hello").await;
    let now = server.clock.now();
    // 45 notes, an hour apart, all older than the workitem: 46 items, 3 pages.
    for n in 1..=45 {
        note_at(
            &server,
            id,
            &format!("note number {n}."),
            now - Duration::hours(n),
        )
        .await;
    }
    let (_, page1) = history(&client, id, "?range=all").await;
    assert!(page1.contains("46 items") && page1.contains("Page 1 of 3"));
    assert!(page1.contains("note number 19.") && !page1.contains("note number 20."));
    assert!(!page1.contains("history-newer"));
    assert!(page1.contains(&format!(
        "href=\"/workspace/workitems/{id}/tabs/history?range=all&#38;page=2&#38;scope=tab\""
    )));
    let (_, page2) = history(&client, id, "?range=all&page=2").await;
    assert!(page2.contains("note number 20.") && page2.contains("note number 39."));
    assert!(!page2.contains("note number 19.") && !page2.contains("note number 40."));
    assert!(page2.contains("history-newer") && page2.contains("history-older"));
    let (_, page3) = history(&client, id, "?range=all&page=3&scope=side").await;
    assert!(page3.contains("note number 45.") && !page3.contains("history-older"));
    assert!(
        page3.contains("id=\"history-side-note-"),
        "ids carry the scope"
    );
    let (_, beyond) = history(&client, id, "?range=all&page=99").await;
    assert!(
        beyond.contains("Page 3 of 3"),
        "past the end shows the last page"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_agents_range_is_remembered_and_only_a_post_saves_it() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    server.add_agent("alice", &[q], None).await;
    let client = server.login("alice").await;
    let id = accept_next(&server, &client, "SM1", CUSTOMER, "Hello").await;
    let now = server.clock.now();
    note_at(&server, id, "from last week", now - Duration::days(5)).await;
    note_at(&server, id, "from two months ago", now - Duration::days(60)).await;

    // Never chosen: the last 30 days.
    let (_, html) = history(&client, id, "").await;
    assert_eq!(selected(&html), "30d");
    assert!(html.contains("from last week") && !html.contains("two months"));
    // A GET with a range shows it but saves nothing.
    let (_, html) = history(&client, id, "?range=all").await;
    assert!(html.contains("two months"));
    assert_eq!(selected(&history(&client, id, "").await.1), "30d");

    // Without the CSRF token the choice is refused and not saved.
    let (status, _) = choose_range(&client, id, "24h", "wrong").await;
    assert_eq!(status, 403);
    assert_eq!(selected(&history(&client, id, "").await.1), "30d");
    let (status, html) = choose_range(&client, id, "forever", &client.csrf).await;
    assert_eq!(status, 400, "{html}");

    let (status, html) = choose_range(&client, id, "90d", &client.csrf).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(selected(&html), "90d");
    assert!(html.contains("two months") && html.contains("data-scope=\"side\""));
    let (_, html) = history(&client, id, "").await;
    assert_eq!(selected(&html), "90d", "remembered for the next visit");
    assert!(html.contains("two months"));
    // Per user: another agent still has the default.
    server.add_user("sue", Role::Supervisor).await;
    let sue = server.login("sue").await;
    assert_eq!(selected(&history(&sue, id, "").await.1), "30d");
    server.stop().await;
}

#[tokio::test]
async fn details_of_another_customers_items_and_other_agents_workitems_are_refused() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    server.add_agent("alice", &[q], None).await;
    let alice = server.login("alice").await;
    let mine = accept_next(&server, &alice, "SM1", CUSTOMER, "Mine").await;
    let theirs = accept_next(&server, &alice, "SM2", OTHER, "Theirs").await;
    let my_note = note_at(&server, mine, "my note", server.clock.now()).await;
    let their_note = note_at(&server, theirs, "their note", server.clock.now()).await;

    let base = format!("/workspace/workitems/{mine}/history");
    let (status, html) = get(&alice, &format!("{base}/note/{my_note}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("my note"));
    for path in [
        format!("{base}/note/{their_note}"),
        format!("{base}/workitem/{theirs}"),
        format!("{base}/survey/{theirs}"),
        format!("{base}/workitem/999"),
        format!("{base}/message/{mine}"),
        format!("{base}/note/abc"),
    ] {
        let (status, html) = get(&alice, &path).await;
        assert_eq!(status, 404, "{path}: {html}");
        assert!(!html.contains("their note") && !html.contains("Theirs"));
    }
    let (_, html) = history(&alice, mine, "").await;
    assert!(!html.contains("their note") && !html.contains("Theirs"));

    // Bob does not hold the workitem: refused like every tab; a supervisor may look.
    server.add_user("bob", Role::Agent).await;
    let bob = server.login("bob").await;
    let (status, html) = history(&bob, mine, "").await;
    assert_eq!(status, 404);
    assert!(html.contains("No such workitem."));
    assert_eq!(get(&bob, &format!("{base}/note/{my_note}")).await.0, 404);
    assert_eq!(choose_range(&bob, mine, "7d", &bob.csrf).await.0, 404);
    let prefs = {
        let id = bob_id(&server).await;
        server
            .state
            .store
            .read(move |txn| store::user_prefs(txn, id))
            .await
            .unwrap()
    };
    assert_eq!(prefs.history_range, None, "a refused choice is not saved");
    server.add_user("sue", Role::Supervisor).await;
    let sue = server.login("sue").await;
    assert_eq!(history(&sue, mine, "").await.0, 200);
    let anonymous = Client::anonymous(&server.url);
    assert_eq!(history(&anonymous, mine, "").await.0, 303);
    server.stop().await;
}

async fn bob_id(server: &TestServer) -> UserId {
    server
        .state
        .store
        .read(|txn| Ok(store::user_by_name(txn, "bob")?.expect("bob").id))
        .await
        .unwrap()
}

#[tokio::test]
async fn notes_stay_hidden_without_notes_read() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let alice = server.add_agent("alice", &[q], None).await;
    let (agent, queues) = (alice.id, vec![q]);
    server
        .state
        .store
        .write(move |txn| {
            let permissions: BTreeSet<Permission> = [Permission::NotesCreate].into();
            let class = store::put_class(txn, None, "no reading", permissions)?;
            let settings = AgentSettings {
                queues,
                capacity: None,
                class_of_service: Some(class.id),
            };
            store::put_agent_settings(txn, agent, &settings)
        })
        .await
        .unwrap();
    let client = server.login("alice").await;
    let id = accept_next(&server, &client, "SM1", CUSTOMER, "Hello").await;
    let note = note_at(&server, id, "secret note", server.clock.now()).await;
    let (status, html) = history(&client, id, "").await;
    assert_eq!(status, 200);
    assert!(!html.contains("secret note") && html.contains("notes.read"));
    let (status, html) = get(
        &client,
        &format!("/workspace/workitems/{id}/history/note/{note}"),
    )
    .await;
    assert_eq!(status, 403);
    assert!(!html.contains("secret note"));
    server.stop().await;
}
