//! The campaign administration page over HTTP: creating each kind, editing (numbers moved
//! between campaigns, rate, sending hours, zone), every refusal, who may use it, CSRF.

use parley::domain::{
    Campaign, CampaignId, CampaignKind, E164, QueueId, Role, SendingHours, Survey, SurveyId,
};
use parley::store;

use crate::common::*;

mod predictive_form;
mod refusals;

/// A form's fields, owned, so a test can change one.
type Fields = Vec<(&'static str, String)>;

/// An admin's browser, logged in.
async fn admin(server: &TestServer) -> Client {
    server.add_user("root", Role::Admin).await;
    server.login("root").await
}

/// Posts `fields` as the page does; (status, body, Location).
async fn post(client: &Client, path: &str, fields: &Fields) -> (u16, String, String) {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    client.form_post(path, &pairs, true).await
}

/// A valid form: an inbound campaign on `queue`, with sending hours 08:00–21:00.
fn campaign_form(name: &str, queue: QueueId, numbers: &str) -> Fields {
    vec![
        ("name", name.into()),
        ("kind", "inbound".into()),
        ("queue", queue.to_string()),
        ("numbers", numbers.into()),
        ("survey", String::new()),
        ("help_text", String::new()),
        ("opt_out_text", String::new()),
        ("send_rate", "1".into()),
        ("limit_hours", "on".into()),
        ("hours_start", "08:00".into()),
        ("hours_end", "21:00".into()),
        ("time_zone", String::new()),
    ]
}

/// `fields` with `key` set to `value` (or removed when `value` is `None`).
fn with(fields: &Fields, key: &'static str, value: Option<&str>) -> Fields {
    let mut out: Fields = fields.iter().filter(|(k, _)| *k != key).cloned().collect();
    if let Some(v) = value {
        out.push((key, v.into()));
    }
    out
}

async fn campaigns(server: &TestServer) -> Vec<Campaign> {
    let mut all = server.state.store.read(store::all_campaigns).await.unwrap();
    all.sort_by_key(|c| c.id);
    all
}

async fn campaign(server: &TestServer, id: CampaignId) -> Campaign {
    server
        .state
        .store
        .read(move |txn| store::campaign(txn, id))
        .await
        .unwrap()
        .expect("campaign stored")
}

/// Which campaign owns `number`, as inbound routing reads it.
async fn owner(server: &TestServer, number: &str) -> Option<u64> {
    let number = number.to_owned();
    server
        .state
        .store
        .read(move |txn| {
            let table = txn.open_table(store::CAMPAIGN_NUMBERS)?;
            Ok(table.get(number.as_str())?.map(|v| v.value()))
        })
        .await
        .unwrap()
}

async fn add_survey(server: &TestServer, name: &str) -> SurveyId {
    let name = name.to_owned();
    server
        .state
        .store
        .write(move |txn| {
            let survey = Survey {
                id: store::next_survey_id(txn)?,
                name,
                questions: vec![],
                next_question_id: 1,
            };
            store::put_survey(txn, &survey)?;
            Ok(survey.id)
        })
        .await
        .unwrap()
}

/// The page's text with askama's escapes undone, to look for messages and typed values.
fn unescape(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

fn numbers(c: &Campaign) -> Vec<&str> {
    c.numbers.iter().map(E164::as_str).collect()
}

#[tokio::test]
async fn each_kind_is_created_and_listed() {
    let server = TestServer::start().await;
    let support = server.default_queue().await;
    let sales = server
        .state
        .store
        .write(|txn| store::insert_queue(txn, "Sales", 0, 20))
        .await
        .unwrap()
        .id;
    let exit_survey = add_survey(&server, "Exit survey").await;
    let root = admin(&server).await;

    let html = root.get("/admin/campaigns").await.text().await.unwrap();
    assert!(html.contains("No campaigns yet."));
    assert!(html.contains("New campaign"));
    assert!(
        html.contains("aria-current=\"page\">Campaigns</a>"),
        "{html}"
    );
    assert!(html.contains(">Support</option>") && html.contains(">Exit survey</option>"));
    assert!(html.contains("Limit agents' messages to sending hours"));
    assert!(
        unescape(&html).contains("placeholder=\"Campaign name: reply STOP to stop receiving"),
        "the default HELP answer is the placeholder"
    );
    assert!(html.contains("<option value=\"America/New_York\">"));

    let inbound = campaign_form(" Help line ", support, "+14155550100\n\n(415) 555-0101\n");
    let (status, _, location) = post(&root, "/admin/campaigns", &inbound).await;
    assert_eq!(status, 303);
    assert_eq!(
        location,
        "/admin/campaigns?notice=Added+campaign+Help+line."
    );

    let mut outbound = campaign_form("Renewals", sales, "+14155550102");
    outbound = with(&outbound, "kind", Some("outbound"));
    outbound = with(&outbound, "survey", Some(&exit_survey.to_string()));
    outbound = with(
        &outbound,
        "help_text",
        Some("  Renewals desk, call 555-0100.  "),
    );
    outbound = with(
        &outbound,
        "opt_out_text",
        Some("Unsubscribed from renewals."),
    );
    outbound = with(&outbound, "send_rate", Some("0.5"));
    outbound = with(&outbound, "hours_start", Some("09:30"));
    outbound = with(&outbound, "hours_end", Some("17:15"));
    outbound = with(&outbound, "time_zone", Some("America/New_York"));
    assert_eq!(post(&root, "/admin/campaigns", &outbound).await.0, 303);

    let mut predictive = campaign_form("Leads", sales, "");
    predictive = with(&predictive, "kind", Some("predictive"));
    predictive = with(&predictive, "limit_hours", None);
    predictive = with(&predictive, "send_rate", Some("1000"));
    assert_eq!(post(&root, "/admin/campaigns", &predictive).await.0, 303);

    let all = campaigns(&server).await;
    assert_eq!(all.len(), 3);
    let (help, renewals, leads) = (&all[0], &all[1], &all[2]);
    assert_eq!(help.name, "Help line", "the name is trimmed");
    assert_eq!(help.kind, CampaignKind::Inbound);
    assert_eq!(help.queue, support);
    assert_eq!(numbers(help), ["+14155550100", "+14155550101"]);
    assert_eq!(help.survey, None);
    assert_eq!(
        (help.help_text.as_str(), help.opt_out_text.as_str()),
        ("", "")
    );
    assert_eq!(help.send_rate, 1.0);
    assert_eq!(help.quiet_hours, Some(SendingHours::agent_default()));
    assert_eq!(help.time_zone, "");

    assert_eq!(renewals.kind, CampaignKind::Outbound);
    assert_eq!(renewals.queue, sales);
    assert_eq!(renewals.survey, Some(exit_survey));
    assert_eq!(renewals.help_text, "Renewals desk, call 555-0100.");
    assert_eq!(renewals.opt_out_text, "Unsubscribed from renewals.");
    assert_eq!(renewals.send_rate, 0.5);
    assert_eq!(
        renewals.quiet_hours,
        Some(SendingHours::parse("09:30", "17:15").unwrap())
    );
    assert_eq!(renewals.time_zone, "America/New_York");

    assert_eq!(leads.kind, CampaignKind::Predictive);
    assert!(leads.numbers.is_empty());
    assert_eq!(leads.quiet_hours, None, "unticked: any time");
    assert_eq!(leads.send_rate, 1000.0);
    assert_eq!(owner(&server, "+14155550101").await, Some(help.id.0));
    assert_eq!(owner(&server, "+14155550102").await, Some(renewals.id.0));

    let html = root
        .get("/admin/campaigns?notice=Added+campaign+Leads.")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Added campaign Leads."));
    for c in &all {
        assert!(
            html.contains(&format!(
                "<a href=\"/admin/campaigns/{}\">{}</a>",
                c.id, c.name
            )),
            "{} links to its form",
            c.name
        );
    }
    let row = |id: CampaignId| {
        let at = html.find(&format!("id=\"campaign-row-{id}\"")).unwrap();
        let row = &html[at..];
        row[..row.find("</tr>").unwrap()].to_owned()
    };
    let r = row(help.id);
    for part in [
        "Inbound",
        "+14155550100",
        "+14155550101",
        "Support",
        ">1<",
        "08:00–21:00",
    ] {
        assert!(r.contains(part), "{part} missing in {r}");
    }
    let r = row(renewals.id);
    for part in [
        "Outbound",
        "Sales",
        ">0.5<",
        "09:30–17:15",
        "America/New_York",
    ] {
        assert!(r.contains(part), "{part} missing in {r}");
    }
    let r = row(leads.id);
    for part in ["Predictive", "None", ">1000<", "Any time"] {
        assert!(r.contains(part), "{part} missing in {r}");
    }
    server.stop().await;
}

#[tokio::test]
async fn an_edit_moves_numbers_and_saves_rate_hours_and_zone() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let root = admin(&server).await;
    let a_form = campaign_form("Alpha", q, "+14155550100\n+14155550101");
    let b_form = campaign_form("Beta", q, "+14155550102");
    assert_eq!(post(&root, "/admin/campaigns", &a_form).await.0, 303);
    assert_eq!(post(&root, "/admin/campaigns", &b_form).await.0, 303);
    let all = campaigns(&server).await;
    let (a, b) = (all[0].id, all[1].id);

    // The edit form shows what is stored.
    let html = root
        .get(&format!("/admin/campaigns/{a}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Edit campaign Alpha"));
    assert!(
        html.contains(">+14155550100\n+14155550101</textarea>"),
        "{html}"
    );
    assert!(html.contains("name=\"limit_hours\" value=\"on\" checked"));
    assert!(html.contains("value=\"08:00\"") && html.contains("value=\"21:00\""));

    // +14155550101 moves from Alpha to Beta: first off Alpha, then onto Beta.
    let a_path = format!("/admin/campaigns/{a}");
    let b_path = format!("/admin/campaigns/{b}");
    let mut a_edit = with(&a_form, "numbers", Some("+14155550100"));
    a_edit = with(&a_edit, "name", Some("Alpha line"));
    a_edit = with(&a_edit, "send_rate", Some("2.5"));
    a_edit = with(&a_edit, "hours_start", Some("22:00"));
    a_edit = with(&a_edit, "hours_end", Some("06:00"));
    a_edit = with(&a_edit, "time_zone", Some(" Europe/Berlin "));
    a_edit = with(&a_edit, "provider", Some("simulator"));
    let (status, _, location) = post(&root, &a_path, &a_edit).await;
    assert_eq!(status, 303);
    assert_eq!(
        location,
        "/admin/campaigns?notice=Saved+campaign+Alpha+line."
    );
    let b_edit = with(&b_form, "numbers", Some("+14155550102\n+1 415 555 0101"));
    assert_eq!(post(&root, &b_path, &b_edit).await.0, 303);

    let alpha = campaign(&server, a).await;
    assert_eq!(alpha.name, "Alpha line");
    assert_eq!(numbers(&alpha), ["+14155550100"]);
    assert_eq!(alpha.send_rate, 2.5);
    assert_eq!(
        alpha.quiet_hours,
        Some(SendingHours::parse("22:00", "06:00").unwrap()),
        "hours running over midnight"
    );
    assert_eq!(alpha.time_zone, "Europe/Berlin");
    assert_eq!(alpha.provider.as_deref(), Some("simulator"));
    let beta = campaign(&server, b).await;
    assert_eq!(numbers(&beta), ["+14155550102", "+14155550101"]);
    assert_eq!(owner(&server, "+14155550101").await, Some(b.0));
    assert_eq!(owner(&server, "+14155550100").await, Some(a.0));

    // Unticking the box lifts the limit; the other values stay.
    let a_any_time = with(&a_edit, "limit_hours", None);
    assert_eq!(post(&root, &a_path, &a_any_time).await.0, 303);
    let alpha = campaign(&server, a).await;
    assert_eq!(alpha.quiet_hours, None);
    assert_eq!(alpha.send_rate, 2.5);
    let html = root.get(&a_path).await.text().await.unwrap();
    assert!(
        html.contains("name=\"limit_hours\" value=\"on\">"),
        "unticked"
    );
    assert!(html.contains("value=\"2.5\""));
    assert!(html.contains("value=\"Europe/Berlin\""));
    assert!(
        html.contains("<option value=\"simulator\" selected>"),
        "{html}"
    );

    // A campaign keeps its own name and numbers; unknown campaigns are 404.
    assert_eq!(post(&root, &a_path, &a_any_time).await.0, 303);
    assert_eq!(root.get("/admin/campaigns/999").await.status(), 404);
    let (status, _, _) = post(
        &root,
        "/admin/campaigns/999",
        &campaign_form("Ghost", q, ""),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(campaigns(&server).await.len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn the_edit_page_lists_the_campaigns_templates() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let root = admin(&server).await;
    assert_eq!(
        post(&root, "/admin/campaigns", &campaign_form("Sales", q, ""))
            .await
            .0,
        303
    );
    let sales = campaigns(&server).await[0].id;
    let html = root
        .get(&format!("/admin/campaigns/{sales}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"no-templates\""));
    let ids = server
        .state
        .store
        .write(move |txn| {
            let mut ids = Vec::new();
            for (name, campaigns) in [
                ("Everywhere", vec![]),
                ("Sales pitch", vec![sales]),
                ("Other", vec![CampaignId(999)]),
            ] {
                let fields = store::ResponseTemplateFields {
                    name: name.into(),
                    body: "Hello {first_name}".into(),
                    campaigns,
                    audience: Default::default(),
                };
                match store::put_response_template(txn, None, fields)? {
                    store::SavedResponseTemplate::Saved(t) => ids.push(t.id),
                    other => panic!("{other:?}"),
                }
            }
            Ok(ids)
        })
        .await
        .unwrap();
    let html = root
        .get(&format!("/admin/campaigns/{sales}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Templates are assigned to campaigns on the"));
    assert!(html.contains(&format!(
        "<a href=\"/admin/templates/{}\">Everywhere</a> <span class=\"muted\">(every campaign)</span>",
        ids[0]
    )));
    assert!(html.contains(&format!(
        "<a href=\"/admin/templates/{}\">Sales pitch</a></li>",
        ids[1]
    )));
    assert!(
        !html.contains(">Other</a>"),
        "another campaign's template is not listed"
    );
    server.stop().await;
}

#[tokio::test]
async fn only_admins_may_see_or_change_campaigns() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let root = admin(&server).await;
    assert_eq!(
        post(
            &root,
            "/admin/campaigns",
            &campaign_form("Sales", q, "+14155550100")
        )
        .await
        .0,
        303
    );
    let before = campaigns(&server).await;
    let id = before[0].id;
    server.add_user("alice", Role::Agent).await;
    server.add_user("sue", Role::Supervisor).await;
    let edit_path = format!("/admin/campaigns/{id}");
    let mallory = campaign_form("Mallory", q, "+14155550101");
    for who in ["alice", "sue"] {
        let client = server.login(who).await;
        assert_eq!(client.get("/admin/campaigns").await.status(), 403, "{who}");
        assert_eq!(client.get(&edit_path).await.status(), 403, "{who}");
        assert_eq!(
            post(&client, "/admin/campaigns", &mallory).await.0,
            403,
            "{who}"
        );
        assert_eq!(post(&client, &edit_path, &mallory).await.0, 403, "{who}");
    }
    // Without a login, the page sends to the login form.
    let anonymous = Client::anonymous(&server.url);
    let res = anonymous.get("/admin/campaigns").await;
    assert!(
        res.status().is_redirection() || res.status() == 401,
        "{}",
        res.status()
    );
    assert_eq!(campaigns(&server).await, before, "nothing changed");
    server.stop().await;
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let root = admin(&server).await;
    let fields = campaign_form("Sales", q, "+14155550100");
    for csrf in [None, Some("wrong-token")] {
        let mut form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if let Some(t) = csrf {
            form.push(("_csrf", t));
        }
        let res = root
            .http
            .post(format!("{}/admin/campaigns", root.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{csrf:?}");
        assert!(res.text().await.unwrap().contains("CSRF"));
    }
    assert!(campaigns(&server).await.is_empty());
    // The same form with the token goes through.
    assert_eq!(post(&root, "/admin/campaigns", &fields).await.0, 303);
    server.stop().await;
}
