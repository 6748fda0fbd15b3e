//! The workspace when the server goes away and comes back: the lost-connection banner shows
//! while it is stopped; once it runs again (same port, same data dir) the banner clears and the
//! workspace resynchronises: the state the restarted server holds, a workitem the agent took
//! meanwhile in another session, and a customer message that arrived meanwhile, badged.
//!
//! Skips (loudly) without Chromium, like every browser test (harness: `browser/mod.rs`).

use serde_json::json;

use crate::browser::{
    accept_offer, customer_texts_from, js, log_in_available, open_browser, poll, wait_for, wait_js,
};
use crate::common::*;

const ANN: &str = "+14155550123";
const BEN: &str = "+14155550124";
const CAROL: &str = "+14155550125";

/// The banner's text, when it says the connection is lost (None otherwise).
async fn banner(c: &fantoccini::Client) -> Option<String> {
    let v = js(
        c,
        "const e = document.getElementById('conn'); \
         return e.classList.contains('lost') && e.offsetParent !== null ? e.textContent : null;",
        vec![],
    )
    .await;
    v.as_str().map(str::to_owned)
}

#[tokio::test]
async fn the_banner_shows_while_the_server_is_away_and_the_workspace_resyncs_after() {
    let Some((driver, c)) = open_browser().await else {
        return;
    };
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice = server.add_agent("alice", &[queue], None).await;
    log_in_available(&c, &server, &alice).await;
    customer_texts_from(&server, "SMa1", ANN, "First question").await;
    let ann = accept_offer(&c).await;
    customer_texts_from(&server, "SMb1", BEN, "Second question").await;
    let ben = accept_offer(&c).await;
    assert_eq!(banner(&c).await, None, "connected: no banner");

    // 1. The server stops: the banner says so.
    let port = server.port();
    let dir = server.stop().await;
    let b = &c;
    let text = poll("the lost-connection banner", move || async move {
        banner(b).await
    })
    .await;
    assert!(text.contains("Connection lost"), "banner: {text:?}");

    // 2. It runs again on the same port and data dir. Meanwhile (whenever the browser
    // reconnects) Ann writes to her open workitem, and alice takes Carol's new workitem in
    // another session.
    let server = TestServer::restart(port, dir).await;
    customer_texts_from(&server, "SMa2", ANN, "Are you still there?").await;
    let other = server.login("alice").await;
    let mut events = other.events().await;
    other.available().await;
    customer_texts_from(&server, "SMc1", CAROL, "Third question").await;
    let carol = events.offer().await;
    other
        .post_ok(&format!("/api/workitems/{carol}/accept"), json!({}))
        .await;

    // 3. The banner clears and the workspace shows what the server holds: Carol's workitem
    // first (the latest customer message), then Ann's with her new message badged, then Ben's,
    // still open.
    poll("the banner to clear", move || async move {
        banner(b).await.is_none().then_some(())
    })
    .await;
    wait_for(&c, &format!("#item-{carol}")).await;
    wait_js(
        &c,
        "Ann's badge and order after the resync",
        &format!(
            "const b = document.querySelector('#item-{ann} .badge'); \
             const ids = [...document.querySelectorAll('#workitems .item')].map(e => e.id); \
             return !!b && b.firstChild.nodeValue === '1' \
               && ids.join() === 'item-{carol},item-{ann},item-{ben}';"
        ),
    )
    .await;
    wait_for(&c, &format!("#item-{ben}.current")).await;
    wait_js(
        &c,
        "the presence the restarted server holds",
        "return document.getElementById('presence').value === 'available';",
    )
    .await;
    assert_eq!(
        js(
            &c,
            "return document.querySelectorAll('#workitems .item').length;",
            vec![]
        )
        .await,
        json!(3)
    );

    crate::browser::assert_page_clean(&c, "the end of browser_reconnect").await;
    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
