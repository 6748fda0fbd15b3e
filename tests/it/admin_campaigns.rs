//! The campaign administration page over HTTP: creating each kind, editing (numbers moved
//! between campaigns, rate, sending hours, zone), every refusal, who may use it, CSRF.

use parley::domain::{
    Campaign, CampaignId, CampaignKind, E164, QueueId, Role, SendingHours, Survey, SurveyId,
};
use parley::store;

use crate::common::*;

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
async fn every_refusal_answers_422_keeps_what_was_typed_and_stores_nothing() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let root = admin(&server).await;
    let sales = campaign_form("Sales", q, "+14155550100");
    assert_eq!(post(&root, "/admin/campaigns", &sales).await.0, 303);
    let before = campaigns(&server).await;

    let valid = campaign_form("Service", q, "+14155550101");
    let long_name = "n".repeat(61);
    let long_text = "h".repeat(321);
    let refused: Vec<(&'static str, Option<&str>, &str)> = vec![
        ("name", Some(""), "Enter a name for the campaign."),
        ("name", Some(&long_name), "at most 60 characters"),
        (
            "name",
            Some("SALES"),
            "There is already a campaign called \"Sales\".",
        ),
        (
            "kind",
            Some("broadcast"),
            "Choose inbound, outbound or predictive.",
        ),
        (
            "provider",
            Some("pigeon"),
            "This server cannot send through “pigeon”; choose one of: simulator.",
        ),
        (
            "queue",
            Some(""),
            "Choose the queue its conversations go to.",
        ),
        ("queue", Some("999"), "Queue 999 does not exist"),
        (
            "numbers",
            Some("+14155550101\n12345"),
            "Line 2: \"12345\" is not a",
        ),
        (
            "numbers",
            Some("call me"),
            "Line 1: \"call me\" is not a phone number",
        ),
        (
            "numbers",
            Some("+14155550101\n+14155550100"),
            "Line 2: +14155550100 belongs to the campaign \"Sales\"",
        ),
        (
            "numbers",
            Some("+14155550101\n(415) 555-0101"),
            "Line 2: +14155550101 is listed twice.",
        ),
        ("survey", Some("999"), "Survey 999 does not exist"),
        (
            "help_text",
            Some(&long_text),
            "The HELP answer can be at most 320 characters",
        ),
        (
            "opt_out_text",
            Some(&long_text),
            "The opt-out confirmation can be at most 320 characters",
        ),
        ("send_rate", Some("0"), "The send rate must be a number"),
        ("send_rate", Some("-1"), "The send rate must be a number"),
        ("send_rate", Some("1000.5"), "above 0 and at most 1000"),
        ("send_rate", Some("fast"), "The send rate must be a number"),
        ("send_rate", Some("NaN"), "The send rate must be a number"),
        ("send_rate", Some(""), "The send rate must be a number"),
        (
            "hours_start",
            Some("25:00"),
            "“25:00” is not a time of day (HH:MM, 24-hour)",
        ),
        (
            "hours_end",
            Some("late"),
            "“late” is not a time of day (HH:MM, 24-hour)",
        ),
        (
            "hours_end",
            Some("08:00"),
            "The start and end of the sending hours are the same",
        ),
        (
            "time_zone",
            Some("Mars/Olympus_Mons"),
            "is not a known time zone",
        ),
        (
            "time_zone",
            Some("europe/berlin"),
            "Did you mean Europe/Berlin?",
        ),
    ];
    for (key, value, message) in &refused {
        let fields = with(&valid, key, *value);
        let (status, html, _) = post(&root, "/admin/campaigns", &fields).await;
        assert_eq!(status, 422, "{key}={value:?}");
        let text = unescape(&html);
        assert!(
            text.contains(message),
            "{message:?} missing for {key}={value:?}: {text}"
        );
        assert!(text.contains("The campaign was not added"));
        assert!(html.contains("class=\"field-error\""));
        assert!(html.contains("aria-invalid=\"true\""));
        // Everything typed comes back.
        let typed = |k: &str| fields.iter().find(|(f, _)| *f == k).unwrap().1.clone();
        assert!(text.contains(&format!("name=\"name\" value=\"{}\"", typed("name"))));
        assert!(
            text.contains(&format!(">{}</textarea>", typed("numbers"))),
            "{key}"
        );
        assert!(text.contains(&format!(">{}</textarea>", typed("help_text"))));
        assert!(text.contains(&format!(
            "name=\"send_rate\" value=\"{}\"",
            typed("send_rate")
        )));
        assert!(text.contains(&format!(
            "name=\"hours_start\" value=\"{}\"",
            typed("hours_start")
        )));
        assert!(text.contains(&format!(
            "name=\"hours_end\" value=\"{}\"",
            typed("hours_end")
        )));
        assert!(text.contains(&format!(
            "name=\"time_zone\" value=\"{}\"",
            typed("time_zone")
        )));
        assert!(text.contains("name=\"limit_hours\" value=\"on\" checked"));
        assert_eq!(
            campaigns(&server).await,
            before,
            "{key}={value:?} stored nothing"
        );
    }

    // Several problems at once: each is told next to its field.
    let mut many = with(&valid, "send_rate", Some("0"));
    many = with(&many, "time_zone", Some("Nowhere"));
    many = with(&many, "name", Some("<b>Sales</b>"));
    let (status, html, _) = post(&root, "/admin/campaigns", &many).await;
    assert_eq!(status, 422);
    assert!(html.contains("campaign-new-rate-error") && html.contains("campaign-new-zone-error"));
    assert!(!html.contains("<b>Sales</b>"), "typed markup is escaped");

    // An edit is refused the same way and leaves the stored campaign as it was.
    let path = format!("/admin/campaigns/{}", before[0].id);
    let (_, _, _) = post(&root, "/admin/campaigns", &valid).await;
    let before = campaigns(&server).await;
    assert_eq!(before.len(), 2);
    let edit = with(&sales, "numbers", Some("+14155550100\n+14155550101"));
    let edit = with(&edit, "send_rate", Some("2000"));
    let (status, html, _) = post(&root, &path, &edit).await;
    assert_eq!(status, 422);
    let text = unescape(&html);
    assert!(text.contains("Edit campaign Sales"));
    assert!(text.contains("The campaign was not saved"));
    assert!(text.contains("+14155550101 belongs to the campaign \"Service\""));
    assert!(text.contains("above 0 and at most 1000"));
    assert!(text.contains(">+14155550100\n+14155550101</textarea>"));
    assert!(text.contains("name=\"send_rate\" value=\"2000\""));
    let renamed = with(&sales, "name", Some(" service "));
    let (status, html, _) = post(&root, &path, &renamed).await;
    assert_eq!(status, 422);
    assert!(unescape(&html).contains("There is already a campaign called \"Service\"."));
    assert_eq!(
        campaigns(&server).await,
        before,
        "refused edits stored nothing"
    );
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

