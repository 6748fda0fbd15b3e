//! Importing a lead list from the admin page, over HTTP as its script does it: the file as
//! the request body with the CSRF header, the mapping as `?map=` once per column. Preview,
//! import with a changed mapping, progress, the refused rows as CSV, and every refusal.

use std::time::Instant;

use parley::domain::{Campaign, CampaignId, CampaignKind, Role};
use parley::store;
use serde_json::Value;

use crate::common::*;

const LIST: &str = "\u{feff}Mobile,First Name,Last Name,TZ,Channel,Plan\n\
+14155550101,Ana,Lima,America/Sao_Paulo,sms,gold\n\
(415) 555-0102,Ben,,,email,silver\n\
not a phone,Cy,,,,\n\
+14155550104,Dee,,Mars/Base,,\n\
+1 415 555 0101,Ana,Again,,,\n\
+14155550105,Eve,,,fax,\n\
\n\
+14155550106,Fay,Fox,Europe/Berlin,,bronze\n";

/// Headers no guess maps to the phone.
const ODD: &str = "Tel,Who,Plan\n+14155550101,Ana,gold\n12,Ben,x\n+14155550103,Cy,\n";

async fn add_campaign(server: &TestServer, name: &'static str, kind: CampaignKind) -> CampaignId {
    let queue = server.default_queue().await;
    server
        .state
        .store
        .write(move |txn| {
            match store::save_campaign(txn, Campaign::new(CampaignId(0), name, kind, queue))? {
                store::NewCampaign::Created(c) => Ok(c.id),
                store::NewCampaign::NumberTaken(n) => panic!("{n} taken"),
            }
        })
        .await
        .unwrap()
}

/// A server with an admin logged in and a predictive campaign.
async fn setup() -> (TestServer, Client, CampaignId) {
    let server = TestServer::start().await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let spring = add_campaign(&server, "Spring offer", CampaignKind::Predictive).await;
    (server, admin, spring)
}

