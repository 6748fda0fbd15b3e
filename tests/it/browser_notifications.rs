//! The offer's browser notification in a real browser: the Settings page's boxes sit on one
//! line with their labels; neither the workspace nor Settings asks for permission on load;
//! ticking the box asks (only when the browser has not decided yet) and says what it answered;
//! with it on, an offer that arrives while the workspace tab is in the background shows a
//! notification, and one that arrives while it is in front does not.
//!
//! Skips (loudly) without Chromium, like every browser test (harness: `browser/mod.rs`).

use fantoccini::Client as Browser;
use serde_json::json;

use crate::browser::{
    before_page_scripts, cdp, click, customer_texts_from, js, log_in, open_browser, set_presence,
    the_offer, wait_for, wait_js,
};
use crate::common::*;

/// Counts, in every page, the calls to `Notification.requestPermission` and the notifications
/// made (by title), before the page's own scripts run. Both pass through to the browser. The
/// titles also go to `localStorage`, which every tab of the server's origin shares, so that
/// a test can see from another tab that a background tab notified.
const WATCH_NOTIFICATIONS: &str = "\
    window.parleyAsks = 0; window.parleyNotes = [];\
    if (window.Notification) {\
      const ask = Notification.requestPermission.bind(Notification);\
      Notification.requestPermission = (...a) => { window.parleyAsks++; return ask(...a); };\
      const Real = window.Notification;\
      window.Notification = class extends Real {\
        constructor(title, options) {\
          super(title, options); window.parleyNotes.push(title);\
          const all = JSON.parse(localStorage.getItem('parleyNotes') || '[]');\
          all.push(title); localStorage.setItem('parleyNotes', JSON.stringify(all));\
        }\
      };\
    }";

async fn asks(c: &Browser) -> u64 {
    js(c, "return window.parleyAsks;", vec![])
        .await
        .as_u64()
        .expect("the watch script ran")
}

async fn notes(c: &Browser) -> Vec<String> {
    serde_json::from_value(js(c, "return window.parleyNotes;", vec![]).await).expect("titles")
}

/// Whether the checkbox `id` and its label share a line (the label right of the box).
async fn on_one_line(c: &Browser, id: &str) -> bool {
    js(
        c,
        "const box = document.getElementById(arguments[0]).getBoundingClientRect(); \
         const label = document.querySelector('label[for=' + arguments[0] + ']').getBoundingClientRect(); \
         return label.left >= box.right && label.top < box.bottom && box.top < label.bottom;",
        vec![json!(id)],
    )
    .await
        == json!(true)
}

#[tokio::test]
async fn offers_notify_in_the_background_once_allowed_on_the_settings_page() {
    let Some((driver, c)) = open_browser().await else {
        return;
    };
    before_page_scripts(&c, WATCH_NOTIFICATIONS).await;
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice = server.add_agent("alice", &[queue], None).await;

    // 1. Nothing asks on load: not the workspace, not Settings.
    log_in(&c, &server, "alice").await;
    assert_eq!(asks(&c).await, 0, "the workspace asked on load");
    c.goto(&format!("{}/settings", server.url))
        .await
        .expect("settings");
    wait_for(&c, "#notify").await;
    assert_eq!(asks(&c).await, 0, "Settings asked on load");
    for id in ["sound", "notify"] {
        assert!(
            on_one_line(&c, id).await,
            "#{id} and its label are not on one line"
        );
    }
    assert_eq!(
        js(&c, "return Notification.permission;", vec![]).await,
        json!("default")
    );

    // 2. Ticking the box asks the browser, once; the page says what it answered.
    click(&c, "#notify").await;
    wait_js(
        &c,
        "the permission request",
        "return window.parleyAsks === 1;",
    )
    .await;
    wait_js(
        &c,
        "the page to tell the browser's answer",
        "const s = document.getElementById('notify-status'); const box = document.getElementById('notify'); \
         const p = Notification.permission; \
         return !s.hidden && (p === 'granted' ? box.checked && s.textContent.includes('may show') \
           : !box.checked && s.textContent.length > 0);",
    )
    .await;

    // 3. Once the browser allows it, ticking asks no more and the choice is saved.
    cdp(
        &c,
        "Browser.grantPermissions",
        json!({"origin": server.url, "permissions": ["notifications"]}),
    )
    .await;
    wait_js(
        &c,
        "the permission to be granted",
        "return Notification.permission === 'granted';",
    )
    .await;
    if js(
        &c,
        "return document.getElementById('notify').checked;",
        vec![],
    )
    .await
        != json!(true)
    {
        click(&c, "#notify").await;
    }
    wait_js(
        &c,
        "the box to stay ticked",
        "return document.getElementById('notify').checked;",
    )
    .await;
    assert_eq!(asks(&c).await, 1, "asked again though the browser decided");
    click(&c, "#settings-save").await;
    wait_for(&c, "#settings-notice").await;
    let me = server.login("alice").await;
    let prefs: serde_json::Value = me.get("/api/me").await.json().await.expect("me");
    assert_eq!(prefs["notify"], json!(true));

    // 4. In the background, an offer notifies.
    c.goto(&format!("{}/workspace", server.url))
        .await
        .expect("workspace");
    wait_for(&c, "#app[data-live=\"1\"]").await;
    set_presence(&c, &server, &alice, parley::acd::Presence::Available).await;
    let workspace = c.window().await.expect("window");
    let other = c.new_window(true).await.expect("new tab").handle;
    c.switch_to_window(other.clone())
        .await
        .expect("to the other tab");
    c.goto(&format!("{}/settings", server.url))
        .await
        .expect("settings in the other tab");
    customer_texts_from(&server, "SM1", "+14155550123", "Hi there").await;
    // Seen from this tab: switching back brings the workspace to the front, and an offer
    // that reached it only then would rightly not notify.
    wait_js(
        &c,
        "the offer's notification, from the other tab",
        "return localStorage.getItem('parleyNotes') === JSON.stringify(['New SMS from +14155550123']);",
    )
    .await;
    c.switch_to_window(workspace.clone())
        .await
        .expect("back to the workspace");
    let first = the_offer(&c).await;
    assert_eq!(notes(&c).await, ["New SMS from +14155550123"]);

    // 5. In front, the card is enough.
    click(&c, &format!("#offer-{first} .reject")).await;
    wait_js(
        &c,
        "the offer to go",
        "return document.querySelectorAll('#offers .offer').length === 0;",
    )
    .await;
    js(&c, "window.focus(); return null;", vec![]).await;
    wait_js(
        &c,
        "the workspace to be in front",
        "return !document.hidden && document.hasFocus();",
    )
    .await;
    customer_texts_from(&server, "SM2", "+14155550124", "Hello").await;
    let second = the_offer(&c).await;
    assert_ne!(second, first);
    assert_eq!(notes(&c).await.len(), 1, "a notification though in front");

    crate::browser::assert_page_clean(&c, "the end of browser_notifications").await;
    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
