//! The Search page in a real browser: a supervisor sent to log in comes back to /search, types a
//! word, sees the hit with the word inside `<mark>`, and follows it to the conversation with that
//! message marked. Skips like the other browser tests without Chromium.

use fantoccini::key::Key;
use parley::domain::Role;

use crate::browser::{click, log_in_to, open_browser, texts, type_into, wait_for, wait_text};
use crate::common::*;
use crate::search::until;

#[tokio::test]
async fn a_supervisor_searches_and_opens_the_conversation() {
    let Some((_driver, c)) = open_browser().await else {
        return;
    };
    let server = TestServer::start().await;
    server.default_queue().await;
    server
        .twilio_sms("SMb1", "+14155550123", "Hello, I ordered a kettle")
        .await;
    server
        .twilio_sms(
            "SMb2",
            "+14155550123",
            "Where is my refund for <the> kettle?",
        )
        .await;
    server
        .twilio_sms(
            "SMb3",
            "+14155550124",
            "Unrelated question about opening hours",
        )
        .await;
    server.add_user("boss", Role::Supervisor).await;
    let boss = server.login("boss").await;
    let found = until(&boss, "/api/search?q=refund", DEADLINE, |v| v["total"] == 1).await;
    let workitem = found["hits"][0]["workitem"].as_u64().unwrap();
    let message = found["hits"][0]["id"].as_u64().unwrap();

    // Not logged in: the login page, then back to the search page.
    log_in_to(&c, &server, "/search", "boss", "#search-q").await;
    type_into(&c, "#search-q", "refund").await;
    wait_for(&c, "#search-q")
        .await
        .send_keys(&Key::Enter)
        .await
        .expect("press Enter in the search box");
    wait_text(&c, "#search-count", "1 result").await;
    assert_eq!(texts(&c, "#search-results mark").await, ["refund"]);
    assert_eq!(
        texts(&c, "#search-results .search-snippet").await,
        ["Where is my refund for <the> kettle?"],
        "the customer's text shown as typed"
    );
    assert_eq!(
        texts(&c, "#search-results .search-customer").await,
        ["+14155550123"]
    );

    // The hit opens its whole conversation, the hit marked.
    click(&c, "#search-results .search-snippet a").await;
    wait_text(&c, "#transcript .bubble.hit .body", "Where is my refund").await;
    assert_eq!(
        texts(&c, "#transcript .body").await,
        [
            "Hello, I ordered a kettle",
            "Where is my refund for <the> kettle?"
        ]
    );
    let url = c.current_url().await.expect("url");
    assert_eq!(
        url.path(),
        format!("/workitems/{workitem}"),
        "the hit's workitem"
    );
    assert_eq!(url.fragment(), Some(format!("m{message}").as_str()));
    crate::browser::assert_page_clean(&c, "the end of browser_search").await;
    c.close().await.expect("close the browser");
    server.stop().await;
}
