//! A predictive campaign's run page over HTTP: the page and its live fragment, who may see
//! them, start/pause/resume/cancel through the page's forms (each reflected on the page),
//! every refusal (no leads, no number, no message, a wrong action, no CSRF), and the sent
//! counter rising in the fragment as the manual clock moves.

use parley::domain::{
    CampaignId, CampaignKind, ChannelPreference, Lead, PredictiveSettings, Role, RunState,
};
use parley::store;

use crate::common::*;

/// A predictive campaign "Spring offer" on [`OUR_NUMBER`], in UTC, open now, sending
/// `per_minute`; `tweak` changes it further.
pub(crate) async fn spring(
    server: &TestServer,
    per_minute: f64,
    tweak: impl FnOnce(&mut parley::domain::Campaign) + Send + 'static,
) -> CampaignId {
    let queue = server.default_queue().await;
    predictive_on(server, queue, &[OUR_NUMBER], per_minute, move |c| {
        // The outbox is never what holds the campaign back in these tests.
        c.send_rate = 50.0;
        tweak(c);
    })
    .await
}

/// Stores `n` SMS-preferring leads for `campaign`.
pub(crate) async fn add_leads(server: &TestServer, campaign: CampaignId, n: usize) {
    add_leads_preferring(server, campaign, n, ChannelPreference::Sms).await;
}

/// Stores `n` leads preferring `channel`, numbered on from the campaign's lead count.
pub(crate) async fn add_leads_preferring(
    server: &TestServer,
    campaign: CampaignId,
    n: usize,
    channel: ChannelPreference,
) {
    let at = server.clock.now();
    let before = server
        .state
        .store
        .read(move |txn| store::count_leads(txn, campaign))
        .await
        .expect("count") as usize;
    let leads: Vec<Lead> = (before..before + n)
        .map(|i| {
            let phone = format!("+1415555{:04}", 2000 + i);
            lead(campaign, i + 1, &phone, "", channel, at)
        })
        .collect();
    let added = server
        .state
        .store
        .write(move |txn| store::insert_leads(txn, leads, at))
        .await
        .expect("leads");
    assert!(
        added.iter().all(|i| matches!(i, store::Imported::Added(_))),
        "{n} new leads"
    );
}

