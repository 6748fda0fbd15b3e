//! Outbound SMS in a real browser: the dialog from the user menu (contact look-up, campaign,
//! template search, a refused send that keeps what was typed, then the new workitem open with its
//! message and live delivery status); the SMS button of the Contact tab with and without a default
//! campaign; the opt-out warning in the dialog and in the SMS tab, whose composer locks and unlocks
//! live. Skips like the other browser tests without Chromium (fails instead with
//! `PARLEY_REQUIRE_BROWSER=1`).

use fantoccini::Client as Browser;
use fantoccini::key::Key;
use parley::domain::{CampaignId, CampaignKind, ContactUpdate, E164, QueueId, ResponseTemplateId};
use parley::store;
use serde_json::{Value, json};

use crate::browser::{
    catch_up_clock, click, eval, log_in, log_in_available, open_browser, open_from_menu,
    open_workitem_showing, poll, texts, the_offer, type_into, wait_dialog, wait_for, wait_js,
    wait_text,
};
use crate::common::*;

mod opted_out;

const OUT_NUMBER: &str = "+14155550177";
const OTHER_NUMBER: &str = "+14155550178";
const CUSTOMER: &str = "+14155550142";

/// An outbound campaign called `name` on `number`, serving `queue`, sending at any hour.
async fn outbound_campaign(
    server: &TestServer,
    queue: QueueId,
    name: &'static str,
    number: &'static str,
) -> CampaignId {
    server
        .campaign(name, CampaignKind::Outbound, queue, number, |c| {
            c.quiet_hours = None
        })
        .await
}

async fn template(
    server: &TestServer,
    name: &'static str,
    body: &'static str,
    campaigns: Vec<CampaignId>,
) -> ResponseTemplateId {
    let fields = store::ResponseTemplateFields {
        name: name.into(),
        body: body.into(),
        campaigns,
        audience: Default::default(),
    };
    let saved = server
        .state
        .store
        .write(move |txn| store::put_response_template(txn, None, fields))
        .await
        .unwrap();
    match saved {
        store::SavedResponseTemplate::Saved(t) => t.id,
        other => panic!("template not saved: {other:?}"),
    }
}

async fn contact(server: &TestServer, first: &'static str, last: &'static str, mobile: &str) {
    let update = ContactUpdate {
        mobile: E164::parse(mobile).unwrap(),
        first_name: first.into(),
        last_name: last.into(),
        street: String::new(),
        city: String::new(),
        region: String::new(),
        postal_code: String::new(),
        country: String::new(),
        email: String::new(),
        time_zone: String::new(),
        latitude: None,
        longitude: None,
        date_of_birth: None,
        customer_id: String::new(),
        case_numbers: vec![],
        other_phones: vec![],
        channel_preference: Default::default(),
        custom_fields: vec![],
    };
    server
        .state
        .store
        .write(move |txn| {
            store::create_contact(txn, update, chrono::Utc::now())?.expect("contact");
            Ok(())
        })
        .await
        .unwrap();
}

async fn value(c: &Browser, id: &str) -> Value {
    eval(c, &format!("document.getElementById('{id}').value")).await
}

