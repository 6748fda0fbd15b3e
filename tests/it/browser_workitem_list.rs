//! The workspace's offers and workitem list in a real browser: Alt+R rejects and Alt+A
//! accepts an offer; the dialog's "Customer waiting" timer counts; the list puts the newest
//! customer activity first, shows each customer's wait (gone once answered) counting live, and
//! badges the customer messages that came while another workitem was shown, cleared when
//! opened and kept over a reload.
//!
//! Skips (loudly) without Chromium, like every browser test (harness: `browser/mod.rs`).

use std::sync::Arc;

use fantoccini::Client as Browser;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::json;

use crate::browser::{
    accept_offer, click, customer_texts_from, js, log_in_available, open_browser, poll, the_offer,
    wait_for, wait_js, wait_text,
};
use crate::common::*;

const ANN: &str = "+14155550123";
const BEN: &str = "+14155550124";
const STRANGER: &str = "+14155550199";

/// Presses Alt and `key` together, wherever the focus is.
pub(crate) async fn press_alt(c: &Browser, key: char) {
    const ALT: char = '\u{e00a}'; // WebDriver's code for the Alt key (`Key::Alt`)
    let keys = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: ALT })
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key })
        .then(KeyAction::Up { value: ALT });
    c.perform_actions(keys).await.expect("press Alt+key");
}

/// The workitem ids of the list, top to bottom.
async fn list_order(c: &Browser) -> Vec<u64> {
    let v = js(
        c,
        "return [...document.querySelectorAll('#workitems .item')].map(b => Number(b.id.slice(5)));",
        vec![],
    )
    .await;
    serde_json::from_value(v).expect("ids")
}

/// The unread count on workitem `id`'s list entry (None without a badge).
async fn badge(c: &Browser, id: u64) -> Option<u64> {
    let v = js(
        c,
        "const b = document.querySelector('#item-' + arguments[0] + ' .badge'); \
         return b ? Number(b.firstChild.nodeValue) : null;",
        vec![json!(id)],
    )
    .await;
    serde_json::from_value(v).expect("badge")
}

/// The seconds in a "… N s" text (None for an empty one); panics on anything else.
fn seconds(text: &str, prefix: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let n = text
        .strip_prefix(prefix)
        .and_then(|t| t.strip_suffix(" s"))
        .unwrap_or_else(|| panic!("not \"{prefix}N s\": {text:?}"));
    Some(
        n.parse()
            .unwrap_or_else(|_| panic!("not a number: {text:?}")),
    )
}

/// How long the list says the customer of `id` has waited, in seconds (None: not waiting).
async fn list_wait(c: &Browser, id: u64) -> Option<u64> {
    let v = js(
        c,
        "return document.querySelector('#item-' + arguments[0] + ' .wait').textContent;",
        vec![json!(id)],
    )
    .await;
    seconds(v.as_str().expect("text"), "Waiting ")
}

/// How long the dialog says its customer has waited (None: not waiting).
async fn dialog_wait(c: &Browser) -> Option<u64> {
    let v = js(
        c,
        "return document.getElementById('waiting').textContent;",
        vec![],
    )
    .await;
    seconds(v.as_str().expect("text"), "Customer waiting ")
}