/// Posts `file` as the body, as the page does; (status, body).
async fn send(client: &Client, path: &str, file: impl Into<reqwest::Body>) -> (u16, String) {
    let res = client
        .http
        .post(format!("{}{path}", client.base))
        .header("X-CSRF-Token", &client.csrf)
        .header("Content-Type", "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The value selected in the mapping select of column `i`.
fn selected(html: &str, i: usize) -> String {
    let start = html
        .find(&format!("id=\"map-{i}\""))
        .unwrap_or_else(|| panic!("no select for column {i}: {html}"));
    let select = &html[start..start + html[start..].find("</select>").unwrap()];
    let at = select.find(" selected>").expect("a selected option");
    let before = &select[..at - 1];
    before[before.rfind("value=\"").unwrap() + 7..].to_owned()
}

async fn count(server: &TestServer, campaign: CampaignId) -> u64 {
    server
        .state
        .store
        .read(move |txn| store::count_leads(txn, campaign))
        .await
        .unwrap()
}

/// Polls the import `token` until it has finished; its last status.
async fn finished(client: &Client, campaign: CampaignId, token: &str) -> Value {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let res = client
            .get(&format!("/admin/campaigns/{campaign}/leads/jobs/{token}"))
            .await;
        assert_eq!(res.status(), 200);
        let job: Value = res.json().await.unwrap();
        if job["finished"] == true {
            return job;
        }
        assert!(Instant::now() < deadline, "import did not finish: {job}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_preview_shows_the_guessed_mapping_the_first_rows_and_the_refusals() {
    let (server, admin, spring) = setup().await;
    let page = admin.get(&format!("/admin/campaigns/{spring}/leads")).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Leads of Spring offer"), "{page}");
    assert!(page.contains("0 leads."), "{page}");
    assert!(page.contains("id=\"lead-file\""), "{page}");
    assert!(page.contains("name=\"_csrf\""), "{page}");
    let list = admin.get("/admin/campaigns").await.text().await.unwrap();
    assert!(list.contains(&format!("href=\"/admin/campaigns/{spring}/leads\"")));

    let (status, html) = send(
        &admin,
        &format!("/admin/campaigns/{spring}/leads/preview"),
        LIST,
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let guessed: Vec<String> = (0..6).map(|i| selected(&html, i)).collect();
    assert_eq!(
        guessed,
        [
            "phone",
            "first_name",
            "last_name",
            "time_zone",
            "channel",
            "custom:plan"
        ]
    );
    assert!(
        html.contains("<span id=\"preview-total\">7</span> rows"),
        "{html}"
    );
    assert!(
        html.contains("<span id=\"preview-refused\">4</span> would be refused"),
        "{html}"
    );
    assert!(html.contains("Line 4 (not a phone): bad phone"), "{html}");
    assert!(html.contains("unknown time zone"), "{html}");
    assert!(
        html.contains("<td>Fay</td>"),
        "the blank line is skipped, the rest shown: {html}"
    );
    assert!(html.contains("Import 3 leads"), "{html}");
    // Nothing is stored by a preview.
    assert_eq!(count(&server, spring).await, 0);

    // A file without a phone column shows the selects with the reason, not an error page.
    let (status, html) = send(
        &admin,
        &format!("/admin/campaigns/{spring}/leads/preview"),
        ODD,
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("map exactly one column to phone (now 0)"),
        "{html}"
    );
    assert_eq!(selected(&html, 0), "custom:tel");
    assert!(!html.contains("import-button"), "{html}");
    // Choosing the phone column in the page gives the counts.
    let path =
        format!("/admin/campaigns/{spring}/leads/preview?map=phone&map=first_name&map=ignore");
    let (status, html) = send(&admin, &path, ODD).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(selected(&html, 1), "first_name");
    assert!(
        html.contains("<span id=\"preview-refused\">1</span>"),
        "{html}"
    );

    // Unreadable or empty files say why.
    let (status, html) = send(
        &admin,
        &format!("/admin/campaigns/{spring}/leads/preview"),
        "",
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("The file is empty"), "{html}");
    let (status, html) = send(
        &admin,
        &format!("/admin/campaigns/{spring}/leads/preview"),
        vec![0xffu8, 0xfe, b'\n'],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("not readable CSV"), "{html}");
}

#[tokio::test]
async fn an_import_with_a_changed_mapping_stores_the_leads_and_reports_the_refused_rows() {
    let (server, admin, spring) = setup().await;
    let path =
        format!("/admin/campaigns/{spring}/leads/import?map=phone&map=first_name&map=ignore");
    let (status, body) = send(&admin, &path, ODD).await;
    assert_eq!(status, 202, "{body}");
    let started: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(started["total"], 2);
    let token = started["token"].as_str().unwrap();

    let job = finished(&admin, spring, token).await;
    assert_eq!(job["done"], 2);
    assert_eq!(job["total"], 2);
    assert_eq!(job["added"], 2);
    assert_eq!(job["refused"], 1);
    assert_eq!(job["failure"], Value::Null);

    assert_eq!(count(&server, spring).await, 2);
    let leads = server
        .state
        .store
        .read(move |txn| store::campaign_leads(txn, spring))
        .await
        .unwrap();
    let stored: Vec<(&str, &str)> = leads
        .iter()
        .map(|l| (l.phone.as_str(), l.first_name.as_str()))
        .collect();
    assert_eq!(stored, [("+14155550101", "Ana"), ("+14155550103", "Cy")]);
    assert!(
        leads.iter().all(|l| l.fields.is_empty()),
        "Plan was ignored"
    );

    let res = admin
        .get(&format!(
            "/admin/campaigns/{spring}/leads/jobs/{token}/errors.csv"
        ))
        .await;
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "line,phone,reason");
    assert!(lines[1].starts_with("3,12,\"bad phone"), "{csv}");
    assert_eq!(lines.len(), 2, "{csv}");

    // The page counts them; the same list again refuses every row as a duplicate.
    let page = admin
        .get(&format!("/admin/campaigns/{spring}/leads"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("2 leads."), "{page}");
    let (status, body) = send(&admin, &path, ODD).await;
    assert_eq!(status, 202, "{body}");
    let token: Value = serde_json::from_str(&body).unwrap();
    let job = finished(&admin, spring, token["token"].as_str().unwrap()).await;
    assert_eq!(
        (job["added"].as_u64(), job["refused"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(count(&server, spring).await, 2);
}

#[tokio::test]
async fn bad_mappings_other_campaigns_other_roles_and_big_files_are_refused() {
    let (server, admin, spring) = setup().await;
    let support = add_campaign(&server, "Support", CampaignKind::Inbound).await;
    let import = format!("/admin/campaigns/{spring}/leads/import");

    // No phone column, or two: the mapping's own message, and nothing stored.
    for (query, message) in [
        ("", "map exactly one column to phone (now 0)"),
        (
            "?map=phone&map=phone&map=ignore",
            "map exactly one column to phone (now 2)",
        ),
        (
            "?map=phone&map=first_name&map=first_name",
            "two columns are mapped to FirstName",
        ),
        (
            "?map=phone&map=first_name",
            "does not match the file's columns",
        ),
        ("?map=phone&map=zip&map=ignore", "is not a lead field"),
    ] {
        let (status, body) = send(&admin, &format!("{import}{query}"), ODD).await;
        assert_eq!(status, 422, "{query}: {body}");
        let error: Value = serde_json::from_str(&body).unwrap();
        assert!(
            error["error"].as_str().unwrap().contains(message),
            "{query}: {body}"
        );
    }
    assert_eq!(count(&server, spring).await, 0);

    // Not a predictive campaign, or none.
    let res = admin
        .get(&format!("/admin/campaigns/{support}/leads"))
        .await;
    assert_eq!(res.status(), 404);
    let page = res.text().await.unwrap();
    assert!(page.contains("is not a predictive campaign"), "{page}");
    assert_eq!(admin.get("/admin/campaigns/999/leads").await.status(), 404);
    let (status, body) = send(
        &admin,
        &format!("/admin/campaigns/{support}/leads/import"),
        ODD,
    )
    .await;
    assert_eq!(status, 404);
    assert!(body.contains("is not a predictive campaign"), "{body}");
    let (status, _) = send(
        &admin,
        &format!("/admin/campaigns/{support}/leads/preview"),
        ODD,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        admin
            .get(&format!("/admin/campaigns/{spring}/leads/jobs/nope"))
            .await
            .status(),
        404
    );

    // A job is seen only under its own campaign.
    let (status, body) = send(
        &admin,
        &format!("{import}?map=phone&map=first_name&map=ignore"),
        ODD,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let token: Value = serde_json::from_str(&body).unwrap();
    let token = token["token"].as_str().unwrap();
    finished(&admin, spring, token).await;
    let other = format!("/admin/campaigns/{support}/leads/jobs/{token}");
    assert_eq!(admin.get(&other).await.status(), 404);
    assert_eq!(
        admin.get(&format!("{other}/errors.csv")).await.status(),
        404
    );

    // Agents may not; a post without the CSRF token is refused.
    server.add_user("ann", Role::Agent).await;
    let agent = server.login("ann").await;
    assert_eq!(
        agent
            .get(&format!("/admin/campaigns/{spring}/leads"))
            .await
            .status(),
        403
    );
    let (status, _) = send(
        &agent,
        &format!("{import}?map=phone&map=first_name&map=ignore"),
        ODD,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = send(
        &agent,
        &format!("/admin/campaigns/{spring}/leads/preview"),
        ODD,
    )
    .await;
    assert_eq!(status, 403);
    let res = admin
        .http
        .post(format!(
            "{}{import}?map=phone&map=first_name&map=ignore",
            admin.base
        ))
        .body(ODD)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(count(&server, spring).await, 2, "only the one import above");

    // Over the size cap.
    let big = vec![b'a'; parley::web::admin::leads::MAX_FILE_BYTES + 1];
    let (status, html) = send(
        &admin,
        &format!("/admin/campaigns/{spring}/leads/preview"),
        big.clone(),
    )
    .await;
    assert_eq!(status, 413);
    assert!(html.contains("larger than 20 MB"), "{html}");
    let (status, body) = send(&admin, &import, big).await;
    assert_eq!(status, 413);
    assert!(body.contains("larger than 20 MB"), "{body}");
}
