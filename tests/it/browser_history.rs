//! The customer's history in a real browser: the side panel and the History tab show the earlier
//! conversations; an item's arrow unfolds its transcript in place and folds it away; a wider range
//! shows older items in both places and is still chosen after a reload. Skips like the other
//! browser tests without Chromium (fails instead with `PARLEY_REQUIRE_BROWSER=1`).

use chrono::Duration;
use fantoccini::Client;
use fantoccini::key::Key;
use parley::domain::{Note, NoteId};
use parley::store::{self};
use serde_json::json;

use crate::browser::{
    catch_up_clock, click, js, log_in_available, open_browser, texts, the_offer, wait_for, wait_js,
    wait_text,
};
use crate::common::*;

const CUSTOMER: &str = "+14155550123";

/// The first line of every item in the history shown by `host`.
async fn lines(c: &Client, host: &str) -> Vec<String> {
    texts(c, &format!("{host} .history-item .history-line")).await
}

async fn range_of(c: &Client, host: &str) -> serde_json::Value {
    js(
        c,
        "const s = document.querySelector(arguments[0] + ' select.history-range'); \
         return s ? s.value : null;",
        vec![json!(host)],
    )
    .await
}

#[tokio::test]
async fn history_shows_beside_and_in_its_tab_unfolds_transcripts_and_remembers_the_range() {
    let Some((driver, c)) = open_browser().await else {
        return;
    };
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice = server.add_agent("alice", &[queue], None).await;
    let now = server.clock.now();
    let recent = server
        .past_conversation(
            CUSTOMER,
            alice.id,
            now - Duration::days(3),
            "Where is my parcel?",
            "It ships tomorrow.",
        )
        .await;
    server
        .past_conversation(
            CUSTOMER,
            alice.id,
            now - Duration::days(45),
            "Question about my bill",
            "The bill is fixed.",
        )
        .await;

    // Twenty old notes: with every item shown, the list takes two pages.
    let contact = server
        .state
        .store
        .read(move |txn| Ok(store::workitem(txn, recent)?.expect("workitem").contact))
        .await
        .unwrap();
    server
        .state
        .store
        .write(move |txn| {
            for n in 1..=20 {
                let note = Note {
                    id: NoteId(0),
                    contact,
                    workitem: None,
                    author: alice.id,
                    author_name: "Alice".into(),
                    body: format!("Old note {n}."),
                    at: now - Duration::days(49 + n),
                };
                store::add_note(txn, note)?;
            }
            Ok(())
        })
        .await
        .unwrap();

    // The customer texts again; Alice accepts.
    log_in_available(&c, &server, &alice).await;
    catch_up_clock(&server);
    server.twilio_sms("SM1", CUSTOMER, "Hello again").await;
    let id = the_offer(&c).await;
    click(&c, &format!("#offer-{id} .accept")).await;
    wait_for(&c, &format!("#item-{id}.current")).await;

    // 1. The side panel: this conversation and the one of three days ago (last 30 days).
    let side = "#history-side-body";
    wait_text(&c, &format!("{side} .history-line"), "Where is my parcel?").await;
    assert_eq!(
        lines(&c, side).await,
        ["Hello again", "Where is my parcel?"]
    );
    assert_eq!(range_of(&c, side).await, json!("30d"));

    // 2. The History tab shows the same; the arrow unfolds the transcript in place.
    click(&c, "#tab-history").await;
    let tab = "#panel-history";
    wait_text(&c, &format!("{tab} .history-line"), "Where is my parcel?").await;
    assert_eq!(lines(&c, tab).await, ["Hello again", "Where is my parcel?"]);
    let arrow = format!("{tab} .history-workitem[data-id=\"{recent}\"] .history-toggle");
    assert_eq!(
        wait_for(&c, &arrow)
            .await
            .attr("aria-expanded")
            .await
            .unwrap(),
        Some("false".into())
    );
    click(&c, &arrow).await;
    let transcript = format!("{tab} .history-workitem[data-id=\"{recent}\"] .history-detail");
    wait_text(
        &c,
        &format!("{transcript} .bubble .body"),
        "It ships tomorrow.",
    )
    .await;
    assert_eq!(
        texts(&c, &format!("{transcript} .bubble .body")).await,
        ["Where is my parcel?", "It ships tomorrow."]
    );
    assert_eq!(
        wait_for(&c, &arrow)
            .await
            .attr("aria-expanded")
            .await
            .unwrap(),
        Some("true".into())
    );
    // The side panel's copy stays folded: the two work independently.
    assert_eq!(
        js(
            &c,
            "return document.querySelector(arguments[0]).hidden;",
            vec![json!(format!(
                "{side} .history-workitem[data-id=\"{recent}\"] .history-detail"
            ))],
        )
        .await,
        json!(true)
    );
    // The keyboard folds it away again.
    wait_for(&c, &arrow)
        .await
        .send_keys(&Key::Enter)
        .await
        .expect("press Enter on the arrow");
    wait_js(
        &c,
        "the transcript to fold away",
        &format!(
            "const b = document.querySelector('{}'); \
             return b.getAttribute('aria-expanded') === 'false' \
               && document.getElementById(b.getAttribute('aria-controls')).hidden;",
            arrow.replace('\'', "\\'")
        ),
    )
    .await;
    let ids_unique = "const ids = [...document.querySelectorAll('[id]')].map(e => e.id); \
                      return ids.length === new Set(ids).size;";
    assert_eq!(js(&c, ids_unique, vec![]).await, json!(true), "no id twice");

    // 3. A wider range shows the older conversation, here and in the side panel.
    wait_for(&c, &format!("{tab} select.history-range"))
        .await
        .select_by_value("all")
        .await
        .expect("choose All time");
    wait_text(
        &c,
        &format!("{tab} .history-line"),
        "Question about my bill",
    )
    .await;
    wait_text(
        &c,
        &format!("{side} .history-line"),
        "Question about my bill",
    )
    .await;
    let shown = lines(&c, tab).await;
    assert_eq!(
        shown[..4],
        [
            "Hello again",
            "Where is my parcel?",
            "Question about my bill",
            "Old note 1."
        ]
    );
    assert_eq!(shown.len(), 20, "one page");
    // Older: the last three notes; Newer: back to the first page.
    click(&c, &format!("{tab} a.history-older")).await;
    wait_text(&c, &format!("{tab} .history-page-of"), "Page 2 of 2").await;
    assert_eq!(
        lines(&c, tab).await,
        ["Old note 18.", "Old note 19.", "Old note 20."]
    );
    assert_eq!(
        texts(&c, &format!("{side} .history-page-of")).await,
        ["Page 1 of 2"],
        "the side panel keeps its own page"
    );
    click(&c, &format!("{tab} a.history-newer")).await;
    wait_text(&c, &format!("{tab} .history-page-of"), "Page 1 of 2").await;
    assert_eq!(lines(&c, tab).await[0], "Hello again");
    // The layout still fits a 1280×800 window with the side panel.
    let sizes = js(
        &c,
        "const e = document.documentElement; \
         const s = document.getElementById('history-side').getBoundingClientRect(); \
         return [e.scrollWidth <= e.clientWidth, e.scrollHeight <= e.clientHeight, s.width > 200];",
        vec![],
    )
    .await;
    assert_eq!(
        sizes,
        json!([true, true, true]),
        "page fits, side panel shown"
    );

    // 4. After a reload the choice is still there.
    c.refresh().await.expect("reload");
    wait_for(&c, "#app[data-live=\"1\"]").await;
    click(&c, &format!("#item-{id}")).await;
    wait_text(
        &c,
        &format!("{side} .history-line"),
        "Question about my bill",
    )
    .await;
    assert_eq!(range_of(&c, side).await, json!("all"));
    click(&c, "#tab-history").await;
    wait_text(
        &c,
        &format!("{tab} .history-line"),
        "Question about my bill",
    )
    .await;
    assert_eq!(range_of(&c, tab).await, json!("all"));

    crate::browser::assert_page_clean(&c, "the end of browser_history").await;

    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
