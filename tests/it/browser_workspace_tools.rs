//! The workspace's composer tools and the Personality Insights tab in a real browser:
//! (a) the emoji picker puts the emoji found by a name search at the caret of the reply box,
//! remembers it under "Recently used", works from the keyboard, and the segment counter under
//! the box switches to UCS-2; (b) the Insights tab says how much more history it needs, and
//! shows tips once the customer has written enough.
//!
//! Skips (loudly) without Chromium, like every browser test (harness: `browser/mod.rs`).

use fantoccini::Client as Browser;
use fantoccini::key::Key;
use serde_json::{Value, json};

use crate::browser::{
    accept_offer, click, customer_texts_from, js, log_in_available, open_browser, poll, texts,
    wait_for, wait_js, wait_text,
};
use crate::common::*;

const CUSTOMER: &str = "+14155550123";

/// The customer texts `body` through the signed webhook.
async fn customer_texts(server: &TestServer, sid: &str, body: &str) {
    customer_texts_from(server, sid, CUSTOMER, body).await;
}

/// The reply box's text and caret (as UTF-16 offsets, like the DOM).
async fn reply_state(c: &Browser) -> (String, u64, u64) {
    let v = js(
        c,
        "const r = document.getElementById('reply'); \
         return [r.value, r.selectionStart, r.selectionEnd];",
        vec![],
    )
    .await;
    serde_json::from_value(v).expect("reply state")
}

async fn picker_open(c: &Browser) -> bool {
    js(
        c,
        "const d = document.getElementById('emoji-picker'); return !!(d && d.open);",
        vec![],
    )
    .await
        == json!(true)
}

async fn open_picker(c: &Browser) {
    click(c, "#emoji-button").await;
    poll("the emoji picker to open", move || async move {
        picker_open(c).await.then_some(())
    })
    .await;
    wait_js(
        c,
        "the emoji search box to have focus",
        "return document.activeElement && document.activeElement.id === 'emoji-search';",
    )
    .await;
}

async fn wait_picker_closed(c: &Browser) {
    poll("the emoji picker to close", move || async move {
        (!picker_open(c).await).then_some(())
    })
    .await;
}

/// Types into the picker's search box; the first result (character, name) once it shows.
async fn search_first(c: &Browser, query: &str) -> (String, String) {
    wait_for(c, "#emoji-search")
        .await
        .send_keys(query)
        .await
        .expect("type a search");
    wait_text(c, "#emoji-heading", &format!("Results for “{query}”")).await;
    let first = poll("a first search result", move || async move {
        let v = js(
            c,
            "const b = document.querySelector('#emoji-grid button.emoji'); \
             return b ? [b.dataset.emoji, b.getAttribute('aria-label')] : null;",
            vec![],
        )
        .await;
        serde_json::from_value::<Option<(String, String)>>(v).ok()?
    })
    .await;
    assert!(
        first.1.to_lowercase().contains(query),
        "the first result {first:?} does not match {query:?}"
    );
    first
}

fn utf16_len(s: &str) -> u64 {
    s.encode_utf16().count() as u64
}

