//! Outbound SMS over HTTP: an agent starts a conversation on an outbound campaign; it is their
//! active workitem until they terminate it, replies come to them meanwhile and through the ACD
//! afterwards; every refusal is clear (permission, campaign, consent, quiet hours, busy).

use std::collections::BTreeSet;

use chrono::{Duration, Timelike};
use parley::domain::{
    AgentSettings, Campaign, CampaignId, CampaignKind, E164, Permission, QueueId, SendingHours,
    UserId,
};
use parley::store;
use serde_json::json;

use crate::common::*;

const OUT_NUMBER: &str = "+14155550177";
const CUSTOMER: &str = "+14155550142";

/// An outbound campaign on `OUT_NUMBER` serving `queue`, sending at any hour unless `tweak`
/// says otherwise.
async fn outbound_campaign(
    server: &TestServer,
    queue: QueueId,
    tweak: impl FnOnce(&mut Campaign) + Send + 'static,
) -> CampaignId {
    server
        .campaign("Renewals", CampaignKind::Outbound, queue, OUT_NUMBER, |c| {
            c.quiet_hours = None;
            tweak(c);
        })
        .await
}

async fn restrict(server: &TestServer, agent: UserId, queue: QueueId, perms: &[Permission]) {
    let perms: BTreeSet<Permission> = perms.iter().copied().collect();
    server
        .state
        .store
        .write(move |txn| {
            let class = store::put_class(txn, None, "no outbound", perms)?;
            let settings = AgentSettings {
                queues: vec![queue],
                capacity: None,
                class_of_service: Some(class.id),
            };
            store::put_agent_settings(txn, agent, &settings)
        })
        .await
        .unwrap();
}

async fn send(
    alice: &Client,
    campaign: Option<CampaignId>,
    to: &str,
    body: &str,
) -> reqwest::Response {
    alice
        .post(
            "/api/outbound",
            json!({"to": to, "body": body, "campaign": campaign.map(|c| c.0)}),
        )
        .await
}

#[tokio::test]
async fn an_outbound_sms_is_the_agents_until_terminated_then_replies_route_again() {
    let (server, fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    let campaign = outbound_campaign(&server, queue, |_| {}).await;
    server.add_agent("alice", &[queue], None).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;

    // Offline is fine: an agent may text a customer without taking offers.
    let res = send(
        &alice,
        Some(campaign),
        "(415) 555-0142",
        "Your renewal is due",
    )
    .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let started: serde_json::Value = res.json().await.unwrap();
    let id = started["workitem"]["id"].as_u64().unwrap();
    assert_eq!(started["workitem"]["state"], "active");
    assert_eq!(started["workitem"]["customer"], CUSTOMER);
    assert_eq!(started["message"]["status"], "queued");
    let assigned = events.next_named("assigned").await;
    assert_eq!(assigned["workitem"]["id"], id);
    let sent = fake.wait_calls(1).await;
    assert_eq!(sent[0].from, OUT_NUMBER);
    assert_eq!(sent[0].to, CUSTOMER);
    assert_eq!(sent[0].body, "Your renewal is due");

    // The customer's answer goes to alice's workitem, not through the ACD.
    server
        .twilio_sms_to("SMr1", CUSTOMER, OUT_NUMBER, "Thanks, how much?")
        .await;
    let msg = events.next_named("message").await;
    assert_eq!(msg["message"]["workitem"], id);
    assert_eq!(msg["message"]["body"], "Thanks, how much?");
    let detail: serde_json::Value = alice
        .get(&format!("/api/workitems/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["messages"].as_array().unwrap().len(), 2);

    // A second outbound SMS to the same customer joins the open conversation.
    let again: serde_json::Value = send(&alice, Some(campaign), CUSTOMER, "It is 20 EUR")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["workitem"]["id"], id);
    assert_eq!(again["new_workitem"], false);

    // Terminated: the next text is a new conversation offered through the ACD.
    alice
        .post_ok(&format!("/api/workitems/{id}/terminate"), json!({}))
        .await;
    alice.available().await;
    server
        .twilio_sms_to("SMr2", CUSTOMER, OUT_NUMBER, "One more question")
        .await;
    let offered = events.next_named("offer").await;
    assert_ne!(offered["workitem"]["id"], id);
    assert_eq!(offered["workitem"]["preview"], "One more question");
}

#[tokio::test]
async fn refusals_are_clear_and_store_nothing() {
    let (server, _fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    let campaign = outbound_campaign(&server, queue, |_| {}).await;
    let other_queue = server
        .state
        .store
        .write(|txn| store::insert_queue(txn, "Elsewhere", 0, 20))
        .await
        .unwrap()
        .id;
    let elsewhere = server
        .campaign(
            "Elsewhere",
            CampaignKind::Outbound,
            other_queue,
            "+14155550178",
            |_| {},
        )
        .await;
    let alice_user = server.add_agent("alice", &[queue], None).await;
    let alice = server.login("alice").await;

    let cases: Vec<(Option<CampaignId>, &str, &str, u16, &str)> = vec![
        (Some(campaign), "not a number", "hi", 422, "To:"),
        (Some(campaign), CUSTOMER, "   ", 422, "empty"),
        (None, CUSTOMER, "hi", 422, "campaign"),
        (Some(CampaignId(999)), CUSTOMER, "hi", 422, "No such"),
        (Some(elsewhere), CUSTOMER, "hi", 403, "Elsewhere"),
    ];
    for (c, to, body, status, says) in cases {
        let res = send(&alice, c, to, body).await;
        assert_eq!(res.status(), status, "{to} {body} {c:?}");
        let text = res.text().await.unwrap();
        assert!(text.contains(says), "{text} should say {says}");
    }
    let long = "x".repeat(1601);
    assert_eq!(
        send(&alice, Some(campaign), CUSTOMER, &long).await.status(),
        422
    );

    // An opted-out customer: refused with the reason, also when looked up first.
    server.twilio_sms("SMstop", CUSTOMER, "STOP").await;
    let consent = wait_opted_out(&alice, CUSTOMER).await;
    assert!(consent["warning"].as_str().unwrap().contains("opted out"));
    let res = send(&alice, Some(campaign), CUSTOMER, "hi").await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("opted out"));

    // A customer whose conversation on that number waits in the queue.
    server
        .twilio_sms_to("SMq", "+14155550143", OUT_NUMBER, "hello?")
        .await;
    let res = send(&alice, Some(campaign), "+14155550143", "hi").await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("queue"));

    // Without outbound.send: 403 naming the permission.
    restrict(&server, alice_user.id, queue, &[Permission::NotesRead]).await;
    let res = send(&alice, Some(campaign), "+14155550144", "hi").await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("outbound.send"));

    // Nothing was stored for any refusal: the only workitems are the two texts received.
    let open = server
        .state
        .store
        .read(store::open_workitems)
        .await
        .unwrap();
    assert!(open.iter().all(|w| !w.outbound), "{open:?}");
}

