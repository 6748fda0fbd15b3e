//! The leads page's list over HTTP: 50 leads a page in import order, paged forward and back
//! by lead id, filtered by status with the counts the run page shows, each lead with its
//! phone, name, status and skip reason.

use parley::domain::{CampaignId, ChannelPreference, Role};

use crate::campaign_run_page::{
    act_ok, add_leads, add_leads_preferring, advance_until_messaged, spring, text,
};
use crate::common::*;

/// The lead ids listed on `page`, in order.
fn listed(page: &str) -> Vec<u64> {
    page.split("<tr id=\"lead-")
        .skip(1)
        .map(|rest| rest[..rest.find('"').expect("id end")].parse().expect("id"))
        .collect()
}

/// The address of the link `id` on `page`, if there is one.
fn link(page: &str, id: &str) -> Option<String> {
    let at = page.find(&format!("id=\"{id}\""))?;
    let before = &page[..at];
    let href = &before[before.rfind("href=\"")? + 6..];
    Some(href[..href.find('"')?].replace("&amp;", "&"))
}

/// The row of lead `id`.
fn row(page: &str, id: u64) -> &str {
    let at = page.find(&format!("<tr id=\"lead-{id}\"")).expect("row");
    let row = &page[at..];
    &row[..row.find("</tr>").expect("row end")]
}

async fn leads_page(admin: &Client, id: CampaignId, query: &str) -> String {
    let (status, page) = text(admin, &format!("/admin/campaigns/{id}/leads{query}")).await;
    assert_eq!(status, 200, "{page}");
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_pages_through_the_leads_and_filters_them_by_status() {
    let (server, _fake) = TestServer::start_faked(vec![]).await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let id = spring(&server, 60.0, |_| {}).await;
    add_leads(&server, id, 110).await;
    add_leads_preferring(&server, id, 3, ChannelPreference::Email).await;

    // Page 1: the first 50 in import order; the filters with their counts.
    let page = leads_page(&admin, id, "").await;
    assert!(page.contains("id=\"lead-count\">113 leads.<"), "{page}");
    for want in ["All (113)", "Waiting (110)", "Not eligible (3)"] {
        assert!(page.contains(want), "lacks {want}");
    }
    assert!(!page.contains("Messaged ("), "empty filters are left out");
    let one = listed(&page);
    assert_eq!(one.len(), 50);
    assert!(one.windows(2).all(|w| w[0] < w[1]), "import order");
    let first = row(&page, one[0]);
    for want in [
        "+14155552000",
        "Lead1",
        "SMS",
        "Waiting",
        "data-status=\"waiting\"",
    ] {
        assert!(first.contains(want), "lacks {want}: {first}");
    }
    assert!(link(&page, "leads-previous").is_none());
    assert!(link(&page, "leads-first").is_none());

    // Next, next again (the last 13), and back.
    let next = link(&page, "leads-next").expect("a next page");
    let page = leads_page(
        &admin,
        id,
        next.trim_start_matches(&format!("/admin/campaigns/{id}/leads")),
    )
    .await;
    let two = listed(&page);
    assert_eq!(two.len(), 50);
    assert!(two[0] > one[49]);
    let next = link(&page, "leads-next").expect("a third page");
    let page = leads_page(
        &admin,
        id,
        next.trim_start_matches(&format!("/admin/campaigns/{id}/leads")),
    )
    .await;
    let three = listed(&page);
    assert_eq!(three.len(), 13);
    assert!(link(&page, "leads-next").is_none(), "the last page");
    assert!(link(&page, "leads-first").is_some());
    let last = row(&page, three[12]);
    assert!(
        last.contains("Not eligible") && last.contains("prefers email"),
        "{last}"
    );
    let previous = link(&page, "leads-previous").expect("a page before");
    let page = leads_page(
        &admin,
        id,
        previous.trim_start_matches(&format!("/admin/campaigns/{id}/leads")),
    )
    .await;
    assert_eq!(listed(&page), two);
    let previous = link(&page, "leads-previous").expect("the first page");
    let page = leads_page(
        &admin,
        id,
        previous.trim_start_matches(&format!("/admin/campaigns/{id}/leads")),
    )
    .await;
    assert_eq!(listed(&page), one);
    assert!(link(&page, "leads-previous").is_none());

    // One filter: the leads whose channel the campaign does not message.
    let page = leads_page(&admin, id, "?status=not_eligible").await;
    assert_eq!(listed(&page), three[10..].to_vec());
    assert!(
        page.contains("aria-current=\"true\">Not eligible (3)"),
        "{page}"
    );
    assert!(link(&page, "leads-next").is_none());

    // Once running: those three are skipped, with the reason; some are messaged.
    act_ok(&admin, id, "start").await;
    advance_until_messaged(&server, id, 3).await;
    let page = leads_page(&admin, id, "?status=skipped").await;
    let skipped = listed(&page);
    assert_eq!(skipped, three[10..].to_vec());
    let r = row(&page, skipped[0]);
    assert!(
        r.contains(">Skipped<") && r.contains(">prefers email<"),
        "{r}"
    );
    let page = leads_page(&admin, id, "?status=messaged").await;
    let messaged = listed(&page);
    assert!(messaged.len() >= 3, "{page}");
    assert_eq!(messaged[..3], one[..3], "messaged in import order");
    let r = row(&page, messaged[0]);
    assert!(r.contains("Messaged · "), "{r}");
    assert!(r.contains("data-status=\"messaged\""), "{r}");
    let page = leads_page(&admin, id, "?status=waiting").await;
    let waiting = listed(&page);
    assert!(
        waiting
            .iter()
            .all(|w| !messaged.contains(w) && !skipped.contains(w))
    );
    assert!(!page.contains("Not eligible ("), "none left once skipped");
    // A filter nobody has shows an empty list; an unknown word shows every lead.
    let page = leads_page(&admin, id, "?status=replied").await;
    assert!(
        page.contains("id=\"lead-none\">No leads with the status Replied."),
        "{page}"
    );
    let page = leads_page(&admin, id, "?status=everything&after=x").await;
    assert_eq!(listed(&page), one);
    server.stop().await;
}