/// Waits until `read` gives a number of seconds larger than it first gave: the timer counts.
async fn counts_up<F, Fut>(what: &str, read: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<u64>>,
{
    let read = &read;
    let first = poll(
        &format!("{what} to show"),
        move || async move { read().await },
    )
    .await;
    poll(
        &format!("{what} to count on from {first} s"),
        move || async move { read().await.filter(|n| *n > first) },
    )
    .await;
}

async fn wait_order(c: &Browser, want: &[u64]) {
    poll(
        &format!("the list in the order {want:?}"),
        move || async move { (list_order(c).await == want).then_some(()) },
    )
    .await;
}

async fn wait_badge(c: &Browser, id: u64, want: Option<u64>) {
    poll(
        &format!("workitem {id}'s badge to read {want:?}"),
        move || async move { (badge(c, id).await == want).then_some(()) },
    )
    .await;
}

#[tokio::test]
async fn offers_by_key_and_a_list_by_latest_activity_with_waits_and_unread_badges() {
    let Some((driver, c)) = open_browser().await else {
        return;
    };
    // A rejected offer is never offered to the same agent again during the test.
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let server = TestServer::start_in(dir, |c| c.acd.lapse_cooldown_secs = 3600).await;
    let queue = server.default_queue().await;
    let alice = server.add_agent("alice", &[queue], None).await;
    log_in_available(&c, &server, &alice).await;

    // 1. Alt+R rejects the offer on screen: it leaves, and the ACD takes it back.
    customer_texts_from(&server, "SMx1", STRANGER, "Wrong number?").await;
    let stranger = the_offer(&c).await;
    press_alt(&c, 'r').await;
    wait_js(
        &c,
        "the rejected offer to leave",
        "return document.querySelectorAll('#offers .offer').length === 0;",
    )
    .await;
    let snap = server.state.acd.snapshot(alice.id).await.expect("snapshot");
    assert!(
        snap.offers.is_empty() && snap.active.is_empty(),
        "workitem {stranger} is still alice's after Alt+R: {snap:?}"
    );

    // 2. Alt+A accepts: the dialog opens on it, and its "Customer waiting" timer counts.
    customer_texts_from(&server, "SMa1", ANN, "Where is my parcel?").await;
    let ann = the_offer(&c).await;
    assert_ne!(ann, stranger);
    press_alt(&c, 'a').await;
    wait_for(&c, &format!("#item-{ann}.current")).await;
    let snap = server.state.acd.snapshot(alice.id).await.expect("snapshot");
    assert_eq!(
        snap.active.iter().map(|w| w.id.0).collect::<Vec<_>>(),
        [ann]
    );
    wait_text(&c, "#messages li.bubble.in .body", "Where is my parcel?").await;
    let b = &c;
    counts_up("the dialog's Customer waiting timer", move || {
        dialog_wait(b)
    })
    .await;
    counts_up("Ann's wait in the list", move || list_wait(b, ann)).await;

    // 3. Ben writes later: his conversation goes first.
    customer_texts_from(&server, "SMb1", BEN, "Hello, anyone?").await;
    let ben = accept_offer(&c).await;
    wait_order(&c, &[ben, ann]).await;
    assert_eq!((badge(&c, ann).await, badge(&c, ben).await), (None, None));

    // 4. Alice answers Ben: his wait ends in the list and in the dialog.
    let reply = wait_for(&c, "#reply").await;
    reply.send_keys("Hi Ben!").await.expect("type");
    reply.send_keys(&Key::Enter).await.expect("send");
    wait_text(&c, "#messages li.bubble.out .body", "Hi Ben!").await;
    poll("Ben's wait to end", move || async move {
        (list_wait(b, ben).await.is_none() && dialog_wait(b).await.is_none()).then_some(())
    })
    .await;
    assert!(list_wait(&c, ann).await.is_some(), "Ann still waits");
    assert_eq!(
        list_order(&c).await,
        [ben, ann],
        "an answer is not customer activity"
    );

    // 5. Ann writes twice while Ben is shown: she goes first, with a badge counting both.
    customer_texts_from(&server, "SMa2", ANN, "Hello??").await;
    wait_order(&c, &[ann, ben]).await;
    wait_badge(&c, ann, Some(1)).await;
    customer_texts_from(&server, "SMa3", ANN, "Please answer").await;
    wait_badge(&c, ann, Some(2)).await;
    assert_eq!(
        badge(&c, ben).await,
        None,
        "the shown workitem has no badge"
    );
    let label = js(
        &c,
        &format!("return document.getElementById('item-{ann}').textContent;"),
        vec![],
    )
    .await;
    assert!(
        label.as_str().expect("text").contains("2 unread messages"),
        "the badge is named for screen readers: {label}"
    );

    // 6. Opening Ann's workitem clears her badge; Ben's new message badges his.
    click(&c, &format!("#item-{ann}")).await;
    wait_for(&c, &format!("#item-{ann}.current")).await;
    wait_badge(&c, ann, None).await;
    wait_text(&c, "#messages li.bubble.in .body", "Please answer").await;
    customer_texts_from(&server, "SMb2", BEN, "Thanks, one more question").await;
    wait_order(&c, &[ben, ann]).await;
    wait_badge(&c, ben, Some(1)).await;
    counts_up("Ben's new wait in the list", move || list_wait(b, ben)).await;

    // 7. A reload keeps the badges, the order and the waits.
    c.refresh().await.expect("reload");
    wait_for(&c, "#app[data-live=\"1\"]").await;
    wait_order(&c, &[ben, ann]).await;
    wait_badge(&c, ben, Some(1)).await;
    assert_eq!(badge(&c, ann).await, None);
    poll("both waits to show after the reload", move || async move {
        (list_wait(b, ben).await.is_some() && list_wait(b, ann).await.is_some()).then_some(())
    })
    .await;

    crate::browser::assert_page_clean(&c, "the end of browser_workitem_list").await;
    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
