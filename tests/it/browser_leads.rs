//! Importing a lead list in a real browser: an admin chooses a CSV file, sees the guessed mapping
//! (no phone column) with the reason, maps the columns in the page, imports, and sees the progress
//! reach the end, the counts, the link to the refused rows and the new leads in the list; then
//! pages through a longer list and filters it by status. Skips like the other browser tests without
//! Chromium (fails instead with `PARLEY_REQUIRE_BROWSER=1`).

use fantoccini::Client as Browser;
use parley::domain::{Campaign, CampaignId, CampaignKind, ChannelPreference, Role};
use parley::store;
use serde_json::{Value, json};

use crate::browser::{
    Driver, browser_tools, click, js, log_in_to, texts, wait_for, wait_js, wait_text,
};
use crate::campaign_run_page::{
    act_ok, add_leads, add_leads_preferring, advance_until_messaged, spring,
};
use crate::common::*;

const LIST: &str = "Tel,Name,Plan\n+14155550101,Ana,gold\n12,Ben,x\n+14155550103,Cy,silver\n";

async fn value(c: &Browser, css: &str) -> Value {
    js(
        c,
        "return document.querySelector(arguments[0]).value;",
        vec![json!(css)],
    )
    .await
}

/// Chooses `value` in the mapping select `css` (which redraws the preview).
async fn map(c: &Browser, css: &str, value: &str) {
    // The preview drawn before the change is marked, to wait for the new one.
    js(
        c,
        "document.getElementById('preview-table').dataset.old = '1';",
        vec![],
    )
    .await;
    wait_for(c, css)
        .await
        .select_by_value(value)
        .await
        .expect("choose a mapping");
    wait_js(
        c,
        "the preview drawn with the new mapping",
        "const t = document.getElementById('preview-table'); return !!t && !t.dataset.old;",
    )
    .await;
}

