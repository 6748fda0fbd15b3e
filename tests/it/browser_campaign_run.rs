//! A predictive campaign's run page in a real browser: an admin opens it from the campaign list,
//! starts the campaign and watches the counters rise without a reload as the manual clock moves,
//! pauses it (nothing more is messaged while the clock moves on), resumes it (more sends), and
//! cancels it after saying no once to the browser's question. The campaign list starts and pauses a
//! campaign from its row, the campaign form shows only the fields of the kind chosen, and the edit
//! page leads to the run page. Skips like the other browser tests without Chromium (fails instead
//! with `PARLEY_REQUIRE_BROWSER=1`).

use fantoccini::Client as Browser;
use parley::domain::{Role, RunState};
use serde_json::json;

use crate::browser::{
    Driver, browser_tools, click, is_shown, js, log_in_to, shown, texts, wait_for,
    wait_shown_at_least, wait_text,
};
use crate::campaign_run_page::{add_leads, advance_until_messaged, messaged, spring};
use crate::common::*;

/// Whether the page is still the one marked by [`mark`] (nothing reloaded it).
async fn still_marked(c: &Browser) -> bool {
    js(c, "return window.parleyRunMark === 1;", vec![]).await == json!(true)
}

async fn mark(c: &Browser) {
    js(c, "window.parleyRunMark = 1; return null;", vec![]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_starts_pauses_and_resumes_a_campaign_and_watches_it_live() {
    let Some((driver_path, chromium)) = browser_tools() else {
        return;
    };
    let (server, fake) = TestServer::start_faked(vec![]).await;
    server.add_user("root", Role::Admin).await;
    // One a second, many more leads than the test reaches, so the run never finishes.
    let id = spring(&server, 60.0, |_| {}).await;
    add_leads(&server, id, 200).await;

    let driver = Driver::start(&driver_path).await;
    let c = driver.browser(&chromium).await;
    log_in_to(&c, &server, "/login", "root", "nav.admin-nav").await;
    c.goto(&format!("{}/admin/campaigns", server.url))
        .await
        .expect("open");
    click(&c, &format!("#campaign-run-{id}")).await;
    wait_text(&c, "#run-state", "Not started").await;
    wait_text(&c, "#run-chart-empty", "Not started yet").await;
    assert_eq!(shown(&c, "count-waiting").await, 200);

    // Start: the page comes back running, and the counters rise without a reload.
    click(&c, "#run-start button").await;
    wait_text(&c, "#run-state", "Running").await;
    wait_text(&c, "#notice", "Started").await;
    mark(&c).await;
    assert_eq!(run_state(&server, id).await, RunState::Running);
    advance_until_messaged(&server, id, 3).await;
    fake.wait_calls(2).await;
    let sent = wait_shown_at_least(&c, "count-sent", 2).await;
    assert!(sent >= 2);
    wait_for(&c, "#run-chart-svg rect.bar").await;
    assert!(still_marked(&c).await, "the live part refreshes in place");

    // Pause: nothing more is messaged while the clock moves on.
    click(&c, "#run-pause button").await;
    wait_text(&c, "#run-state", "Paused").await;
    assert_eq!(run_state(&server, id).await, RunState::Paused);
    let at_pause = messaged(&server, id).await;
    for _ in 0..10 {
        server.advance(1);
    }
    // A refresh that read the store after the clock moved shows the new time.
    let now = server.clock.now().format("%H:%M:%S").to_string();
    wait_text(&c, "#live-as-of", &now).await;
    assert_eq!(
        messaged(&server, id).await,
        at_pause,
        "no sends while paused"
    );
    assert_eq!(shown(&c, "count-messaged").await, at_pause);
    wait_text(&c, "#live-state", "Paused").await;

    // Resume: more sends, shown live.
    click(&c, "#run-resume button").await;
    wait_text(&c, "#run-state", "Running").await;
    mark(&c).await;
    advance_until_messaged(&server, id, at_pause + 2).await;
    wait_shown_at_least(&c, "count-messaged", at_pause + 2).await;
    assert!(still_marked(&c).await);
    // For a person to look at: target/browser-campaign-run.png (the counters and the chart).
    js(
        &c,
        "document.getElementById('run-counters').scrollIntoView(); return null;",
        vec![],
    )
    .await;
    crate::browser::snapshot(&c, "campaign-run").await;

    // Cancel asks first: saying no keeps it running; saying yes cancels it.
    click(&c, "#run-cancel button").await;
    let question = c.get_alert_text().await.expect("a confirmation");
    assert!(question.contains("for good"), "{question}");
    c.dismiss_alert().await.expect("say no");
    assert_eq!(run_state(&server, id).await, RunState::Running);
    assert!(still_marked(&c).await, "nothing was sent");
    click(&c, "#run-cancel button").await;
    c.accept_alert().await.expect("say yes");
    wait_text(&c, "#run-state", "Cancelled").await;
    assert_eq!(run_state(&server, id).await, RunState::Cancelled);
    assert!(texts(&c, "#run-actions form").await.is_empty());

    crate::browser::assert_page_clean(&c, "the end of browser_campaign_run").await;

    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}

/// Chooses `kind` in the Kind select of the form `form` (the change event fires).
async fn choose_kind(c: &Browser, form: &str, kind: &str) {
    wait_for(c, &format!("{form} select[name=kind]"))
        .await
        .select_by_value(kind)
        .await
        .expect("choose a kind");
}

/// Which of the form's kind-specific parts are drawn: (agents' hours, zone, predictive).
async fn parts_shown(c: &Browser, form: &str) -> (bool, bool, bool) {
    (
        is_shown(c, &format!("{form} fieldset[data-kinds=outbound]")).await,
        is_shown(
            c,
            &format!("{form} label[data-kinds='outbound predictive']"),
        )
        .await,
        is_shown(c, &format!("{form} fieldset[data-kinds=predictive]")).await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_campaign_pages_show_the_run_and_the_form_only_the_chosen_kinds_fields() {
    let Some((driver_path, chromium)) = browser_tools() else {
        return;
    };
    let (server, _fake) = TestServer::start_faked(vec![]).await;
    server.add_user("root", Role::Admin).await;
    let id = spring(&server, 60.0, |_| {}).await;
    add_leads(&server, id, 30).await;

    let driver = Driver::start(&driver_path).await;
    let c = driver.browser(&chromium).await;
    log_in_to(&c, &server, "/login", "root", "nav.admin-nav").await;
    c.goto(&format!("{}/admin/campaigns", server.url))
        .await
        .expect("open");

    // The new-campaign form follows its Kind select.
    let form = "#campaign-new";
    wait_for(&c, form).await;
    assert_eq!(
        parts_shown(&c, form).await,
        (false, false, false),
        "inbound"
    );
    choose_kind(&c, form, "outbound").await;
    assert_eq!(parts_shown(&c, form).await, (true, true, false), "outbound");
    choose_kind(&c, form, "predictive").await;
    assert_eq!(
        parts_shown(&c, form).await,
        (false, true, true),
        "predictive"
    );
    crate::browser::assert_accessible(&c, "the campaign list with a predictive form").await;
    choose_kind(&c, form, "inbound").await;
    assert_eq!(
        parts_shown(&c, form).await,
        (false, false, false),
        "inbound again"
    );

    // The row's run: start and pause it from the list.
    let progress = format!("#campaign-progress-{id}");
    wait_text(&c, &progress, "Not started · 30 leads").await;
    click(&c, &format!("#campaign-start-{id} button")).await;
    wait_text(&c, "#notice", "Spring offer: Started").await;
    wait_text(&c, &progress, "Running · ").await;
    assert_eq!(run_state(&server, id).await, RunState::Running);
    advance_until_messaged(&server, id, 2).await;
    c.refresh().await.expect("reload");
    let line = wait_text(&c, &progress, " of 30 messaged").await;
    assert!(!line[0].starts_with("Running · 0 "), "{line:?}");
    crate::browser::snapshot(&c, "campaign-list").await;
    click(&c, &format!("#campaign-pause-{id} button")).await;
    wait_text(&c, &progress, "Paused · ").await;
    wait_for(&c, &format!("#campaign-resume-{id} button")).await;
    assert_eq!(run_state(&server, id).await, RunState::Paused);

    // The edit page: its predictive fields, its run, and the way to the run page.
    c.goto(&format!("{}/admin/campaigns/{id}", server.url))
        .await
        .expect("open");
    let form = format!("#campaign-{id}");
    wait_for(&c, &form).await;
    assert_eq!(parts_shown(&c, &form).await, (false, true, true));
    wait_text(&c, "#campaign-run-summary", "Paused · ").await;
    let stored = server
        .state
        .store
        .read(move |txn| parley::store::campaign(txn, id))
        .await
        .expect("read")
        .and_then(|c| c.predictive)
        .expect("predictive settings");
    assert_eq!(
        js(
            &c,
            "return document.querySelector(arguments[0] + ' [name=p_hours_start]').value;",
            vec![json!(form)]
        )
        .await,
        json!(stored.hours.start.format("%H:%M").to_string()),
        "24-hour times in a text field"
    );
    click(&c, "#campaign-run").await;
    wait_text(&c, "#run-state", "Paused").await;

    crate::browser::assert_page_clean(&c, "the end of the campaign pages test").await;
    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