#[tokio::test]
async fn a_predictive_campaign_saves_its_message_schedule_hours_days_pace_and_reply_campaign() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let root = admin(&server).await;
    assert_eq!(
        post(
            &root,
            "/admin/campaigns",
            &campaign_form("Replies", q, "+14155550100")
        )
        .await
        .0,
        303
    );
    let replies = campaigns(&server).await[0].id;
    let spring = with(
        &campaign_form("Spring", q, "+14155550101\n+14155550102"),
        "kind",
        Some("predictive"),
    );
    let spring = with(&spring, "time_zone", Some("Europe/Berlin"));
    let fields: Vec<(&'static str, &str)> = vec![
        ("p_message", "Hi {first_name}, spring deals at {campaign}!"),
        // The form's own format, and the one of the old datetime-local inputs.
        ("p_starts_at", "2026-12-01 09:00"),
        ("p_ends_at", "2026-12-24T18:00"),
        ("p_hours_start", "10:00"),
        ("p_hours_end", "19:30"),
        ("p_days", "fri, mon"),
        ("p_per_minute", "1.5"),
        ("p_pace_unit", "second"),
        ("p_include_unknown", "on"),
    ];
    let mut form = spring.clone();
    for (k, v) in fields {
        form = with(&form, k, Some(v));
    }
    let replies_value = replies.to_string();
    form = with(&form, "p_replies_to", Some(&replies_value));
    let (status, body, _) = post(&root, "/admin/campaigns", &form).await;
    assert_eq!(status, 303, "{body}");
    let saved = campaigns(&server)
        .await
        .into_iter()
        .find(|c| c.name == "Spring")
        .unwrap();
    let p = saved.predictive.clone().expect("predictive settings");
    assert_eq!(p.message, "Hi {first_name}, spring deals at {campaign}!");
    // 09:00 in Berlin in December is 08:00 UTC.
    assert_eq!(
        p.starts_at.unwrap().to_rfc3339(),
        "2026-12-01T08:00:00+00:00"
    );
    assert_eq!(p.hours, SendingHours::parse("10:00", "19:30").unwrap());
    assert_eq!(p.days, vec![chrono::Weekday::Mon, chrono::Weekday::Fri]);
    assert_eq!(p.per_minute, 90.0);
    assert_eq!(p.replies_to, Some(replies));
    assert!(p.include_unknown_channel);
    let html = root
        .get(&format!("/admin/campaigns/{}", saved.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("value=\"2026-12-01 09:00\""),
        "shown in the campaign's zone"
    );
    assert!(
        html.contains("value=\"2026-12-24 18:00\""),
        "shown with a space"
    );
    assert!(html.contains("value=\"mon, fri\""));

    // A column of its leads becomes a placeholder it may use.
    let id = saved.id;
    server
        .state
        .store
        .write(move |txn| {
            let lead = parley::domain::Lead {
                id: parley::domain::LeadId(0),
                campaign: id,
                phone: parley::domain::E164::parse("+14155550150").unwrap(),
                contact: parley::domain::ContactId(0),
                first_name: "Ana".into(),
                last_name: String::new(),
                time_zone: String::new(),
                channel: Default::default(),
                fields: vec![("plan".into(), "gold".into())],
                imported_at: chrono::Utc::now(),
            };
            store::insert_leads(txn, vec![lead], chrono::Utc::now()).map(|_| ())
        })
        .await
        .unwrap();
    let path = format!("/admin/campaigns/{id}");
    let with_plan = with(&form, "p_message", Some("Your {plan} plan"));
    assert_eq!(post(&root, &path, &with_plan).await.0, 303);

    // Every refusal says why and keeps what was typed.
    let refused: Vec<(&'static str, &str, &str)> = vec![
        (
            "p_message",
            "Hi {firstname}",
            "{firstname} is not a lead field",
        ),
        (
            "p_ends_at",
            "2026-11-30T09:00",
            "The end must come after the start.",
        ),
        ("p_starts_at", "tomorrow", "is not a date and time"),
        (
            "p_starts_at",
            "12/01/2026 9:00 AM",
            "is not a date and time (YYYY-MM-DD HH:MM, 24-hour)",
        ),
        ("p_hours_start", "9:30 PM", "(HH:MM, 24-hour)"),
        (
            "p_hours_end",
            "10:00",
            "the start and end of the sending hours are the same",
        ),
        ("p_days", "mon, funday", "“funday” is not a day of the week"),
        ("p_per_minute", "121", "at most 120"),
        ("p_per_minute", "0", "above 0"),
        ("p_pace_unit", "hour", "per second or per minute"),
        ("p_per_minute", "2.5", "at most 120 a minute (2 a second)"),
        // "SELF": the predictive campaign itself, which is not an inbound campaign.
        (
            "p_replies_to",
            "SELF",
            "Choose one of the inbound campaigns listed.",
        ),
    ];
    for (key, value, says) in refused {
        let value = if value == "SELF" {
            id.to_string()
        } else {
            value.to_owned()
        };
        let (status, body, _) = post(&root, &path, &with(&with_plan, key, Some(&value))).await;
        assert_eq!(status, 422, "{key}={value}");
        let text = unescape(&body);
        assert!(text.contains(says), "{key}={value}: {says}");
    }
    let after = campaign(&server, id).await;
    assert_eq!(
        after.predictive.unwrap().message,
        "Your {plan} plan",
        "nothing stored"
    );
}

