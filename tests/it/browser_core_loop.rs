//! The core loop in a real browser: headless Chromium, driven through chromedriver, logs an
//! agent in, a second window plays the customer's phone (the simulator), and the two talk
//! through the real server: offer, accept, reply, live messages, terminate, new workitem.

use std::time::Instant;

use fantoccini::{Client, Locator};
use parley::acd::Presence;
use serde_json::json;

use crate::browser::*;
use crate::common::*;

const CUSTOMER: &str = "+14155550123";

/// The workspace fills the window without scrolling the page itself (its lists scroll).
async fn assert_page_fits(c: &Client) {
    let sizes = js(
        c,
        "const e = document.documentElement; \
         return [e.scrollWidth, e.scrollHeight, e.clientWidth, e.clientHeight];",
        vec![],
    )
    .await;
    let [sw, sh, cw, ch]: [f64; 4] = serde_json::from_value(sizes).expect("sizes");
    assert!(
        sw <= cw && sh <= ch,
        "the page scrolls: content {sw}x{sh} in a {cw}x{ch} window"
    );
}

#[tokio::test]
async fn agent_and_customer_windows_run_the_core_loop() {
    let Some((driver_path, chromium)) = browser_tools() else {
        return;
    };
    let started = Instant::now();
    // The browser first: its start-up is the slow part and should not eat into offer time.
    let driver = Driver::start(&driver_path).await;
    let c = driver.browser(&chromium).await;

    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.simulator_number(queue).await;
    let alice = server.add_agent("alice", &[queue], None).await;
    let url = &server.url;

    // 1. The agent's window: the workspace asks for a login first, then comes back.
    c.goto(&format!("{url}/workspace")).await.expect("open");
    wait_for(&c, "#login-form").await;
    assert_eq!(c.current_url().await.expect("url").path(), "/login");
    wait_for(&c, "#username")
        .await
        .send_keys("alice")
        .await
        .expect("type user");
    wait_for(&c, "#password")
        .await
        .send_keys(PASSWORD)
        .await
        .expect("type password");
    wait_for(&c, "#login-submit")
        .await
        .click()
        .await
        .expect("log in");
    wait_for(&c, "#app[data-live=\"1\"]").await;
    assert_eq!(c.current_url().await.expect("url").path(), "/workspace");
    let agent_window = c.window().await.expect("window");
    // `--window-size=1280,800` sizes the window; headless Chromium keeps some of it for its
    // (invisible) browser frame, so the page gets the full width and a little less height.
    let viewport: (f64, f64) = serde_json::from_value(
        js(
            &c,
            "return [window.innerWidth, window.innerHeight];",
            vec![],
        )
        .await,
    )
    .expect("viewport");
    assert!(
        viewport.0 == WINDOW.0 && viewport.1 <= WINDOW.1 && viewport.1 >= WINDOW.1 * 0.75,
        "unexpected viewport {viewport:?} for a {WINDOW:?} window"
    );

    wait_for(&c, "#presence")
        .await
        .select_by_value("available")
        .await
        .expect("choose Available");
    wait_js(
        &c,
        "the presence select to show Available",
        "return document.getElementById('presence').value === 'available';",
    )
    .await;
    let acd = &server.state.acd;
    poll("the ACD to have alice Available", move || async move {
        let snap = acd.snapshot(alice.id).await.ok()?;
        (snap.view.presence == Presence::Available).then_some(())
    })
    .await;

    // 2. The customer's window (same browser, so already logged in): the phone simulator,
    // live, texting in.
    let phone_window = c.new_window(false).await.expect("new window").handle;
    c.switch_to_window(phone_window.clone())
        .await
        .expect("to phone");
    c.goto(&format!("{url}/simulator?phone=%2B14155550123"))
        .await
        .expect("open simulator");
    wait_for(&c, "main.phone[data-live=\"1\"]").await;
    customer_texts(&c, &server, "Hi, my order never arrived").await;

    // 3. The agent sees the offer in the lower right, with who, what, where and how long.
    c.switch_to_window(agent_window.clone())
        .await
        .expect("to agent");
    let first = the_offer(&c).await;
    let offer_css = format!("#offer-{first}");
    let offer = wait_for(&c, &offer_css).await;
    let text = offer.text().await.expect("offer text");
    for part in [CUSTOMER, "Hi, my order never arrived", "Support"] {
        assert!(text.contains(part), "offer lacks {part:?}: {text:?}");
    }
    let countdown = offer
        .find(Locator::Css(".countdown"))
        .await
        .expect("countdown")
        .text()
        .await
        .expect("countdown text");
    let secs: u32 = countdown
        .strip_suffix(" s")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("countdown is not \"N s\": {countdown:?}"));
    assert!((1..=20).contains(&secs), "countdown {secs} s");
    let (x, y, w, h) = offer.rectangle().await.expect("offer rect");
    assert!(
        x >= viewport.0 / 2.0 && y >= viewport.1 / 2.0,
        "offer not in the lower right of {viewport:?}: {x},{y} {w}x{h}"
    );
    assert!(
        x + w <= viewport.0 && y + h <= viewport.1,
        "offer overflows the viewport {viewport:?}: {x},{y} {w}x{h}"
    );
    assert_page_fits(&c).await;
    snapshot(&c, "offer").await;

    offer
        .find(Locator::Css(".accept"))
        .await
        .expect("accept button")
        .click()
        .await
        .expect("accept");

    // 4. The dialog opens on the customer's message, time-stamped; the agent replies.
    wait_js(
        &c,
        "the offer to go",
        &format!("return !document.querySelector('{offer_css}');"),
    )
    .await;
    let dialog = &wait_for(&c, "#dialog").await;
    poll("the dialog to show", move || async move {
        dialog.is_displayed().await.ok()?.then_some(())
    })
    .await;
    wait_for(&c, &format!("#item-{first}.current")).await;
    wait_text(
        &c,
        "#messages li.bubble.in .body",
        "Hi, my order never arrived",
    )
    .await;
    let stamps = texts(&c, "#messages li.bubble.in time").await;
    // 24-hour time, as everywhere in Parley: "14:05:09", never "02:05:09 PM".
    assert!(
        stamps.len() == 1
            && stamps[0].len() == 8
            && stamps[0].chars().enumerate().all(|(i, ch)| if i % 3 == 2 {
                ch == ':'
            } else {
                ch.is_ascii_digit()
            }),
        "time stamps: {stamps:?}"
    );
    type_and_enter(&c, "#reply", "Sorry to hear that! Let me check.").await;
    wait_text(
        &c,
        "#messages li.bubble.out .body",
        "Sorry to hear that! Let me check.",
    )
    .await;
    assert_eq!(
        js(&c, "return document.getElementById('reply').value;", vec![]).await,
        json!(""),
        "the composer empties after sending"
    );
    // Every tab of the workitem, drawn, passes axe-core; then back to the conversation.
    for tab in [
        "contact",
        "notes",
        "survey",
        "insights",
        "data",
        "information",
        "events",
        "history",
    ] {
        click(&c, &format!("#tab-{tab}")).await;
        wait_js(
            &c,
            &format!("the {tab} tab to be drawn"),
            &format!(
                "const p = document.getElementById('panel-{tab}'); \
                 return !p.hidden && p.children.length > 0;"
            ),
        )
        .await;
        crate::browser::assert_accessible(&c, &format!("the workspace's {tab} tab")).await;
    }
    click(&c, "#tab-sms").await;
    // Marks this page, to prove later that nothing reloaded it.
    js(&c, "window.parleyTestMark = 1; return null;", vec![]).await;

    // 5. The customer's phone gets the reply, and the customer answers.
    c.switch_to_window(phone_window.clone())
        .await
        .expect("to phone");
    wait_text(
        &c,
        "#sim-messages li.bubble.in .body",
        "Sorry to hear that! Let me check.",
    )
    .await;
    customer_texts(&c, &server, "Order 1234").await;

    // 6. The answer arrives live in the same dialog; the agent terminates the workitem.
    c.switch_to_window(agent_window.clone())
        .await
        .expect("to agent");
    wait_text(&c, "#messages li.bubble.in .body", "Order 1234").await;
    assert_eq!(
        texts(&c, "#messages li.bubble .body").await,
        [
            "Hi, my order never arrived",
            "Sorry to hear that! Let me check.",
            "Order 1234"
        ],
        "the dialog holds the whole conversation in order"
    );
    assert_eq!(
        js(&c, "return window.parleyTestMark === 1;", vec![]).await,
        json!(true),
        "the workspace reloaded"
    );
    wait_for(&c, &format!("#item-{first}.current")).await;
    assert_page_fits(&c).await;
    wait_for(&c, "#terminate")
        .await
        .click()
        .await
        .expect("terminate");
    wait_js(
        &c,
        "the workitem to leave the list",
        "return document.querySelectorAll('#workitems li').length === 0;",
    )
    .await;
    poll("the dialog to close", move || async move {
        (!dialog.is_displayed().await.ok()?).then_some(())
    })
    .await;

    // 7. A new text after termination is a new workitem, offered afresh.
    c.switch_to_window(phone_window.clone())
        .await
        .expect("to phone");
    customer_texts(&c, &server, "One more thing").await;
    c.switch_to_window(agent_window.clone())
        .await
        .expect("to agent");
    let second = the_offer(&c).await;
    assert_ne!(
        second, first,
        "a text after termination starts a new workitem"
    );
    let offer = wait_for(&c, &format!("#offer-{second}")).await;
    let text = offer.text().await.expect("offer text");
    assert!(text.contains("One more thing"), "second offer: {text:?}");
    offer
        .find(Locator::Css(".accept"))
        .await
        .expect("accept button")
        .click()
        .await
        .expect("accept");
    wait_for(&c, &format!("#item-{second}.current")).await;
    wait_text(&c, "#messages li.bubble .body", "One more thing").await;
    assert_eq!(
        texts(&c, "#messages li.bubble .body").await,
        ["One more thing"],
        "the new workitem's dialog shows only its own message"
    );
    assert_eq!(texts(&c, "#workitems li").await.len(), 1);

    assert_page_clean(&c, "the end of browser").await;
    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
    eprintln!(
        "browser test took {:.1} s; screenshot in target/browser-offer.png",
        started.elapsed().as_secs_f64(),
    );
}
