//! README "The demo, step by step", steps 4 to 8, in a real browser on the data `--demo` creates,
//! done as the README says: alice in the workspace and the simulator in another tab of the same
//! browser; an admin in a second browser for the predictive campaign. Along the way: the simulator
//! offers every simulator number, labels each message with ours, and its "Texting" follows the
//! number that wrote last; consent changes show and clear live in two workspace windows and in the
//! open Outbound SMS dialog. Skips like the other browser tests without Chromium (fails instead
//! with `PARLEY_REQUIRE_BROWSER=1`).

use std::path::Path;

use fantoccini::{Client as Browser, Locator};
use parley::domain::User;
use parley::store;
use serde_json::json;

use crate::browser::{
    Driver, assert_page_clean, browser_tools, catch_up_clock, click, customer_texts, eval,
    log_in_available, log_in_to, open_from_menu, open_workitem_showing, poll, texts, the_offer,
    type_and_enter, type_into, wait_dialog, wait_for, wait_js, wait_shown_at_least, wait_text,
};

use crate::campaign_run_page::advance_until_messaged;
use crate::common::*;

const DANA: &str = "+14155550123";
const SUPPORT: &str = "+14155550100";
const SPRING: &str = "+14155550102";

async fn user(server: &TestServer, name: &'static str) -> User {
    server
        .state
        .store
        .read(move |txn| store::user_by_name(txn, name))
        .await
        .unwrap()
        .expect("demo user")
}

/// Switches the browser to `window`.
async fn to(c: &Browser, window: &fantoccini::wd::WindowHandle) {
    c.switch_to_window(window.clone())
        .await
        .expect("switch window");
}