#[tokio::test]
async fn times_are_24_hour_text_fields_and_each_kind_shows_its_own_fields() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let root = admin(&server).await;
    let html = root.get("/admin/campaigns").await.text().await.unwrap();
    assert!(!html.contains("type=\"time\"") && !html.contains("datetime-local"));
    let input = |name: &str| {
        let at = html
            .find(&format!("name=\"{name}\""))
            .unwrap_or_else(|| panic!("no {name}"));
        html[at..at + html[at..].find('>').unwrap()].to_owned()
    };
    for name in ["hours_start", "hours_end", "p_hours_start", "p_hours_end"] {
        let i = input(name);
        for want in [
            "inputmode=\"numeric\"",
            "placeholder=\"HH:MM\"",
            "pattern=\"",
        ] {
            assert!(i.contains(want), "{name} lacks {want}: {i}");
        }
    }
    for name in ["p_starts_at", "p_ends_at"] {
        assert!(input(name).contains("placeholder=\"YYYY-MM-DD HH:MM\""));
    }
    assert!(html.contains("24-hour, HH:MM"));
    // Which hours are which, and which kind each part is for (the script hides the others).
    for want in [
        "Agents' sending hours",
        "When agents may start a conversation",
        "Leads' allowed hours",
        "When this campaign may message its leads by itself",
        "<fieldset data-kinds=\"outbound\"",
        "data-kinds=\"outbound predictive\"",
        "data-kinds=\"predictive\"",
        "<script src=\"/static/campaign_form.js\"></script>",
    ] {
        assert!(html.contains(want), "lacks {want}");
    }
    let script = root.get("/static/campaign_form.js").await;
    assert_eq!(script.status(), 200);
    assert!(script.text().await.unwrap().contains("data-kinds"));

    // A 12-hour time is refused next to its field, as typed.
    let outbound = with(
        &campaign_form("Renewals", q, "+14155550102"),
        "kind",
        Some("outbound"),
    );
    let twelve = with(&outbound, "hours_start", Some("9:30 PM"));
    let (status, body, _) = post(&root, "/admin/campaigns", &twelve).await;
    assert_eq!(status, 422);
    assert!(
        unescape(&body).contains(
            "id=\"campaign-new-hours-error\" data-kinds=\"outbound\">“9:30 PM” is not a time of \
             day (HH:MM, 24-hour)."
        ),
        "{body}"
    );
    assert!(body.contains("value=\"9:30 PM\""));
    // One digit for the hour is read, and shown back with two.
    let early = with(&outbound, "hours_start", Some("9:05"));
    assert_eq!(post(&root, "/admin/campaigns", &early).await.0, 303);
    let saved = campaigns(&server).await.pop().unwrap();
    assert_eq!(
        saved.quiet_hours,
        Some(SendingHours::parse("09:05", "21:00").unwrap())
    );
    let html = root
        .get(&format!("/admin/campaigns/{}", saved.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("name=\"hours_start\" value=\"09:05\""),
        "{html}"
    );
    server.stop().await;
}
