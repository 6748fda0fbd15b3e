//! The History tab's search box over HTTP: only this customer's messages, notes and answers,
//! within the chosen range, matches marked and escaped, paging that keeps the search, and a
//! clear message (never a 500) for text that cannot be searched.

use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use parley::domain::{Note, NoteId};
use parley::store;

use crate::common::*;

const CUSTOMER: &str = "+14155550123";
use crate::search::enc;

/// The History fragment for `query`, once `done` holds for it (the index commits within
/// half a second; the deadline is generous).
async fn history_until(
    client: &Client,
    id: u64,
    query: &str,
    done: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let res = client
            .get(&format!("/workspace/workitems/{id}/tabs/history{query}"))
            .await;
        assert_eq!(res.status(), 200, "{query}");
        let html = res.text().await.unwrap();
        if done(&html) {
            return html;
        }
        assert!(Instant::now() < deadline, "{query}: still {html}");
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn history_search_finds_this_customers_words_marked_within_the_range() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice = server.add_agent("alice", &[queue], None).await;
    let now = server.clock.now();
    let old = server
        .past_conversation(
            CUSTOMER,
            alice.id,
            now - Duration::days(20),
            "Is my <b>kettle</b> under warranty?",
            "Yes, the warranty covers two years.",
        )
        .await;
    let client = server.login("alice").await;
    let mut events = client.events().await;
    client.available().await;
    server
        .twilio_sms("SM1", CUSTOMER, "About the warranty again")
        .await;
    let id = events.offer().await;
    client
        .post_ok(
            &format!("/api/workitems/{id}/accept"),
            serde_json::json!({}),
        )
        .await;
    // Another customer's words must never show here.
    server
        .twilio_sms("SMx", "+14155550188", "warranty claim from someone else")
        .await;
    let contact = server
        .state
        .store
        .read(move |txn| Ok(store::workitem(txn, old)?.unwrap().contact))
        .await
        .unwrap();
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
                    author: alice.id,
                    author_name: "Alice".into(),
                    body: "Asked twice about warranties".into(),
                    at: now - Duration::days(1),
                },
            )
        })
        .await
        .unwrap();

    // All time: the two old messages, today's, and the note (stemmed: "warranties").
    let html = history_until(&client, id, "?range=all&q=warranty", |h| {
        h.contains("4 matches")
    })
    .await;
    assert!(
        !html.contains("someone else"),
        "another customer's message leaked"
    );
    assert!(
        html.contains("Is my &#60;b&#62;kettle&#60;/b&#62; under <mark>warranty</mark>?"),
        "{html}"
    );
    assert!(
        html.contains("Asked twice about <mark>warranties</mark>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("/history/workitem/{}", old.0)),
        "hits unfold their conversation"
    );
    assert!(
        html.contains("value=\"warranty\""),
        "the box keeps the text"
    );
    // Within the last 7 days only today's message and the note remain.
    let week = history_until(&client, id, "?range=7d&q=warranty", |h| {
        h.contains("2 matches")
    })
    .await;
    assert!(!week.contains("kettle"));
    // A phrase, and words that are not there.
    history_until(
        &client,
        id,
        &format!("?range=all&q={}", enc("\"covers two years\"")),
        |h| h.contains("1 match"),
    )
    .await;
    history_until(&client, id, "?range=all&q=refund", |h| {
        h.contains("No matches in this period.")
    })
    .await;
    // Without a search the plain timeline comes back.
    let plain = history_until(&client, id, "?range=all", |h| h.contains("items")).await;
    assert!(!plain.contains("<mark>"));

    // Text that cannot be searched gets a message in the tab, never a 500.
    for q in ["\"", "(((", "a:b:c", "*", "-", ":::"] {
        let res = client
            .get(&format!(
                "/workspace/workitems/{id}/tabs/history?range=all&q={}",
                enc(q)
            ))
            .await;
        assert_eq!(res.status(), 200, "{q:?}");
    }
    let long = history_until(&client, id, &format!("?q={}", "w".repeat(501)), |_| true).await;
    assert!(long.contains("at most 500 characters"), "{long}");
    let empty = history_until(&client, id, "?q=%3A%3A", |_| true).await;
    assert!(empty.contains("Type at least one word"), "{empty}");
    server.stop().await;
}

#[tokio::test]
async fn history_search_pages_keep_the_search() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice = server.add_agent("alice", &[queue], None).await;
    let now = server.clock.now();
    for day in 1..=25 {
        server
            .past_conversation(
                CUSTOMER,
                alice.id,
                now - Duration::days(day),
                &format!("invoice question {day}"),
                "answered",
            )
            .await;
    }
    let client = server.login("alice").await;
    let mut events = client.events().await;
    client.available().await;
    server.twilio_sms("SM1", CUSTOMER, "hello").await;
    let id = events.offer().await;
    client
        .post_ok(
            &format!("/api/workitems/{id}/accept"),
            serde_json::json!({}),
        )
        .await;
    let first = history_until(&client, id, "?range=all&q=invoice", |h| {
        h.contains("25 matches")
    })
    .await;
    assert!(first.contains("Page 1 of 2"));
    assert!(
        first.contains("invoice question 1<") || first.contains("question 1</"),
        "newest first: {first}"
    );
    let older =
        format!("/workspace/workitems/{id}/tabs/history?range=all&page=2&scope=tab&q=invoice");
    assert!(
        first.contains(&older.replace('&', "&#38;")),
        "the Older link keeps the search: {first}"
    );
    let second = history_until(&client, id, "?range=all&page=2&scope=tab&q=invoice", |h| {
        h.contains("Page 2 of 2")
    })
    .await;
    assert_eq!(second.matches("<mark>invoice</mark>").count(), 5);
    server.stop().await;
}