/// How many of the campaign's leads the store counts as messaged.
pub(crate) async fn messaged(server: &TestServer, id: CampaignId) -> u64 {
    stats(server, id).await.messaged
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
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The number in the element `id="{id}"` of `html`.
pub(crate) fn counter(html: &str, id: &str) -> u64 {
    let marker = format!("id=\"{id}\">");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {id} in {html}"));
    let rest = &html[at + marker.len()..];
    rest[..rest.find('<').expect("end of the counter")]
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{id} is not a number in {html}"))
}

/// (status, body, Location) of the page's form for `action`, with or without the CSRF field.
pub(crate) async fn act(
    client: &Client,
    id: CampaignId,
    action: &str,
    csrf: bool,
) -> (u16, String, String) {
    let path = format!("/admin/campaigns/{id}/run");
    client.form_post(&path, &[("action", action)], csrf).await
}

pub(crate) async fn text(client: &Client, path: &str) -> (u16, String) {
    let res = client.get(path).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Posts `action`, follows the redirect; the page drawn after it.
pub(crate) async fn act_ok(client: &Client, id: CampaignId, action: &str) -> String {
    let (status, body, location) = act(client, id, action, true).await;
    assert_eq!(status, 303, "{action}: {body}");
    assert!(
        location.starts_with(&format!("/admin/campaigns/{id}/run?notice=")),
        "{location}"
    );
    let (status, page) = text(client, &location).await;
    assert_eq!(status, 200);
    page
}

/// The ids of the action forms on `page`.
fn buttons(page: &str) -> Vec<&'static str> {
    ["start", "pause", "resume", "cancel"]
        .into_iter()
        .filter(|a| page.contains(&format!("id=\"run-{a}\"")))
        .collect()
}

#[tokio::test]
async fn admins_see_the_page_and_its_live_part_agents_do_not_and_other_kinds_are_missing() {
    let server = TestServer::start().await;
    server.add_user("root", Role::Admin).await;
    server.add_user("ann", Role::Agent).await;
    let admin = server.login("root").await;
    let agent = server.login("ann").await;
    let id = spring(&server, 30.0, |_| {}).await;
    add_leads(&server, id, 3).await;

    let (status, page) = text(&admin, &format!("/admin/campaigns/{id}/run")).await;
    assert_eq!(status, 200, "{page}");
    for want in [
        "Run of Spring offer",
        "id=\"run-state\">Not started<",
        "30 messages per minute",
        "Hi {first_name}, spring offer inside.",
        "Every day",
        OUR_NUMBER,
        "name=\"_csrf\"",
        "/static/campaign_run.js",
        "data-src=\"/admin/campaigns/",
        "in the campaign's zone (UTC)",
        "Not started yet",
        "<svg",
    ] {
        assert!(page.contains(want), "page lacks {want:?}: {page}");
    }
    assert_eq!(buttons(&page), ["start", "cancel"]);
    assert!(page.contains("data-confirm="), "a cancel asks first");
    assert_eq!(counter(&page, "count-leads"), 3);
    assert_eq!(counter(&page, "count-waiting"), 3);
    assert_eq!(counter(&page, "count-eligible"), 3);
    assert!(page.contains("If started now, about"), "{page}");

    let (status, live) = text(&admin, &format!("/admin/campaigns/{id}/run/live")).await;
    assert_eq!(status, 200);
    assert!(live.starts_with("<div id=\"run-live-body\" data-state=\"ready\""));
    assert!(!live.contains("<html"), "a fragment, not a page");
    assert_eq!(counter(&live, "count-leads"), 3);
    let (status, script) = text(&admin, "/static/campaign_run.js").await;
    assert_eq!(status, 200);
    assert!(script.contains("/run/live") || script.contains("dataset.src"));

    // Links from the campaign list and the leads page.
    let (_, list) = text(&admin, "/admin/campaigns").await;
    assert!(list.contains(&format!("href=\"/admin/campaigns/{id}/run\"")));
    let (_, leads) = text(&admin, &format!("/admin/campaigns/{id}/leads")).await;
    assert!(leads.contains(&format!("href=\"/admin/campaigns/{id}/run\"")));

    // Agents are refused everything.
    for path in ["run", "run/live"] {
        let (status, _) = text(&agent, &format!("/admin/campaigns/{id}/{path}")).await;
        assert_eq!(status, 403, "{path}");
    }
    assert_eq!(act(&agent, id, "start", true).await.0, 403);
    assert_eq!(run_state(&server, id).await, RunState::Ready);

    // Inbound and unknown campaigns have no run.
    let queue = server.default_queue().await;
    let inbound = server
        .campaign(
            "Help line",
            CampaignKind::Inbound,
            queue,
            "+14155550199",
            |_| {},
        )
        .await;
    for path in ["run", "run/live"] {
        let (status, body) = text(&admin, &format!("/admin/campaigns/{inbound}/{path}")).await;
        assert_eq!(status, 404, "{path}");
        assert!(body.contains("not a predictive campaign"), "{body}");
        assert_eq!(
            text(&admin, &format!("/admin/campaigns/999/{path}"))
                .await
                .0,
            404
        );
    }
    assert_eq!(act(&admin, inbound, "start", true).await.0, 404);
    assert!(!list.contains(&format!("href=\"/admin/campaigns/{inbound}/run\"")));
}

#[tokio::test]
async fn refused_actions_say_why_and_change_nothing() {
    let server = TestServer::start().await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let id = spring(&server, 60.0, |_| {}).await;

    // No leads yet.
    let (status, page, _) = act(&admin, id, "start", true).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("The campaign has no leads; import a list before you start it."),
        "{page}"
    );
    assert!(
        page.contains("id=\"run-state\">Not started<"),
        "drawn again: {page}"
    );
    assert_eq!(run_state(&server, id).await, RunState::Ready);

    // An action that does not exist, one the state does not allow, and none at all.
    add_leads(&server, id, 2).await;
    let (status, page, _) = act(&admin, id, "explode", true).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Choose start, pause, resume or cancel."),
        "{page}"
    );
    let (status, page, _) = act(&admin, id, "resume", true).await;
    assert_eq!(status, 422);
    assert!(page.contains("cannot resume"), "{page}");
    let (status, page, _) = act(&admin, id, "", true).await;
    assert_eq!(status, 422, "{page}");

    // No CSRF field: refused before anything is read.
    let (status, page, _) = act(&admin, id, "start", false).await;
    assert_eq!(status, 403);
    assert!(page.contains("CSRF"), "{page}");
    assert_eq!(run_state(&server, id).await, RunState::Ready);

    // No number, and no message.
    let mute = server
        .campaign(
            "No number",
            CampaignKind::Predictive,
            server.default_queue().await,
            "+14155550198",
            |c| {
                c.numbers.clear();
                c.predictive = Some(PredictiveSettings {
                    message: "Hi".into(),
                    ..PredictiveSettings::new()
                });
            },
        )
        .await;
    add_leads(&server, mute, 1).await;
    let (status, page, _) = act(&admin, mute, "start", true).await;
    assert_eq!(status, 422);
    assert!(page.contains("no number to send from"), "{page}");
    let blank = server
        .campaign(
            "No message",
            CampaignKind::Predictive,
            server.default_queue().await,
            "+14155550197",
            |_| {},
        )
        .await;
    add_leads(&server, blank, 1).await;
    let (status, page, _) = act(&admin, blank, "start", true).await;
    assert_eq!(status, 422);
    assert!(page.contains("The campaign has no message"), "{page}");
    assert_eq!(run_state(&server, mute).await, RunState::Ready);
    assert_eq!(run_state(&server, blank).await, RunState::Ready);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_pause_resume_and_cancel_through_the_forms() {
    let (server, _fake) = TestServer::start_faked(vec![]).await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let id = spring(&server, 60.0, |_| {}).await;
    add_leads(&server, id, 30).await;

    let page = act_ok(&admin, id, "start").await;
    assert!(page.contains("id=\"notice\">Started"), "{page}");
    assert!(page.contains("id=\"run-state\">Running<"), "{page}");
    assert!(page.contains("data-state=\"running\""));
    assert_eq!(buttons(&page), ["pause", "cancel"]);
    assert!(!page.contains("id=\"run-started\">Not yet<"), "{page}");
    assert_eq!(run_state(&server, id).await, RunState::Running);

    let page = act_ok(&admin, id, "pause").await;
    assert!(page.contains("id=\"notice\">Paused"), "{page}");
    assert!(page.contains("id=\"run-state\">Paused<"), "{page}");
    assert_eq!(buttons(&page), ["resume", "cancel"]);
    assert!(page.contains("If resumed now, about"), "{page}");
    assert_eq!(run_state(&server, id).await, RunState::Paused);

    let page = act_ok(&admin, id, "resume").await;
    assert!(page.contains("id=\"run-state\">Running<"), "{page}");
    assert_eq!(buttons(&page), ["pause", "cancel"]);

    let page = act_ok(&admin, id, "cancel").await;
    assert!(page.contains("id=\"notice\">Cancelled"), "{page}");
    assert!(page.contains("id=\"run-state\">Cancelled<"), "{page}");
    assert!(buttons(&page).is_empty(), "{page}");
    assert!(page.contains("cannot be run again"), "{page}");
    assert!(page.contains("will not be messaged"), "{page}");
    assert_eq!(run_state(&server, id).await, RunState::Cancelled);
    // And a cancelled campaign cannot start again.
    let (status, page, _) = act(&admin, id, "start", true).await;
    assert_eq!(status, 422);
    assert!(page.contains("cannot start"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_part_shows_the_sends_rising_as_the_clock_moves() {
    let (server, fake) = TestServer::start_faked(vec![]).await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let id = spring(&server, 60.0, |_| {}).await;
    add_leads(&server, id, 20).await;
    // One lead prefers email (skipped once the run starts), and an import refused rows.
    add_leads_preferring(&server, id, 1, ChannelPreference::Email).await;
    let refused = vec![("bad phone".to_owned(), 2), ("duplicate".to_owned(), 1)];
    server
        .state
        .store
        .write(move |txn| store::count_refused(txn, id, &refused))
        .await
        .expect("refused rows");
    let live_path = format!("/admin/campaigns/{id}/run/live");
    let (_, before) = text(&admin, &live_path).await;
    assert_eq!(counter(&before, "count-sent"), 0);
    // Before the start, the lead preferring email is already left out.
    assert_eq!(counter(&before, "count-eligible"), 20);
    assert_eq!(counter(&before, "count-waiting"), 20);

    act_ok(&admin, id, "start").await;
    // One message at once, then one a second of the manual clock.
    let deadline = std::time::Instant::now() + DEADLINE;
    let live = loop {
        let (status, live) = text(&admin, &live_path).await;
        assert_eq!(status, 200);
        if counter(&live, "count-sent") >= 3 {
            break live;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the sent counter did not reach 3: {live}"
        );
        server.advance(1);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(live.contains("data-state=\"running\""));
    assert!(fake.sent().len() >= 3);
    let messaged = counter(&live, "count-messaged");
    assert!(messaged >= 3, "{live}");
    assert_eq!(counter(&live, "count-leads"), 21);
    assert_eq!(counter(&live, "count-skipped"), 1);
    assert_eq!(counter(&live, "count-eligible"), 20);
    assert_eq!(counter(&live, "count-waiting"), 20 - messaged);
    assert!(live.contains("<li>prefers email: 1</li>"), "{live}");
    assert_eq!(counter(&live, "count-refused"), 3);
    assert!(live.contains("<li>bad phone: 2</li>"), "{live}");
    assert!(live.contains("<li>duplicate: 1</li>"), "{live}");
    // The chart has bars now, and the finish is estimated.
    assert!(live.contains("class=\"bar\""), "{live}");
    assert!(!live.contains("run-chart-empty"), "{live}");
    assert!(live.contains("id=\"run-eta\">About "), "{live}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_run_starts_again_only_with_new_leads() {
    let (server, _fake) = TestServer::start_faked(vec![]).await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let id = spring(&server, 60.0, |_| {}).await;
    add_leads(&server, id, 2).await;
    act_ok(&admin, id, "start").await;
    let deadline = std::time::Instant::now() + DEADLINE;
    while run_state(&server, id).await != RunState::Finished {
        assert!(
            std::time::Instant::now() < deadline,
            "the run did not finish"
        );
        server.advance(1);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, page) = text(&admin, &format!("/admin/campaigns/{id}/run")).await;
    assert!(page.contains("id=\"run-state\">Finished<"), "{page}");
    assert!(page.contains("Every lead has been reached."), "{page}");
    assert_eq!(buttons(&page), ["start"]);
    assert_eq!(counter(&page, "count-waiting"), 0);

    let (status, page, _) = act(&admin, id, "start", true).await;
    assert_eq!(status, 422);
    assert!(page.contains("import more leads"), "{page}");
    assert_eq!(run_state(&server, id).await, RunState::Finished);

    // Three: at 60 a minute the pacer may catch up a second's lateness (two messages) before
    // the page is read, and a run with every lead reached is finished; the third waits for
    // the test clock to move on.
    add_leads(&server, id, 3).await;
    let page = act_ok(&admin, id, "start").await;
    assert!(page.contains("id=\"run-state\">Running<"), "{page}");
}