#[tokio::test]
async fn outbound_sms_from_the_menu_opens_the_new_workitem_with_its_message() {
    let Some((driver, c)) = open_browser().await else {
        return;
    };
    let (server, fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    let renewals = outbound_campaign(&server, queue, "Renewals", OUT_NUMBER).await;
    let winback = outbound_campaign(&server, queue, "Winback", OTHER_NUMBER).await;
    template(
        &server,
        "Renewal offer",
        "Hi {first_name}, your renewal is due.",
        vec![renewals],
    )
    .await;
    template(&server, "Come back", "We miss you", vec![winback]).await;
    template(
        &server,
        "Payment link",
        "Pay here: https://pay.example",
        vec![renewals],
    )
    .await;
    contact(&server, "Grace", "Hopper", CUSTOMER).await;
    let alice = server.add_agent("alice", &[queue], None).await;
    log_in(&c, &server, "alice").await;
    assert_eq!(
        eval(
            &c,
            "document.getElementById('settings-link').getAttribute('href')"
        )
        .await,
        json!("/settings")
    );

    // No default campaign: the dialog asks for one and points to Settings.
    open_from_menu(&c).await;
    assert_eq!(value(&c, "outbound-campaign").await, json!(""));
    wait_text(&c, "#outbound-campaign-hint", "default SMS campaign").await;
    assert_eq!(
        eval(
            &c,
            "document.getElementById('outbound-settings-link').getAttribute('href')"
        )
        .await,
        json!("/settings")
    );
    assert_eq!(
        texts(&c, "#outbound-campaign option").await,
        [
            "Choose a campaign…",
            &format!("Renewals ({OUT_NUMBER})"),
            &format!("Winback ({OTHER_NUMBER})")
        ]
    );

    // To offers contacts as the agent types a name.
    type_into(&c, "#outbound-to", "Grac").await;
    wait_text(&c, "#outbound-matches button", "Grace Hopper").await;
    click(
        &c,
        &format!("#outbound-matches button[data-mobile=\"{CUSTOMER}\"]"),
    )
    .await;
    assert_eq!(value(&c, "outbound-to").await, json!(CUSTOMER));
    assert_eq!(
        eval(&c, "document.getElementById('outbound-matches').hidden").await,
        json!(true)
    );

    // Sent without a campaign: the server's refusal shows in the dialog, nothing typed is lost.
    type_into(&c, "#outbound-body", "Hello there").await;
    click(&c, "#outbound-ok").await;
    wait_text(&c, "#outbound-error", "campaign").await;
    assert_eq!(
        eval(
            &c,
            "document.getElementById('outbound-error').getAttribute('role')"
        )
        .await,
        json!("alert")
    );
    wait_dialog(&c, true).await;
    assert_eq!(value(&c, "outbound-to").await, json!(CUSTOMER));
    assert_eq!(value(&c, "outbound-body").await, json!("Hello there"));

    // The campaign chosen, its templates only; a search finds one by its text, and Enter in
    // the search box puts the first match into the message (it sends nothing).
    wait_for(&c, "#outbound-campaign")
        .await
        .select_by_value(&renewals.0.to_string())
        .await
        .expect("choose Renewals");
    type_into(&c, "#outbound-body", "").await;
    click(&c, "#outbound-template").await;
    wait_text(&c, "#outbound-templates button", "Renewal offer").await;
    assert_eq!(
        texts(&c, "#outbound-templates button").await,
        ["Payment link", "Renewal offer"]
    );
    wait_js(
        &c,
        "the labelled template search to have the focus",
        "const s = document.getElementById('outbound-template-search'); \
         return document.activeElement === s && s.labels[0].textContent === 'Search templates';",
    )
    .await;
    let shown = "#outbound-templates li:not([hidden]) button";
    for (typed, want) in [
        ("pay", vec!["Payment link"]),
        ("zzz", vec![]),
        ("DUE", vec!["Renewal offer"]),
    ] {
        type_into(&c, "#outbound-template-search", typed).await;
        let want2 = want.clone();
        let b = &c;
        poll(&format!("the templates for {typed:?}"), move || {
            let want = want2.clone();
            async move { (texts(b, shown).await == want).then_some(()) }
        })
        .await;
        let none = eval(
            &c,
            "(e => e.hidden ? null : e.textContent)(document.getElementById('outbound-template-none'))",
        )
        .await;
        let expected = want
            .is_empty()
            .then(|| format!("No template matches “{typed}”."));
        assert_eq!(none, json!(expected), "the no-match line for {typed:?}");
    }
    wait_for(&c, "#outbound-template-search")
        .await
        .send_keys(&Key::Enter)
        .await
        .expect("Enter");
    assert_eq!(
        value(&c, "outbound-body").await,
        json!("Hi Grace, your renewal is due.")
    );
    wait_dialog(&c, true).await;
    assert!(fake.sent().is_empty(), "Enter in the search sent the SMS");
    assert_eq!(
        eval(&c, "document.getElementById('outbound-ok').textContent").await,
        json!("Send")
    );
    wait_text(&c, "#outbound-segments", "1 SMS").await;
    crate::browser::snapshot(&c, "outbound-dialog").await;

    // Send: the dialog closes and the new workitem is open, active and alice's.
    click(&c, "#outbound-ok").await;
    wait_dialog(&c, false).await;
    let id = open_workitem_showing(&c, "Hi Grace, your renewal is due.").await;
    wait_text(&c, "#dialog-title", "Grace Hopper").await;
    let w = server
        .state
        .store
        .read(move |txn| store::workitem(txn, parley::domain::WorkitemId(id)))
        .await
        .unwrap()
        .expect("workitem");
    assert_eq!(w.agent, Some(alice.id));
    assert_eq!(w.state, parley::domain::WorkitemState::Active);
    let sent = fake.wait_calls(1).await;
    assert_eq!(
        (sent[0].from.as_str(), sent[0].to.as_str()),
        (OUT_NUMBER, CUSTOMER)
    );

    // Its delivery status follows the provider live.
    wait_text(&c, "#messages li.bubble.out .status", "sent").await;
    let params: Vec<(String, String)> = [
        ("MessageSid", "SMfake1"),
        ("MessageStatus", "delivered"),
        ("AccountSid", "AC123"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let res = server
        .signed_post("/webhooks/twilio/status", &params, None)
        .await;
    assert_eq!(res.status(), 200);
    wait_text(
        &c,
        "#messages li.bubble.out .status.status-delivered",
        "delivered",
    )
    .await;

    crate::browser::assert_page_clean(&c, "the end of browser_outbound").await;

    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}

#[tokio::test]
async fn sms_from_a_contact_uses_the_default_campaign_or_asks_for_one() {
    let Some((driver, c)) = open_browser().await else {
        return;
    };
    let (server, fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    let renewals = outbound_campaign(&server, queue, "Renewals", OUT_NUMBER).await;
    let alice = server.add_agent("alice", &[queue], None).await;

    // A customer writes in; alice takes it and opens the Contact tab.
    log_in_available(&c, &server, &alice).await;
    catch_up_clock(&server);
    server.twilio_sms("SM1", CUSTOMER, "Call me back?").await;
    let inbound = the_offer(&c).await;
    click(&c, &format!("#offer-{inbound} .accept")).await;
    wait_for(&c, &format!("#item-{inbound}.current")).await;
    click(&c, "#tab-contact").await;
    wait_text(&c, "#panel-contact #contact-mobile", CUSTOMER).await;

    // No default yet: To is filled, the campaign must be chosen.
    click(&c, "#contact-sms").await;
    wait_dialog(&c, true).await;
    assert_eq!(value(&c, "outbound-to").await, json!(CUSTOMER));
    assert_eq!(value(&c, "outbound-campaign").await, json!(""));
    wait_text(&c, "#outbound-campaign-hint", "Choose the campaign").await;
    crate::browser::snapshot(&c, "outbound-from-contact").await;
    wait_js(
        &c,
        "the campaign select to have the focus",
        "return document.activeElement.id === 'outbound-campaign';",
    )
    .await;
    click(&c, "#outbound-cancel").await;
    wait_dialog(&c, false).await;

    // The default set on /settings (in another tab)...
    let workspace = c.window().await.expect("window");
    let settings = c.new_window(true).await.expect("new tab").handle;
    c.switch_to_window(settings).await.expect("to settings");
    c.goto(&format!("{}/settings", server.url))
        .await
        .expect("open settings");
    wait_for(&c, "#default-campaign")
        .await
        .select_by_value(&renewals.0.to_string())
        .await
        .expect("choose the default");
    click(&c, "#settings-save").await;
    wait_for(&c, "#settings-notice").await;
    c.close_window().await.expect("close settings");
    c.switch_to_window(workspace).await.expect("to workspace");

    // ...is chosen the next time: the agent only types the message.
    click(&c, "#contact-sms").await;
    wait_dialog(&c, true).await;
    wait_js(
        &c,
        "the default campaign to be chosen",
        &format!(
            "return document.getElementById('outbound-campaign').value === '{}';",
            renewals.0
        ),
    )
    .await;
    assert_eq!(
        eval(
            &c,
            "document.getElementById('outbound-campaign-hint').hidden"
        )
        .await,
        json!(true)
    );
    assert_eq!(value(&c, "outbound-to").await, json!(CUSTOMER));
    wait_js(
        &c,
        "the message box to have the focus",
        "return document.activeElement.id === 'outbound-body';",
    )
    .await;
    type_into(&c, "#outbound-body", "Calling you in 5 minutes").await;
    click(&c, "#outbound-ok").await;
    wait_dialog(&c, false).await;
    let id = open_workitem_showing(&c, "Calling you in 5 minutes").await;
    assert_ne!(id, inbound, "another number is another conversation");
    wait_for(&c, &format!("#item-{inbound}")).await;
    let sent = fake.wait_calls(1).await;
    assert_eq!(sent[0].from, OUT_NUMBER);

    // The contacts page's SMS link opens the same dialog in the workspace, default chosen.
    c.goto(&format!("{}/contacts", server.url))
        .await
        .expect("open contacts");
    click(
        &c,
        &format!("a.sms-link[href$='{}']", CUSTOMER.replace('+', "%2B")),
    )
    .await;
    wait_dialog(&c, true).await;
    assert_eq!(value(&c, "outbound-to").await, json!(CUSTOMER));
    wait_js(
        &c,
        "the default campaign to be chosen",
        &format!(
            "return document.getElementById('outbound-campaign').value === '{}';",
            renewals.0
        ),
    )
    .await;
    assert_eq!(
        eval(&c, "location.search").await,
        json!(""),
        "a reload does not open it again"
    );

    crate::browser::assert_page_clean(&c, "the end of browser_outbound #2").await;

    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
