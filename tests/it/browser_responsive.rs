//! The workspace on a tablet (820×1180) and a laptop (1366×900) in a real browser: the reply
//! box fills its column and is at least 300 px wide, Send and Terminate are in view and take
//! clicks, the tabs stay on one row (scrolling sideways, reachable by keyboard) and no tab
//! panel, nor the page, scrolls sideways (for an admin, whose top bar has the most links).
//! Below 1200 px the history panel folds away.
//!
//! Skips (loudly) without Chromium, like every browser test (harness: `browser/mod.rs`).

use fantoccini::Client as Browser;
use fantoccini::key::Key;
use serde_json::{Value, json};

use crate::browser::{
    accept_offer, click, customer_texts_from, js, log_in_available, open_browser, set_window,
    wait_for, wait_js,
};
use crate::common::*;

const CUSTOMER: &str = "+14155550123";
const TABS: [&str; 9] = [
    "sms",
    "contact",
    "notes",
    "survey",
    "insights",
    "data",
    "information",
    "events",
    "history",
];

/// The element's box in the viewport, and whether a click at its centre reaches it.
async fn reachable(c: &Browser, css: &str) -> (Value, bool) {
    let v = js(
        c,
        "const e = document.querySelector(arguments[0]); const r = e.getBoundingClientRect(); \
         const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); \
         const inView = r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight; \
         return [[r.left, r.top, r.width, r.height], inView && !!hit && (hit === e || e.contains(hit))];",
        vec![json!(css)],
    )
    .await;
    serde_json::from_value(v).expect("box")
}

/// Fails when the page or the panel `css` is wider than what it shows.
async fn assert_no_sideways_scroll(c: &Browser, css: &str, what: &str) {
    let v = js(
        c,
        "const p = document.querySelector(arguments[0]); const d = document.documentElement; \
         return [p.scrollWidth, p.clientWidth, d.scrollWidth, d.clientWidth];",
        vec![json!(css)],
    )
    .await;
    let [pw, pc, dw, dc]: [f64; 4] = serde_json::from_value(v).expect("widths");
    assert!(pw <= pc, "{what}: {css} scrolls sideways ({pw} px in {pc})");
    assert!(
        dw <= dc,
        "{what}: the page scrolls sideways ({dw} px in {dc})"
    );
}

async fn check_layout(c: &Browser, width: u32, height: u32) {
    let what = format!("{width}×{height}");
    set_window(c, width, height).await;
    click(c, "#tab-sms").await;
    // For a person to look at, and for axe-core at this size.
    crate::browser::snapshot(c, &format!("workspace-{width}")).await;

    // The reply box: wide, and filling its row up to the tools and Send.
    let v = js(
        c,
        "const r = document.getElementById('reply').getBoundingClientRect(); \
         const f = document.getElementById('composer').getBoundingClientRect(); \
         const s = document.getElementById('send').getBoundingClientRect(); \
         return [r.width, f.left, f.right, r.left, s.right];",
        vec![],
    )
    .await;
    let [reply_w, form_left, form_right, reply_left, send_right]: [f64; 5] =
        serde_json::from_value(v).expect("boxes");
    assert!(
        reply_w >= 300.0,
        "{what}: the reply box is {reply_w} px wide"
    );
    assert!(
        (reply_left - form_left).abs() <= 1.0 && (form_right - send_right).abs() <= 1.0,
        "{what}: the reply row does not fill its column: form {form_left}–{form_right}, \
         reply from {reply_left}, Send to {send_right}"
    );
    for button in ["#send", "#terminate"] {
        let (rect, ok) = reachable(c, button).await;
        assert!(
            ok,
            "{what}: {button} is not in view or not clickable at {rect}"
        );
    }

    // One row of tabs.
    let tops = js(
        c,
        "return [...document.querySelectorAll('.tabs [role=tab]')].map(t => t.offsetTop);",
        vec![],
    )
    .await;
    let tops: Vec<f64> = serde_json::from_value(tops).expect("tops");
    assert!(
        tops.windows(2).all(|w| w[0] == w[1]),
        "{what}: the tabs wrap: {tops:?}"
    );

    // The history panel shows only where there is room for it.
    let side_shown = js(
        c,
        "return getComputedStyle(document.getElementById('history-side')).display !== 'none';",
        vec![],
    )
    .await;
    assert_eq!(side_shown, json!(width >= 1200), "{what}: history panel");

    // Every tab, loaded, fits its width.
    for tab in TABS {
        click(c, &format!("#tab-{tab}")).await;
        let panel = format!("#panel-{tab}");
        wait_js(
            c,
            &format!("{what}: the {tab} tab to load"),
            &format!(
                "const p = document.querySelector('{panel}'); \
                 return !p.hidden && p.children.length > 0;"
            ),
        )
        .await;
        assert_no_sideways_scroll(c, &panel, &format!("{what}, {tab} tab")).await;
        let (rect, ok) = reachable(c, "#terminate").await;
        assert!(
            ok,
            "{what}, {tab} tab: Terminate is not clickable at {rect}"
        );
    }
}

#[tokio::test]
async fn the_workspace_fits_a_tablet_and_a_laptop() {
    let Some((driver, c)) = open_browser().await else {
        return;
    };
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    // An admin: the top bar then carries every link it has.
    let alice = server
        .add_agent_as("alice", parley::domain::Role::Admin, &[queue], None)
        .await;
    log_in_available(&c, &server, &alice).await;
    // A long word with no place to break, to tempt the bubbles and the list into widening.
    let long = format!("Order{} arrived broken", "X".repeat(120));
    customer_texts_from(&server, "SM1", CUSTOMER, &long).await;
    accept_offer(&c).await;

    check_layout(&c, 820, 1180).await;
    // The tab row scrolls there: the keyboard reaches its far end and brings it into view.
    click(&c, "#tab-sms").await;
    wait_for(&c, "#tab-sms")
        .await
        .send_keys(&Key::Left)
        .await
        .expect("arrow left");
    wait_js(
        &c,
        "the History tab to be selected, focused and in view",
        "const t = document.getElementById('tab-history'); \
         const bar = t.parentElement.getBoundingClientRect(); const r = t.getBoundingClientRect(); \
         return t.getAttribute('aria-selected') === 'true' && document.activeElement === t \
           && r.left >= bar.left - 1 && r.right <= bar.right + 1;",
    )
    .await;

    wait_for(&c, "#tab-history")
        .await
        .send_keys(&Key::Home)
        .await
        .expect("Home");
    wait_js(
        &c,
        "Home to bring the SMS tab back",
        "const t = document.getElementById('tab-sms'); \
         return t.getAttribute('aria-selected') === 'true' && document.activeElement === t \
           && t.parentElement.scrollLeft === 0;",
    )
    .await;

    // An offer arriving while the agent types stands clear of Send and Terminate, and can be
    // accepted itself.
    customer_texts_from(&server, "SM2", "+14155550124", "Another question").await;
    wait_for(&c, "#offers .offer .accept").await;
    for css in ["#send", "#terminate", "#reply", "#offers .offer .accept"] {
        let (b, ok) = reachable(&c, css).await;
        assert!(
            ok,
            "820×1180 with an offer: {css} at {b} is covered or out of view"
        );
    }

    check_layout(&c, 1366, 900).await;

    crate::browser::assert_page_clean(&c, "the end of browser_responsive").await;
    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
