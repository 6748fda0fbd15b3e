//! A predictive campaign's run page in a real browser: an admin opens it from the campaign
//! list, starts the campaign and watches the counters rise without a reload as the manual
//! clock moves, pauses it (nothing more is messaged while the clock moves on), resumes it
//! (more sends), and cancels it after saying no once to the browser's question. Skips like
//! `browser.rs` without Chromium (fails instead with `PARLEY_REQUIRE_BROWSER=1`).

use fantoccini::Client as Browser;
use parley::domain::{CampaignId, Role, RunState};
use parley::store;
use serde_json::json;

use crate::browser::{
    Driver, browser_tools, click, js, log_in_to, poll, texts, wait_for, wait_text,
};
use crate::campaign_run_page::{add_leads, run_state, spring};
use crate::common::*;

/// The number shown in the counter `id`.
pub(crate) async fn shown(c: &Browser, id: &str) -> u64 {
    let t = texts(c, &format!("#{id}")).await;
    t.first()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("#{id} shows {t:?}"))
}

pub(crate) async fn messaged(server: &TestServer, id: CampaignId) -> u64 {
    server
        .state
        .store
        .read(move |txn| store::campaign_stats(txn, id))
        .await
        .expect("stats")
        .messaged
}

/// Moves the clock a second at a time until the store counts `want` messaged leads.
pub(crate) async fn advance_until_messaged(server: &TestServer, id: CampaignId, want: u64) {
    let deadline = std::time::Instant::now() + DEADLINE;
    while messaged(server, id).await < want {
        assert!(
            std::time::Instant::now() < deadline,
            "fewer than {want} leads messaged"
        );
        server.advance(1);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Waits until the page's counter `id` shows at least `want` (the live part refreshed).
pub(crate) async fn wait_shown_at_least(c: &Browser, id: &str, want: u64) -> u64 {
    poll(
        &format!("#{id} to show {want} or more"),
        move || async move {
            let n = shown(c, id).await;
            (n >= want).then_some(n)
        },
    )
    .await
}

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
