//! Searching the customer's history in a real browser: the words typed in the History tab's search
//! box come back marked on the timeline, a hit's arrow unfolds its whole conversation, and Clear
//! brings the timeline back. Skips like the other browser tests without Chromium.

use chrono::Duration;
use fantoccini::key::Key;

use crate::browser::{
    catch_up_clock, click, log_in_available, open_browser, texts, the_offer, type_into, wait_for,
    wait_js, wait_text,
};
use crate::common::*;

const CUSTOMER: &str = "+14155550123";

#[tokio::test]
async fn history_search_marks_the_words_and_unfolds_the_conversation() {
    let Some((_driver, c)) = open_browser().await else {
        return;
    };
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice = server.add_agent("alice", &[queue], None).await;
    let now = server.clock.now();
    server
        .past_conversation(
            CUSTOMER,
            alice.id,
            now - Duration::days(12),
            "Is the kettle still under warranty?",
            "Yes, the warranty covers two years.",
        )
        .await;
    log_in_available(&c, &server, &alice).await;
    catch_up_clock(&server);
    server.twilio_sms("SM1", CUSTOMER, "Hello again").await;
    let id = the_offer(&c).await;
    click(&c, &format!("#offer-{id} .accept")).await;
    wait_for(&c, &format!("#item-{id}.current")).await;

    click(&c, "#tab-history").await;
    let tab = "#panel-history";
    wait_text(&c, &format!("{tab} .history-line"), "Is the kettle").await;
    let box_css = format!("{tab} form.history-search input[name=q]");
    type_into(&c, &box_css, "warranty").await;
    wait_for(&c, &box_css)
        .await
        .send_keys(&Key::Enter)
        .await
        .expect("press Enter in the search box");
    wait_text(&c, &format!("{tab} .history-count"), "2 matches").await;
    assert_eq!(
        texts(&c, &format!("{tab} .history-hit mark")).await,
        ["warranty", "warranty"],
        "both messages with the word, the word marked"
    );
    assert_eq!(
        texts(&c, &format!("{tab} .history-hit")).await,
        [
            "Yes, the warranty covers two years.",
            "Is the kettle still under warranty?"
        ]
    );
    // The side panel keeps its plain timeline.
    assert!(texts(&c, "#history-side-body mark").await.is_empty());

    // The hit's arrow unfolds the whole conversation it came from.
    let arrow = format!("{tab} .history-message .history-toggle");
    click(&c, &arrow).await;
    wait_text(
        &c,
        &format!("{tab} .history-message .history-detail .bubble .body"),
        "Is the kettle still under warranty?",
    )
    .await;

    // Clear: the timeline is back, with no marks.
    click(&c, &format!("{tab} .history-search-clear")).await;
    wait_js(
        &c,
        "the plain timeline",
        "const p = document.querySelector('#panel-history'); \
         return !p.querySelector('mark') && !!p.querySelector('.history-workitem');",
    )
    .await;
    crate::browser::assert_page_clean(&c, "the end of browser_history_search").await;
}
