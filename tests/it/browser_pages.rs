//! Every page, as each role sees it on the demo: one top bar, one `h1`, and no serious or
//! critical accessibility violation (axe-core).

use crate::browser::{
    accessibility_problems, assert_accessible, assert_page_clean, click, log_in_to, open_browser,
    wait_for,
};
use crate::common::*;

/// The pages an admin can open on the demo, with an element each shows once drawn.
const ADMIN_PAGES: &[(&str, &str)] = &[
    ("/workspace", "#app[data-live=\"1\"]"),
    ("/contacts", "#contacts"),
    ("/contacts?q=nobody-by-this-name", "#contact-count"),
    ("/search", "#search-form"),
    ("/search?q=order", "#search-form"),
    ("/supervisor", "#wallboard[data-live=\"1\"]"),
    ("/supervisor?tv=1", "#wallboard[data-live=\"1\"]"),
    ("/reports", "#report-queues"),
    ("/reports?from=2026-01-02&to=2026-01-01", "#report-error"),
    ("/workitems/1", "main"),
    ("/settings", "#settings-form"),
    ("/admin", "main"),
    ("/admin/queues", "main"),
    ("/admin/campaigns", "main"),
    ("/admin/campaigns/1", "main"),
    ("/admin/campaigns/2", "main"),
    ("/admin/campaigns/3", "main"),
    ("/admin/campaigns/3/leads", "main"),
    ("/admin/campaigns/3/run", "main"),
    ("/admin/away-reasons", "main"),
    ("/admin/held-messages", "main"),
    ("/admin/classes", "main"),
    ("/admin/templates", "main"),
    ("/admin/templates/1", "main"),
    ("/admin/surveys", "main"),
    ("/admin/surveys/new", "main"),
    ("/admin/surveys/1", "main"),
    ("/admin/tokens", "main"),
    ("/admin/audit", "main"),
    ("/simulator", "main.phone[data-live=\"1\"]"),
    ("/workitems/999999", "main"),
];

/// The pages an agent can open.
const AGENT_PAGES: &[(&str, &str)] = &[
    ("/workspace", "#app[data-live=\"1\"]"),
    ("/contacts", "#contacts"),
    ("/settings", "#settings-form"),
];

/// The links every page's top bar offers to each role, in order.
const ADMIN_LINKS: &[&str] = &[
    "Workspace",
    "Contacts",
    "Search",
    "Supervisor",
    "Reports",
    "Administration",
    "Settings",
];
const SUPERVISOR_LINKS: &[&str] = &[
    "Workspace",
    "Contacts",
    "Search",
    "Supervisor",
    "Reports",
    "Settings",
];

/// The pages a supervisor can open.
const SUPERVISOR_PAGES: &[(&str, &str)] = &[
    ("/supervisor", "#wallboard[data-live=\"1\"]"),
    ("/search", "#search-form"),
    ("/reports", "#report-queues"),
    ("/workspace", "#app[data-live=\"1\"]"),
];
const AGENT_LINKS: &[&str] = &["Workspace", "Contacts", "Settings"];

#[tokio::test]
async fn every_page_has_one_layout_and_passes_axe() {
    let Some((_driver, c)) = open_browser().await else {
        return;
    };
    let server = TestServer::start_demo().await;

    // Logged out: the login page.
    c.goto(&format!("{}/login", server.url))
        .await
        .expect("open");
    wait_for(&c, "#login-form").await;
    assert_accessible(&c, "/login").await;

    // Every page is looked at before failing, so one run lists everything to fix.
    let mut failures: Vec<String> = Vec::new();
    for (who, pages, links) in [
        ("admin", ADMIN_PAGES, ADMIN_LINKS),
        ("alice", AGENT_PAGES, AGENT_LINKS),
        ("sam", SUPERVISOR_PAGES, SUPERVISOR_LINKS),
    ] {
        log_in_to(&c, &server, "/workspace", who, "#app[data-live=\"1\"]").await;
        for (path, ready) in pages {
            c.goto(&format!("{}{path}", server.url))
                .await
                .expect("open");
            wait_for(&c, ready).await;
            let what = format!("{path} as {who}");
            for p in accessibility_problems(&c).await {
                failures.push(format!("{what}: {p}"));
            }
            let shown = crate::browser::texts(&c, "header.topbar nav.mainnav a").await;
            // The phone simulator is the customer's screen, and an error page stands alone;
            // the wall screen mode hides the links.
            let bare = ["/simulator", "/workitems/999999", "/supervisor?tv=1"];
            if !bare.contains(path) && shown != *links {
                failures.push(format!("{what}: top bar links {shown:?}, not {links:?}"));
            }
        }
        c.goto(&format!("{}/settings", server.url))
            .await
            .expect("open");
        click(&c, "#logout").await;
        wait_for(&c, "#login-form").await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_page_clean(&c, "the end of browser_pages").await;
    c.close().await.expect("close");
}

#[tokio::test]
async fn a_delete_asks_first_and_its_notice_does_not_return_on_reload() {
    let Some((_driver, c)) = open_browser().await else {
        return;
    };
    let server = TestServer::start_demo().await;
    log_in_to(&c, &server, "/admin/templates", "admin", "#templates").await;
    let delete = "#template-1 button.danger";

    // Dismissed: nothing happens.
    click(&c, delete).await;
    let question = c.get_alert_text().await.expect("a confirmation");
    assert!(question.contains("Delete the template"), "{question:?}");
    c.dismiss_alert().await.expect("dismiss");
    wait_for(&c, "#template-1").await;
    assert_eq!(
        c.current_url().await.expect("url").path(),
        "/admin/templates"
    );

    // Accepted: deleted, with a notice that a reload does not bring back.
    click(&c, delete).await;
    c.accept_alert().await.expect("accept");
    wait_for(&c, "#notice").await;
    crate::browser::wait_js(
        &c,
        "the template to be gone",
        "return !document.getElementById('template-1');",
    )
    .await;
    let url = c.current_url().await.expect("url");
    assert_eq!(url.query(), None, "the notice left the address: {url}");
    c.refresh().await.expect("reload");
    wait_for(&c, "#templates").await;
    assert!(
        crate::browser::texts(&c, "#notice").await.is_empty(),
        "the notice came back on reload"
    );
    assert_page_clean(&c, "/admin/templates after a delete").await;
    c.close().await.expect("close");
}