async fn wait_opted_out(alice: &Client, phone: &str) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let path = format!("/api/consent?phone={}", phone.replace('+', "%2B"));
    loop {
        let c: serde_json::Value = alice.get(&path).await.json().await.unwrap();
        if c["opted_out"] == true {
            return c;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never opted out: {c}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn quiet_hours_are_read_in_the_customers_zone() {
    let (server, _fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    let now = server.clock.now();
    // A window that opens two hours from now (UTC) and lasts an hour.
    let start = (now + Duration::hours(2)).time().with_second(0).unwrap();
    let end = (now + Duration::hours(3)).time().with_second(0).unwrap();
    let campaign = outbound_campaign(&server, queue, move |c| {
        c.quiet_hours = Some(SendingHours { start, end });
    })
    .await;
    server.add_agent("alice", &[queue], None).await;
    let alice = server.login("alice").await;

    let res = send(&alice, Some(campaign), CUSTOMER, "hi").await;
    assert_eq!(res.status(), 409);
    let text = res.text().await.unwrap();
    assert!(text.contains("sending hours"), "{text}");
    assert!(text.contains(&start.format("%H:%M").to_string()), "{text}");

    // The same instant is inside the window for a customer two hours ahead.
    let phone = E164::parse("+14155550145").unwrap();
    server
        .state
        .store
        .write(move |txn| {
            let update = parley::domain::ContactUpdate {
                mobile: phone,
                first_name: "Ana".into(),
                last_name: String::new(),
                street: String::new(),
                city: String::new(),
                region: String::new(),
                postal_code: String::new(),
                country: String::new(),
                email: String::new(),
                time_zone: "Etc/GMT-2".into(), // UTC+2
                latitude: None,
                longitude: None,
                date_of_birth: None,
                customer_id: String::new(),
                case_numbers: vec![],
                other_phones: vec![],
                channel_preference: Default::default(),
                custom_fields: vec![],
            };
            store::create_contact(txn, update, chrono::Utc::now())?.expect("contact");
            Ok(())
        })
        .await
        .unwrap();
    let res = send(&alice, Some(campaign), "+14155550145", "hi").await;
    assert_eq!(res.status(), 201);
    let started: serde_json::Value = res.json().await.unwrap();
    let id = started["workitem"]["id"].as_u64().unwrap();

    // Ninety minutes later the window has closed: a follow-up the customer did not answer
    // waits for the hours like the first message did...
    server.advance(90 * 60);
    let reply = |body: &'static str| {
        let alice = &alice;
        async move {
            alice
                .post(
                    &format!("/api/workitems/{id}/messages"),
                    json!({ "body": body }),
                )
                .await
        }
    };
    let res = reply("did you see my message?").await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("sending hours"));
    // ...but once the customer writes back, the agent may answer at any hour.
    server
        .twilio_sms_to("SMans", "+14155550145", OUT_NUMBER, "yes, tell me more")
        .await;
    // (the webhook's 200 means the answer is stored)
    let res = reply("here are the details").await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn the_dialogs_choices_default_campaign_templates_and_contacts() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let campaign = outbound_campaign(&server, queue, |_| {}).await;
    server.add_agent("alice", &[queue], None).await;
    let alice = server.login("alice").await;

    let options: serde_json::Value = alice
        .get("/api/outbound/options")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(options["may_send"], true);
    assert_eq!(options["campaigns"][0]["name"], "Renewals");
    assert_eq!(options["default_campaign"], serde_json::Value::Null);

    // The settings page stores the default; a campaign not offered is refused with 422.
    let page = alice.get("/settings").await.text().await.unwrap();
    assert!(page.contains("Renewals"));
    let res = alice
        .http
        .post(format!("{}/settings", server.url))
        .form(&[("_csrf", alice.csrf.as_str()), ("default_campaign", "999")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Choose one of the outbound campaigns")
    );
    let res = alice
        .http
        .post(format!("{}/settings", server.url))
        .form(&[
            ("_csrf", alice.csrf.as_str()),
            ("default_campaign", &campaign.0.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection());
    let options: serde_json::Value = alice
        .get("/api/outbound/options")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(options["default_campaign"], campaign.0);
    let page = alice.get("/settings").await.text().await.unwrap();
    assert!(
        !page.contains("id=\"sound\" name=\"sound\" value=\"on\" checked"),
        "sound now off"
    );
    let me: serde_json::Value = alice.get("/api/me").await.json().await.unwrap();
    assert_eq!(
        (&me["sound"], &me["notify"]),
        (&json!(false), &json!(false))
    );

    // The offer notification is off until ticked; ticked, the workspace learns it.
    let (status, _, _) = alice
        .form_post(
            "/settings",
            &[
                ("default_campaign", &campaign.0.to_string()),
                ("sound", "on"),
                ("notify", "on"),
            ],
            true,
        )
        .await;
    assert_eq!(status, 303);
    let me: serde_json::Value = alice.get("/api/me").await.json().await.unwrap();
    assert_eq!((&me["sound"], &me["notify"]), (&json!(true), &json!(true)));
    let page = alice.get("/settings").await.text().await.unwrap();
    assert!(page.contains("id=\"notify\" name=\"notify\" value=\"on\" checked"));

    // Templates: the campaign's own and the ones for every campaign; all without a campaign.
    server
        .state
        .store
        .write(move |txn| {
            for (name, campaigns) in [
                ("Everywhere", vec![]),
                ("Renewal offer", vec![campaign]),
                ("Other", vec![CampaignId(999)]),
            ] {
                store::put_response_template(
                    txn,
                    None,
                    store::ResponseTemplateFields {
                        name: name.into(),
                        body: format!("{name} for {{first_name}}"),
                        campaigns,
                        audience: Default::default(),
                    },
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let names = |v: serde_json::Value| -> Vec<String> {
        v["templates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let with: serde_json::Value = alice
        .get(&format!("/api/outbound/templates?campaign={}", campaign.0))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(with), ["Everywhere", "Renewal offer"]);
    let all: serde_json::Value = alice
        .get("/api/outbound/templates")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(all), ["Everywhere", "Other", "Renewal offer"]);

    // Contacts as you type.
    server.twilio_sms("SMc", CUSTOMER, "hi").await;
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let found: serde_json::Value = alice
            .get("/api/outbound/contacts?q=0142")
            .await
            .json()
            .await
            .unwrap();
        if found["contacts"][0]["mobile"] == CUSTOMER {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{found}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