#[tokio::test]
async fn emoji_go_in_at_the_caret_and_the_counter_and_insights_follow() {
    let Some((driver, c)) = open_browser().await else {
        return;
    };
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice = server.add_agent("alice", &[queue], None).await;
    log_in_available(&c, &server, &alice).await;

    customer_texts(&server, "SM1", "Order 1234 is late").await;
    let first = accept_offer(&c).await;

    // The emoji button sits right of the templates button and left of Send.
    let order = js(
        &c,
        "const t = document.getElementById('templates-button'), \
               e = document.getElementById('emoji-button'), \
               s = document.getElementById('send'); \
         const after = (a, b) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING); \
         return [after(t, e), after(e, s), e.closest('#composer') !== null, \
                 e.getAttribute('aria-label')];",
        vec![],
    )
    .await;
    assert_eq!(order, json!([true, true, true, "Insert emoji"]));

    // (a) Type, put the caret after "Hello", pick the first "grinning" emoji.
    wait_for(&c, "#reply")
        .await
        .send_keys("Hello world")
        .await
        .expect("type a reply");
    wait_text(&c, "#segments", "11 characters · GSM-7 · 1 SMS (149 left)").await;
    js(
        &c,
        "document.getElementById('reply').setSelectionRange(5, 5); return null;",
        vec![],
    )
    .await;
    open_picker(&c).await;
    let (emoji, name) = search_first(&c, "grinning").await;
    wait_for(&c, "#emoji-grid button.emoji")
        .await
        .click()
        .await
        .expect("pick the first result");
    wait_picker_closed(&c).await;
    let expected = format!("Hello{emoji} world");
    let caret = utf16_len(&format!("Hello{emoji}"));
    assert_eq!(
        reply_state(&c).await,
        (expected.clone(), caret, caret),
        "{name} goes in at the caret, the caret after it"
    );
    let counter = wait_text(&c, "#segments", "UCS-2").await;
    assert!(
        counter[0].contains(&format!("because of: {emoji}")),
        "the counter names the emoji: {counter:?}"
    );
    assert_eq!(
        js(
            &c,
            "return document.getElementById('segments').getAttribute('aria-live');",
            vec![]
        )
        .await,
        json!("polite")
    );

    // It is remembered; Escape closes without change; the keyboard alone picks one too.
    open_picker(&c).await;
    let recent = texts(&c, "#emoji-recent button.emoji").await;
    assert_eq!(recent.first(), Some(&emoji), "recently used: {recent:?}");
    crate::browser::snapshot(&c, "emoji-picker").await;
    wait_for(&c, "#emoji-search")
        .await
        .send_keys(&Key::Escape)
        .await
        .expect("press Escape");
    wait_picker_closed(&c).await;
    assert_eq!(reply_state(&c).await.0, expected, "Escape changes nothing");
    open_picker(&c).await;
    let (thumbs, _) = search_first(&c, "thumbs up").await;
    wait_for(&c, "#emoji-search")
        .await
        .send_keys(&Key::Enter)
        .await
        .expect("press Enter");
    wait_picker_closed(&c).await;
    let (text, start, _) = reply_state(&c).await;
    assert_eq!(text, format!("Hello{emoji}{thumbs} world"));
    assert_eq!(start, caret + utf16_len(&thumbs));
    // Nothing was sent: the dialog still holds only the customer's message.
    assert_eq!(
        texts(&c, "#messages li.bubble .body").await,
        ["Order 1234 is late"]
    );

    // (b) The Insights tab: one message in one conversation is not enough.
    click(&c, "#tab-insights").await;
    wait_text(
        &c,
        "#panel-insights #insights-not-enough",
        "9 more messages and 1 more conversation needed",
    )
    .await;
    // Four more in this workitem, terminated; a second workitem with four more: 9 in all.
    click(&c, "#tab-sms").await;
    for (i, body) in [
        "Still no parcel",
        "Tracking says delivered",
        "Not at my door",
    ]
    .iter()
    .enumerate()
    {
        customer_texts(&server, &format!("SM{}", i + 2), body).await;
    }
    customer_texts(&server, "SM5", "Checked with neighbours").await;
    wait_text(
        &c,
        "#messages li.bubble.in .body",
        "Checked with neighbours",
    )
    .await;
    click(&c, "#terminate").await;
    wait_js(
        &c,
        "the workitem to leave the list",
        "return document.querySelectorAll('#workitems li').length === 0;",
    )
    .await;
    customer_texts(&server, "SM6", "Parcel came today").await;
    let second = accept_offer(&c).await;
    assert_ne!(second, first);
    for (i, body) in ["Box is damaged", "Want a refund", "Photo sent by mail"]
        .iter()
        .enumerate()
    {
        customer_texts(&server, &format!("SM{}", i + 7), body).await;
    }
    wait_text(&c, "#messages li.bubble.in .body", "Photo sent by mail").await;
    click(&c, "#tab-insights").await;
    wait_text(
        &c,
        "#panel-insights #insights-not-enough",
        "1 more message needed",
    )
    .await;

    // The tenth: reopening the tab shows the style and tips with their evidence.
    customer_texts(&server, "SM10", "Refund received, thanks").await;
    click(&c, "#tab-sms").await;
    wait_text(
        &c,
        "#messages li.bubble.in .body",
        "Refund received, thanks",
    )
    .await;
    click(&c, "#tab-insights").await;
    wait_text(&c, "#panel-insights #insights-style", "Brief and direct").await;
    let tips: Vec<Value> = serde_json::from_value(
        js(
            &c,
            "return [...document.querySelectorAll('#insights-tips li')].map(li => \
               [li.querySelector('.tip').textContent, li.querySelector('.evidence').textContent]);",
            vec![],
        )
        .await,
    )
    .expect("tips");
    assert!((3..=5).contains(&tips.len()), "tips: {tips:?}");
    assert!(
        tips.iter()
            .all(|t| t[0].as_str().is_some_and(|s| !s.is_empty())
                && t[1].as_str().is_some_and(|s| !s.is_empty())),
        "each tip with its evidence: {tips:?}"
    );
    assert!(
        texts(&c, "#insights-measures th").await.len() >= 5,
        "the measures table"
    );

    crate::browser::assert_page_clean(&c, "the end of browser_workspace_tools").await;

    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