#[tokio::test]
async fn an_admin_maps_previews_and_imports_a_lead_list_with_live_progress() {
    let Some((driver_path, chromium)) = browser_tools() else {
        return;
    };
    let server = TestServer::start().await;
    server.add_user("root", Role::Admin).await;
    let queue = server.default_queue().await;
    let spring = server
        .state
        .store
        .write(move |txn| {
            let c = Campaign::new(
                CampaignId(0),
                "Spring offer",
                CampaignKind::Predictive,
                queue,
            );
            match store::save_campaign(txn, c)? {
                store::NewCampaign::Created(c) => Ok(c.id),
                store::NewCampaign::NumberTaken(n) => panic!("{n} taken"),
            }
        })
        .await
        .unwrap();
    let file = server.dir.path().join("spring leads.csv");
    std::fs::write(&file, LIST).unwrap();

    let driver = Driver::start(&driver_path).await;
    let c = driver.browser(&chromium).await;
    log_in_to(&c, &server, "/login", "root", "nav.admin-nav").await;

    // From the campaign list to the campaign's leads.
    c.goto(&format!("{}/admin/campaigns", server.url))
        .await
        .expect("open");
    click(&c, &format!("#campaign-leads-{spring}")).await;
    wait_text(&c, "#lead-count", "0 leads.").await;

    // The file is chosen and previewed: no column is guessed as the phone.
    wait_for(&c, "#lead-file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .expect("choose the file");
    click(&c, "#preview-button").await;
    wait_text(&c, "#preview-error", "map exactly one column to phone").await;
    assert_eq!(value(&c, "#map-0").await, "custom:tel");
    assert_eq!(value(&c, "#map-1").await, "custom:name");
    wait_text(&c, "#preview-table tbody td", "Ana").await;
    assert!(
        js(
            &c,
            "return !document.getElementById('import-button');",
            vec![]
        )
        .await
            == true
    );

    // Mapped in the page: the counts follow.
    map(&c, "#map-0", "phone").await;
    wait_text(&c, "#preview-summary", "3 rows; 1 would be refused.").await;
    wait_text(&c, "#preview-reasons li", "Line 3 (12): bad phone").await;
    map(&c, "#map-1", "first_name").await;
    assert_eq!(value(&c, "#map-1").await, "first_name");
    assert_eq!(value(&c, "#map-2").await, "custom:plan");

    // Imported, with the progress to the end, the counts and the refused rows.
    click(&c, "#import-button").await;
    wait_text(&c, "#import-result", "Imported 2 leads; 1 row refused.").await;
    wait_js(
        &c,
        "the progress bar full",
        "const p = document.getElementById('import-progress'); return p.value === p.max && p.max === 2;",
    )
    .await;
    wait_text(&c, "#import-status", "2 of 2 rows stored").await;
    wait_text(&c, "#lead-count", "2 leads.").await;
    let link = wait_for(&c, "#import-errors").await;
    assert!(
        link.is_displayed().await.unwrap(),
        "the error report link shows"
    );
    let href = link.attr("href").await.unwrap().expect("a link");
    assert!(href.ends_with("/errors.csv"), "{href}");
    let report = c
        .execute_async(
            "const done = arguments[1]; fetch(arguments[0]).then(r => r.text()).then(done);",
            vec![json!(href)],
        )
        .await
        .expect("download the report");
    let report = report.as_str().unwrap().to_owned();
    assert!(report.starts_with("line,phone,reason"), "{report}");
    assert!(report.contains("3,12,\"bad phone"), "{report}");

    let leads = server
        .state
        .store
        .read(move |txn| store::campaign_leads(txn, spring))
        .await
        .unwrap();
    let names: Vec<&str> = leads.iter().map(|l| l.first_name.as_str()).collect();
    assert_eq!(names, ["Ana", "Cy"]);
    assert_eq!(
        leads[0].fields,
        vec![("plan".to_owned(), "gold".to_owned())]
    );
    // The new leads are in the list once asked for.
    click(&c, "#import-show").await;
    wait_text(&c, "#leads tbody", "Cy").await;
    let listed = texts(&c, "#leads tbody tr td:nth-child(2)").await;
    assert_eq!(listed, ["Ana", "Cy"]);
    crate::browser::assert_page_clean(&c, "the end of browser_leads").await;
    c.close().await.expect("close the browser");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_pages_through_the_leads_and_filters_them() {
    let Some((driver_path, chromium)) = browser_tools() else {
        return;
    };
    let (server, _fake) = TestServer::start_faked(vec![]).await;
    server.add_user("root", Role::Admin).await;
    let id = spring(&server, 60.0, |_| {}).await;
    add_leads(&server, id, 60).await;
    add_leads_preferring(&server, id, 2, ChannelPreference::Email).await;

    let driver = Driver::start(&driver_path).await;
    let c = driver.browser(&chromium).await;
    log_in_to(&c, &server, "/login", "root", "nav.admin-nav").await;
    c.goto(&format!("{}/admin/campaigns/{id}/leads", server.url))
        .await
        .expect("open");
    wait_text(&c, "#lead-count", "62 leads.").await;
    assert_eq!(texts(&c, "#leads tbody tr").await.len(), 50);
    wait_text(&c, "#lead-shown", "50 shown of 62").await;
    crate::browser::snapshot(&c, "leads-list").await;

    // The next page holds the last 12; the first page link goes back.
    click(&c, "#leads-next").await;
    wait_text(&c, "#lead-shown", "12 shown of 62").await;
    assert_eq!(texts(&c, "#leads tbody tr").await.len(), 12);
    let statuses = texts(&c, "#leads .lead-status").await;
    assert_eq!(statuses[11], "Not eligible: skipped when the campaign runs");
    click(&c, "#leads-first").await;
    wait_text(&c, "#lead-shown", "50 shown of 62").await;

    // Filtered: the two leads the campaign will not message, with the reason.
    click(&c, "#filter-not_eligible").await;
    wait_text(&c, "#lead-shown", "2 shown of 2").await;
    assert_eq!(
        texts(&c, "#leads .lead-reason").await,
        ["prefers email", "prefers email"]
    );
    assert!(texts(&c, "#lead-pager a").await.is_empty());
    crate::browser::assert_accessible(&c, "the leads list filtered").await;

    // Started and some leads messaged: the Messaged filter shows them.
    act_ok(&server.login("root").await, id, "start").await;
    advance_until_messaged(&server, id, 2).await;
    c.goto(&format!(
        "{}/admin/campaigns/{id}/leads?status=messaged",
        server.url
    ))
    .await
    .expect("open");
    wait_text(&c, "#leads .lead-status", "Messaged · ").await;
    crate::browser::assert_page_clean(&c, "the end of the leads list test").await;
    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