/// The simulator's "Texting" choice.
async fn texting(c: &Browser) -> String {
    eval(c, "document.getElementById('sim-to').value")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits until the simulator's "Texting" is `number`.
async fn wait_texting(c: &Browser, number: &str) {
    wait_js(
        c,
        &format!("Texting to follow {number}"),
        &format!("return document.getElementById('sim-to').value === '{number}';"),
    )
    .await;
}

/// Waits until the simulator shows a message to the customer containing `needle`. The outbox
/// holds each number to its send rate on the server's (manual) clock, so the clock follows the
/// real time meanwhile, as it would in the demo.
async fn phone_shows(c: &Browser, server: &TestServer, needle: &str) {
    poll(
        &format!("the phone to show {needle:?}"),
        move || async move {
            catch_up_clock(server);
            let shown = texts(c, "#sim-messages li.bubble.in .body").await;
            shown.iter().any(|t| t.contains(needle)).then_some(())
        },
    )
    .await;
}

/// Accepts the one offer on screen; its workitem id, once its dialog is open.
async fn accept_offer(c: &Browser, needles: &[&str]) -> u64 {
    let id = the_offer(c).await;
    let offer = wait_for(c, &format!("#offer-{id}")).await;
    let text = offer.text().await.expect("offer text");
    for part in needles {
        assert!(text.contains(part), "offer lacks {part:?}: {text:?}");
    }
    offer
        .find(Locator::Css(".accept"))
        .await
        .expect("accept button")
        .click()
        .await
        .expect("accept");
    wait_for(c, &format!("#item-{id}.current")).await;
    id
}

/// Whether the SMS tab of the open workitem shows the opt-out warning and is locked.
async fn consent_shown(c: &Browser) -> (bool, bool) {
    let v = eval(
        c,
        "[!document.getElementById('sms-consent').hidden, document.getElementById('reply').disabled]",
    )
    .await;
    serde_json::from_value(v).expect("two booleans")
}

async fn wait_banner(c: &Browser, shown: bool) {
    wait_js(
        c,
        if shown {
            "the opt-out banner and a locked reply box"
        } else {
            "the banner to go and the reply box to unlock"
        },
        &format!(
            "return document.getElementById('sms-consent').hidden === {} \
             && document.getElementById('reply').disabled === {shown} \
             && document.getElementById('send').disabled === {shown};",
            !shown
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_steps_4_to_8_work_as_the_readme_says() {
    let Some((driver_path, chromium)) = browser_tools() else {
        return;
    };
    let driver = Driver::start(&driver_path).await;
    let c = driver.browser(&chromium).await;
    let server = TestServer::start_demo().await;
    let alice = user(&server, "alice").await;

    // Step 2: alice's workspace, Available.
    log_in_available(&c, &server, &alice).await;
    let workspace = c.window().await.expect("window");

    // Step 3: the simulator in another tab: Dana texting the Support line, and every number
    // of every campaign that sends through the simulator to choose from.
    let phone = c.new_window(true).await.expect("new tab").handle;
    to(&c, &phone).await;
    c.goto(&format!("{}/simulator", server.url))
        .await
        .expect("open simulator");
    wait_for(&c, "main.phone[data-live=\"1\"]").await;
    assert_eq!(
        eval(&c, "document.getElementById('sim-phone').value").await,
        json!(DANA)
    );
    assert_eq!(texting(&c).await, SUPPORT);
    assert_eq!(
        eval(
            &c,
            "[...document.getElementById('sim-to').options].map(o => o.value)"
        )
        .await,
        json!([SUPPORT, FOLLOW_UPS, SPRING])
    );

    // Step 4: the customer texts; alice accepts the offer (who, first words, queue).
    customer_texts(&c, &server, "Hi, my order never arrived").await;
    wait_text(
        &c,
        "#sim-messages li.bubble.out .from",
        "to Support line (+14155550100)",
    )
    .await;
    to(&c, &workspace).await;
    let first = accept_offer(&c, &["Dana", "Hi, my order never arrived", "Support"]).await;

    // Step 5: the dialog, with time stamps and the wait; Enter sends; the simulator shows it.
    wait_text(
        &c,
        "#messages li.bubble.in .body",
        "Hi, my order never arrived",
    )
    .await;
    let stamps = texts(&c, "#messages li.bubble.in time").await;
    assert!(stamps.iter().all(|t| !t.is_empty()), "{stamps:?}");
    wait_js(
        &c,
        "the customer's waiting time",
        "return document.getElementById('waiting').textContent.trim() !== '';",
    )
    .await;
    type_and_enter(&c, "#reply", "Sorry to hear that! Let me check.").await;
    to(&c, &phone).await;
    wait_text(
        &c,
        "#sim-messages li.bubble.in .body",
        "Sorry to hear that! Let me check.",
    )
    .await;
    wait_text(
        &c,
        "#sim-messages li.bubble.in .from",
        "from Support line (+14155550100)",
    )
    .await;

    // Step 6: more texts arrive live in the same workitem; Terminate asks for the Support
    // queue's wrap-up code (required); the next text is a new workitem, offered again.
    customer_texts(&c, &server, "Order 1234").await;
    to(&c, &workspace).await;
    wait_text(&c, "#messages li.bubble.in .body", "Order 1234").await;
    wait_for(&c, &format!("#item-{first}.current")).await;
    click(&c, "#terminate").await;
    wait_for(&c, "#wrap-up-dialog[open]").await;
    wait_for(&c, "#wrap-up-code")
        .await
        .select_by_value("Resolved")
        .await
        .expect("choose a wrap-up code");
    click(&c, "#wrap-up-ok").await;
    wait_js(
        &c,
        "the workitem to leave the list",
        "return document.querySelectorAll('#workitems li').length === 0;",
    )
    .await;
    to(&c, &phone).await;
    customer_texts(&c, &server, "One more thing").await;
    to(&c, &workspace).await;
    let second = accept_offer(&c, &["One more thing"]).await;
    assert_ne!(second, first);

    let outbound = step_7_outbound_and_consent(&c, &server, &workspace, &phone).await;
    step_8_predictive((&driver_path, &chromium), &c, &server, &workspace, &phone).await;
    assert!(outbound != first && outbound != second);

    assert_page_clean(&c, "the end of the demo walk (customer's phone)").await;
    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}

/// Step 7: an outbound SMS from Follow-ups with a template; the simulator's answer comes back
/// to the same workitem; STOP locks every window's SMS tab and warns in the open dialog, live;
/// START clears both. The outbound workitem's id.
async fn step_7_outbound_and_consent(
    c: &Browser,
    server: &TestServer,
    workspace: &fantoccini::wd::WindowHandle,
    phone: &fantoccini::wd::WindowHandle,
) -> u64 {
    open_from_menu(c).await;
    type_into(c, "#outbound-to", DANA).await;
    wait_js(
        c,
        "Follow-ups to be the default campaign",
        "const s = document.getElementById('outbound-campaign'); \
         return s.options[s.selectedIndex].textContent.includes('Follow-ups (+14155550101)');",
    )
    .await;
    click(c, "#outbound-template").await;
    let names = wait_text(c, "#outbound-templates button", "Check-in").await;
    assert_eq!(names, ["Check-in", "Delivery update"]);
    click(c, "#outbound-templates button").await;
    wait_js(
        c,
        "the template's text, filled in for Dana",
        "return document.getElementById('outbound-body').value.startsWith('Hi Dana, this is ');",
    )
    .await;
    let body = eval(c, "document.getElementById('outbound-body').value").await;
    let body = body.as_str().expect("body").to_owned();
    click(c, "#outbound-ok").await;
    wait_dialog(c, false).await;
    let id = open_workitem_showing(c, &body).await;

    // The simulator shows it from Follow-ups, and Texting follows; the answer reaches alice's
    // workitem, not the queue.
    to(c, phone).await;
    wait_text(c, "#sim-messages li.bubble.in .body", "Hi Dana, this is ").await;
    wait_text(
        c,
        "#sim-messages li.bubble.in .from",
        "from Follow-ups (+14155550101)",
    )
    .await;
    wait_texting(c, FOLLOW_UPS).await;
    customer_texts(c, server, "Thanks, all good").await;
    to(c, workspace).await;
    wait_text(c, "#messages li.bubble.in .body", "Thanks, all good").await;
    wait_for(c, &format!("#item-{id}.current")).await;
    assert!(texts(c, "#offers .offer").await.is_empty(), "no new offer");

    // A second workspace window on the same conversation; the dialog open on Dana's number.
    let second = c.new_window(true).await.expect("new tab").handle;
    to(c, &second).await;
    c.goto(&format!("{}/workspace", server.url))
        .await
        .expect("open");
    wait_for(c, "#app[data-live=\"1\"]").await;
    click(c, &format!("#item-{id}")).await;
    wait_text(c, "#messages li.bubble.in .body", "Thanks, all good").await;
    assert_eq!(consent_shown(c).await, (false, false));
    to(c, workspace).await;
    open_from_menu(c).await;
    type_into(c, "#outbound-to", DANA).await;
    wait_js(
        c,
        "the dialog to have checked Dana's consent",
        "return document.getElementById('outbound-to').getAttribute('aria-invalid') === 'false';",
    )
    .await;

    // STOP: one confirmation on the phone; the warning everywhere at once, the same sentence.
    to(c, phone).await;
    customer_texts(c, server, "STOP").await;
    phone_shows(c, server, "no more messages").await;
    to(c, workspace).await;
    wait_text(c, "#outbound-consent", "opted out").await;
    wait_js(
        c,
        "OK to be disabled",
        "return document.getElementById('outbound-ok').disabled;",
    )
    .await;
    wait_banner(c, true).await;
    let warning = texts(c, "#sms-consent").await.remove(0);
    assert!(
        warning.contains("(texted STOP)") && warning.ends_with("until they text START."),
        "{warning}"
    );
    assert_eq!(texts(c, "#outbound-consent").await, [warning.as_str()]);
    to(c, &second).await;
    wait_banner(c, true).await;
    assert_eq!(texts(c, "#sms-consent").await, [warning.as_str()]);
    // The server refuses too, with the same reason.
    let refused = c
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             window.ParleyWorkspace.api('POST', '/api/workitems/' + arguments[0] + '/messages', {body: 'hello?'}) \
               .then(() => done('sent'), (e) => done(e.message));",
            vec![json!(id)],
        )
        .await
        .expect("script");
    assert_eq!(refused, json!(warning));

    // START clears it everywhere, live, the open dialog too.
    to(c, phone).await;
    customer_texts(c, server, "START").await;
    phone_shows(c, server, "receive our messages again").await;
    to(c, workspace).await;
    wait_js(
        c,
        "the dialog's warning to go and OK to come back",
        "return document.getElementById('outbound-consent').hidden \
         && !document.getElementById('outbound-ok').disabled;",
    )
    .await;
    click(c, "#outbound-cancel").await;
    wait_dialog(c, false).await;
    wait_banner(c, false).await;
    to(c, &second).await;
    wait_banner(c, false).await;
    c.close_window().await.expect("close the second workspace");
    to(c, workspace).await;
    id
}

/// Step 8: the admin starts Spring offer on its Run page (another browser: another login);
/// Dana gets its message, the simulator follows that number, and her reply is offered to
/// alice through the Support queue.
async fn step_8_predictive(
    tools: (&Path, &Path),
    c: &Browser,
    server: &TestServer,
    workspace: &fantoccini::wd::WindowHandle,
    phone: &fantoccini::wd::WindowHandle,
) {
    let admin_driver = Driver::start(tools.0).await;
    let a = admin_driver.browser(tools.1).await;
    log_in_to(
        &a,
        server,
        "/login",
        "admin",
        "a[href=\"/admin/campaigns\"]",
    )
    .await;
    click(&a, "a[href=\"/admin/campaigns\"]").await;
    a.wait()
        .at_most(DEADLINE)
        .for_element(Locator::XPath(
            "//tr[td/a[normalize-space()='Spring offer']]//a[normalize-space()='Run page']",
        ))
        .await
        .expect("Spring offer's Run page link")
        .click()
        .await
        .expect("open Run");
    wait_text(&a, "#run-state", "Not started").await;
    click(&a, "#run-start button").await;
    wait_text(&a, "#run-state", "Running").await;
    let spring = server
        .state
        .store
        .read(store::all_campaigns)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == "Spring offer")
        .expect("Spring offer")
        .id;
    advance_until_messaged(server, spring, 1).await;
    wait_shown_at_least(&a, "count-messaged", 1).await;
    wait_text(&a, "#count-skipped", "3").await;
    assert_page_clean(&a, "the end of the demo walk (admin)").await;
    a.close().await.expect("close the admin's browser");
    drop(admin_driver);

    to(c, phone).await;
    wait_text(c, "#sim-messages li.bubble.in .body", "Spring offer").await;
    wait_texting(c, SPRING).await;
    assert_eq!(texting(c).await, SPRING);
    customer_texts(c, server, "Tell me more").await;
    to(c, workspace).await;
    the_offer(c).await;
    wait_text(c, "#offers .offer", "Tell me more").await;
    wait_text(c, "#offers .offer", "Support").await;
}
