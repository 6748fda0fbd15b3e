//! Ending a conversation in a real browser when its queue requires a wrap-up code: the dialog
//! refuses "End conversation" with the server's message until a code is chosen, then the workitem
//! ends with it. The away state offers the admin's reasons. Skips like the other browser tests
//! without Chromium (fails instead with `PARLEY_REQUIRE_BROWSER=1`).

use parley::acd::Presence;
use parley::domain::WorkitemId;

use crate::browser::{
    accept_offer, assert_page_clean, click, customer_texts_from, log_in_available, poll,
    set_presence, wait_for, wait_js, wait_text,
};
use crate::common::*;

#[tokio::test]
async fn terminate_is_refused_without_a_required_code_and_ends_with_the_one_chosen() {
    let Some((driver, c)) = crate::browser::open_browser().await else {
        return;
    };
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server
        .set_wrap_up(queue, &["Resolved", "Sale", "No answer"], true)
        .await;
    server.set_away_reasons(&["Break", "Lunch"], true).await;
    let alice = server.add_agent("alice", &[queue], None).await;
    log_in_available(&c, &server, &alice).await;
    customer_texts_from(&server, "SMwrap1", "+14155550160", "Two tickets please").await;
    let id = accept_offer(&c).await;

    click(&c, "#terminate").await;
    wait_for(&c, "#wrap-up-dialog[open]").await;
    wait_text(&c, "#wrap-up-hint", "requires a wrap-up code").await;
    assert_page_clean(&c, "the wrap-up dialog").await;

    // Nothing chosen: refused, the dialog stays, the workitem stays.
    click(&c, "#wrap-up-ok").await;
    wait_text(&c, "#wrap-up-error", "Choose a wrap-up code before ending").await;
    wait_for(&c, "#wrap-up-dialog[open]").await;
    wait_for(&c, &format!("#item-{id}")).await;

    wait_for(&c, "#wrap-up-code")
        .await
        .select_by_value("Sale")
        .await
        .expect("choose a code");
    click(&c, "#wrap-up-ok").await;
    wait_js(
        &c,
        "the workitem to leave the list and the dialog to close",
        "return document.querySelectorAll('#workitems li').length === 0 \
         && !document.getElementById('wrap-up-dialog').open;",
    )
    .await;
    let store = &server.state.store;
    let code = poll("the workitem to end with its code", || async {
        let w = store
            .read(move |txn| parley::store::workitem(txn, WorkitemId(id)))
            .await
            .ok()??;
        (!w.state.is_open()).then_some(w.wrap_up)
    })
    .await;
    assert_eq!(code.as_deref(), Some("Sale"));

    // Away offers the admin's list (the first reason at once), then another reason.
    set_presence(&c, &server, &alice, Presence::Away).await;
    let reason = || async {
        let snap = server.state.acd.snapshot(alice.id).await.ok()?;
        snap.view.away_reason
    };
    assert_eq!(
        poll("an away reason", || async { reason().await }).await,
        "Break"
    );
    wait_for(&c, "#away-reason")
        .await
        .select_by_value("Lunch")
        .await
        .expect("choose a reason");
    poll("the reason Lunch", || async {
        (reason().await.as_deref() == Some("Lunch")).then_some(())
    })
    .await;
    assert_page_clean(&c, "the workspace after the wrap-up, Away").await;
    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
