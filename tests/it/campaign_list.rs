//! A predictive campaign's run seen from the campaign pages over HTTP: the list shows each
//! campaign's kind and, for predictive ones, the run's state and progress with Start, Pause
//! and Resume right there (back to the list with a notice, or the list again with the
//! refusal); the edit page links to the run and leads pages; and the run page's tiles count
//! what its chart counts, under the same words.

use parley::domain::{CampaignId, CampaignKind, ChannelPreference, Role, RunState};

use crate::campaign_run_page::{
    act_ok, add_leads, add_leads_preferring, advance_until_messaged, counter, spring, text,
};
use crate::common::*;

/// The list's row of campaign `id`.
fn row(html: &str, id: CampaignId) -> String {
    let at = html
        .find(&format!("id=\"campaign-row-{id}\""))
        .unwrap_or_else(|| panic!("no row for campaign {id}: {html}"));
    let row = &html[at..];
    row[..row.find("</tr>").expect("end of the row")].to_owned()
}

/// The progress line of a row.
fn progress(row: &str) -> String {
    let at = row.find("class=\"run-progress\"").expect("a progress line");
    let text = &row[at..];
    let text = &text[text.find('>').expect("tag end") + 1..];
    text[..text.find('<').expect("text end")].to_owned()
}

/// Posts a row's button: (status, body, Location).
async fn from_list(client: &Client, id: CampaignId, action: &str) -> (u16, String, String) {
    let path = format!("/admin/campaigns/{id}/run");
    client
        .form_post(&path, &[("action", action), ("back", "list")], true)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_shows_each_run_and_starts_pauses_and_resumes_it() {
    let (server, _fake) = TestServer::start_faked(vec![]).await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let id = spring(&server, 60.0, |_| {}).await;
    let queue = server.default_queue().await;
    let help = server
        .campaign(
            "Help line",
            CampaignKind::Inbound,
            queue,
            "+14155550199",
            |_| {},
        )
        .await;

    // No leads yet: the row says so, and a Start from the list is refused on the list.
    let (_, list) = text(&admin, "/admin/campaigns").await;
    let r = row(&list, id);
    assert!(r.contains("<td>Predictive</td>"), "{r}");
    assert_eq!(progress(&r), "Not started · no leads yet");
    assert!(r.contains(&format!("id=\"campaign-start-{id}\"")), "{r}");
    assert!(r.contains("name=\"back\" value=\"list\""), "{r}");
    assert!(r.contains("name=\"_csrf\""), "{r}");
    assert!(
        !r.contains("campaign-cancel-"),
        "cancelling stays on the run page"
    );
    assert!(r.contains(&format!("href=\"/admin/campaigns/{id}/run\"")));
    assert!(r.contains(&format!("href=\"/admin/campaigns/{id}/leads\"")));
    let other = row(&list, help);
    assert!(other.contains("<td>Inbound</td>") && other.contains("Not applicable"));
    assert!(!other.contains("<form"), "{other}");
    let (status, page, _) = from_list(&admin, id, "start").await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("id=\"error\">Spring offer: The campaign has no leads"),
        "{page}"
    );
    assert!(page.contains("id=\"campaigns\""), "the list is drawn again");
    assert_eq!(run_state(&server, id).await, RunState::Ready);

    add_leads(&server, id, 10).await;
    add_leads_preferring(&server, id, 2, ChannelPreference::Email).await;
    let (_, list) = text(&admin, "/admin/campaigns").await;
    assert_eq!(progress(&row(&list, id)), "Not started · 12 leads");

    // Start from the list: back to the list with a notice; running, with Pause offered.
    let (status, _, location) = from_list(&admin, id, "start").await;
    assert_eq!(status, 303);
    assert!(
        location.starts_with("/admin/campaigns?notice=Spring+offer%3A+Started"),
        "{location}"
    );
    assert_eq!(run_state(&server, id).await, RunState::Running);
    advance_until_messaged(&server, id, 4).await;
    let (_, list) = text(&admin, &location).await;
    assert!(
        list.contains("id=\"notice\">Spring offer: Started: leads are messaged"),
        "{list}"
    );
    let r = row(&list, id);
    let line = progress(&r);
    let shown: u64 = line
        .strip_prefix("Running · ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(shown >= 4, "{line}");
    assert!(line.ends_with(" of 12 messaged, 2 skipped"), "{line}");
    assert!(r.contains(&format!("id=\"campaign-pause-{id}\"")), "{r}");
    assert!(!r.contains(&format!("id=\"campaign-start-{id}\"")), "{r}");

    // Pause and resume from the list.
    let (status, _, location) = from_list(&admin, id, "pause").await;
    assert_eq!(status, 303);
    assert_eq!(run_state(&server, id).await, RunState::Paused);
    let (_, list) = text(&admin, &location).await;
    assert!(list.contains("Spring offer: Paused"), "{list}");
    let r = row(&list, id);
    assert!(progress(&r).starts_with("Paused · "), "{r}");
    assert!(r.contains(&format!("id=\"campaign-resume-{id}\"")), "{r}");
    let (status, _, _) = from_list(&admin, id, "resume").await;
    assert_eq!(status, 303);
    assert_eq!(run_state(&server, id).await, RunState::Running);

    // Without the form's token nothing changes; a `back` other than the list goes to the
    // run page, as the run page's own forms do.
    let path = format!("/admin/campaigns/{id}/run");
    let (status, _, _) = admin
        .form_post(&path, &[("action", "pause"), ("back", "list")], false)
        .await;
    assert_eq!(status, 403);
    assert_eq!(run_state(&server, id).await, RunState::Running);
    let elsewhere = [("action", "pause"), ("back", "https://elsewhere.example/")];
    let (status, _, location) = admin.form_post(&path, &elsewhere, true).await;
    assert_eq!(status, 303);
    assert!(
        location.starts_with(&format!("/admin/campaigns/{id}/run?notice=")),
        "{location}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_predictive_campaigns_edit_page_links_to_its_run_and_its_leads() {
    let server = TestServer::start().await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let id = spring(&server, 30.0, |_| {}).await;
    add_leads(&server, id, 3).await;
    let (status, page) = text(&admin, &format!("/admin/campaigns/{id}")).await;
    assert_eq!(status, 200);
    for want in [
        format!("href=\"/admin/campaigns/{id}/run\" id=\"campaign-run\""),
        format!("href=\"/admin/campaigns/{id}/leads\" id=\"campaign-leads\""),
        "id=\"campaign-run-summary\"".to_owned(),
        "Not started · 3 leads".to_owned(),
    ] {
        assert!(page.contains(&want), "lacks {want}: {page}");
    }
    let queue = server.default_queue().await;
    let help = server
        .campaign(
            "Help line",
            CampaignKind::Inbound,
            queue,
            "+14155550199",
            |_| {},
        )
        .await;
    let (_, page) = text(&admin, &format!("/admin/campaigns/{help}")).await;
    assert!(!page.contains("/run\""), "{page}");
    assert!(!page.contains("campaign-run-summary"), "{page}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_pages_tiles_count_what_its_chart_counts() {
    let (server, fake) = TestServer::start_faked(vec![]).await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let id = spring(&server, 60.0, |_| {}).await;
    add_leads(&server, id, 20).await;
    act_ok(&admin, id, "start").await;
    advance_until_messaged(&server, id, 3).await;
    fake.wait_calls(3).await;
    // The carrier reports the first two delivered: they leave "sent, no report yet" for
    // "delivered", which made a tile of the first kind contradict the chart.
    for sid in ["SMfake1", "SMfake2"] {
        assert_eq!(server.twilio_status(sid, "delivered").await.status(), 200);
    }
    let (status, live) = text(&admin, &format!("/admin/campaigns/{id}/run/live")).await;
    assert_eq!(status, 200);
    let sent = counter(&live, "count-sent");
    let delivered = counter(&live, "count-delivered");
    assert!(sent >= 3, "{live}");
    assert_eq!(delivered, 2, "{live}");
    assert!(
        live.contains(&format!(
            "Sent {sent}, delivered {delivered}, replied 0 in all"
        )),
        "the chart counts the same: {live}"
    );
    // Each tile has one word and one short definition; the chart's legend uses the words.
    for (word, definition) in [
        ("Messaged", "Leads given their message, each once."),
        ("In the outbox", "Messages not handed to the provider yet."),
        ("Sent", "Handed to the provider (the chart's Sent)."),
        ("Delivered", "Reported delivered by the carrier"),
        ("Replied", "Leads who answered, each once"),
    ] {
        assert!(live.contains(&format!("<dt>{word}</dt>")), "{word}: {live}");
        assert!(live.contains(definition), "{definition}: {live}");
    }
    for legend in ["Sent", "Delivered", "Replied"] {
        assert!(
            live.contains(&format!("class=\"legend\">{legend}</text>")),
            "{legend}"
        );
    }
    assert!(!live.contains("<dt>Queued</dt>"), "{live}");
    server.stop().await;
}
