//! Compliance over HTTP: keywords change consent (with a ledger entry and one confirmation),
//! every send path refuses an opted-out number, carrier codes opt a number out.

use parley::domain::{ConsentEntry, E164};
use parley::sms::SendError;
use serde_json::json;

use crate::common::*;

const CUSTOMER: &str = "+14155550142";
const OTHER: &str = "+14155550199";

async fn ledger(server: &TestServer, phone: &str) -> Vec<ConsentEntry> {
    let phone = E164::parse(phone).unwrap();
    server
        .state
        .store
        .read(move |txn| parley::store::consent_ledger(txn, &phone))
        .await
        .unwrap()
}

#[tokio::test]
async fn stop_opts_out_once_and_a_later_yes_opts_back_in() {
    let (server, fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], None).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;

    // A keyword outside a conversation is answered, not routed: the next offer is OTHER's.
    assert_eq!(
        server
            .twilio_sms("SM1", CUSTOMER, "  Stop \n")
            .await
            .status(),
        200
    );
    server.twilio_sms("SM2", OTHER, "hello there").await;
    let offered = events.next_named("offer").await;
    assert_eq!(offered["workitem"]["customer"], OTHER);
    let sent = fake.wait_calls(1).await;
    assert_eq!(sent[0].to, CUSTOMER);
    assert!(
        sent[0].body.contains("no more messages"),
        "{}",
        sent[0].body
    );
    let entries = ledger(&server, CUSTOMER).await;
    assert_eq!(entries.len(), 1);
    assert!(entries[0].opted_out);
    assert_eq!(entries[0].source.kind(), "keyword");
    assert_eq!(entries[0].source.detail(), "STOP");

    // A second STOP changes nothing and is not confirmed again; HELP is still answered.
    server.twilio_sms("SM3", CUSTOMER, "stopall").await;
    server.twilio_sms("SM4", CUSTOMER, "HELP").await;
    server.advance(1); // the number sends one message per second
    let sent = fake.wait_calls(2).await;
    assert!(sent[1].body.contains("reply STOP"), "{}", sent[1].body);
    assert_eq!(sent.len(), 2, "one confirmation only: {sent:?}");
    assert_eq!(ledger(&server, CUSTOMER).await.len(), 1);

    // YES after an opt-out opts back in, confirmed once.
    server.twilio_sms("SM5", CUSTOMER, "Yes!").await;
    server.advance(1);
    let sent = fake.wait_calls(3).await;
    assert!(sent[2].body.contains("again"), "{}", sent[2].body);
    let entries = ledger(&server, CUSTOMER).await;
    assert_eq!(entries.len(), 2);
    assert!(!entries[1].opted_out);

    // Now "yes" is an ordinary message: it starts a conversation offered to the agent.
    server.twilio_sms("SM6", CUSTOMER, "yes").await;
    let offered = events.next_named("offer").await;
    assert_eq!(offered["workitem"]["customer"], CUSTOMER);
    assert_eq!(offered["workitem"]["preview"], "yes");
    assert_eq!(ledger(&server, CUSTOMER).await.len(), 2);

    // Every keyword is kept in the customer's conversations.
    let phone = E164::parse(CUSTOMER).unwrap();
    let bodies: Vec<String> = server
        .state
        .store
        .read(move |txn| {
            let mut out = Vec::new();
            for (_, m) in parley::store::messages_with(txn, &phone)? {
                out.push(m.body);
            }
            Ok(out)
        })
        .await
        .unwrap();
    for word in ["  Stop \n", "stopall", "HELP", "Yes!", "yes"] {
        assert!(bodies.iter().any(|b| b == word), "{word:?} in {bodies:?}");
    }
}

#[tokio::test]
async fn words_that_only_contain_a_keyword_are_ordinary_messages() {
    let (server, _fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], Some(10)).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;
    for (i, body) in ["please stop", "STOPPED", "stop it now", "helpful"]
        .iter()
        .enumerate()
    {
        let from = format!("+1415555030{i}");
        server.twilio_sms(&format!("SMw{i}"), &from, body).await;
        let offered = events.next_named("offer").await;
        assert_eq!(offered["workitem"]["preview"], *body);
        assert!(ledger(&server, &from).await.is_empty(), "{body}");
    }
}

#[tokio::test]
async fn an_opted_out_customer_gets_nothing_from_any_send_path() {
    // The first send fails for a while, so one reply is still queued when STOP arrives.
    let (server, fake) =
        TestServer::start_faked(vec![SendError::Transient("carrier busy".into())]).await;
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], None).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;
    server.twilio_sms("SM1", CUSTOMER, "hi, a question").await;
    let id = alice.accept_next(&mut events).await;
    let queued = alice
        .post_ok(
            &format!("/api/workitems/{id}/messages"),
            json!({"body": "one moment please"}),
        )
        .await;
    let queued_id = queued["message"]["id"].as_u64().unwrap();
    fake.wait_calls(1).await; // failed, retried after 1 s on the manual clock

    // STOP inside the conversation: the agent sees it and learns of the opt-out.
    server.twilio_sms("SM2", CUSTOMER, "STOP").await;
    let consent = events.next_named("consent").await;
    assert_eq!(
        (&consent["phone"], &consent["opted_out"]),
        (&json!(CUSTOMER), &json!(true))
    );

    // The agent's reply is refused, also when crafted by hand.
    let res = alice
        .post(
            &format!("/api/workitems/{id}/messages"),
            json!({"body": "but wait"}),
        )
        .await;
    assert_eq!(res.status(), 409);
    let text = res.text().await.unwrap();
    assert!(text.contains("opted out"), "{text}");

    // The reply queued before the opt-out is not sent when its retry comes.
    server.advance(2);
    let status = loop {
        let s = events.next_named("message_status").await;
        if s["message"] == queued_id && s["status"] == "failed" {
            break s;
        }
    };
    assert!(
        status["error"].as_str().unwrap().contains("opted out"),
        "{status}"
    );
    // Only the keyword's confirmation went out after the failed first attempt.
    server.advance(1);
    let sent = fake.wait_calls(2).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0].body, "one moment please");
    assert!(
        sent[1].body.contains("no more messages"),
        "{}",
        sent[1].body
    );
}

#[tokio::test]
async fn carrier_codes_for_opted_out_or_unreachable_numbers_update_the_ledger() {
    let (server, fake) = TestServer::start_faked(vec![SendError::Permanent {
        code: "21610".into(),
        message: "Attempt to send to unsubscribed recipient".into(),
    }])
    .await;
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], Some(5)).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;

    // 21610 on send: the message fails and the number is opted out by the carrier.
    server.twilio_sms("SM1", CUSTOMER, "hello").await;
    let id = alice.accept_next(&mut events).await;
    alice
        .post_ok(
            &format!("/api/workitems/{id}/messages"),
            json!({"body": "hi!"}),
        )
        .await;
    let failed = events.next_named("message_status").await;
    assert_eq!(failed["status"], "failed");
    // Every open workspace learns it at once.
    let consent = events.next_named("consent").await;
    assert_eq!(consent["phone"], CUSTOMER);
    assert_eq!(consent["source"], "carrier");
    assert!(
        consent["warning"]
            .as_str()
            .unwrap()
            .contains("(carrier error 21610)"),
        "{consent}"
    );
    let entries = ledger(&server, CUSTOMER).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].source.kind(), "carrier");
    assert_eq!(entries[0].source.detail(), "21610");
    let res = alice
        .post(
            &format!("/api/workitems/{id}/messages"),
            json!({"body": "again"}),
        )
        .await;
    assert_eq!(res.status(), 409);

    // 30006 in a delivery report does the same for another number.
    server.twilio_sms("SM2", OTHER, "hello too").await;
    let other = alice.accept_next(&mut events).await;
    alice
        .post_ok(
            &format!("/api/workitems/{other}/messages"),
            json!({"body": "hello!"}),
        )
        .await;
    server.advance(1);
    let sent = fake.wait_calls(2).await;
    let sid = format!("SMfake{}", sent.len());
    let res = server
        .signed_post(
            "/webhooks/twilio/status",
            &[
                ("MessageSid".to_owned(), sid),
                ("MessageStatus".to_owned(), "undelivered".to_owned()),
                ("ErrorCode".to_owned(), "30006".to_owned()),
            ],
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let consent = events.next_named("consent").await;
    assert_eq!(
        (&consent["phone"], &consent["detail"]),
        (&json!(OTHER), &json!("30006"))
    );
    let entries = ledger(&server, OTHER).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].source.detail(), "30006");
    // Codes that say nothing about consent change nothing.
    assert_eq!(ledger(&server, "+14155550100").await.len(), 0);
}

#[tokio::test]
async fn the_contact_tab_shows_the_ledger_records_an_agents_change_and_exports_csv() {
    let (server, _fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    server.add_agent("alice", &[queue], None).await;
    server.add_user("boss", parley::domain::Role::Admin).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;
    server.twilio_sms("SM1", CUSTOMER, "hello").await;
    let id = alice.accept_next(&mut events).await;
    server.twilio_sms("SM2", CUSTOMER, "stop").await;
    events.next_named("consent").await;

    let tab = alice
        .get(&format!("/workspace/workitems/{id}/tabs/contact"))
        .await
        .text()
        .await
        .unwrap();
    assert!(tab.contains("id=\"consent-warning\""), "{tab}");
    assert!(tab.contains("keyword STOP"), "{tab}");
    let detail: serde_json::Value = alice
        .get(&format!("/api/workitems/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["consent"]["opted_out"], true);

    // The customer agrees again on the phone: the agent records it.
    let res = alice
        .tab_post(
            &format!("/workspace/workitems/{id}/consent"),
            &[("change", "opt_in")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let tab = res.text().await.unwrap();
    assert!(
        tab.contains("Opted in: messages to this customer are allowed again."),
        "{tab}"
    );
    assert!(tab.contains("agent alice"), "{tab}");
    assert!(!tab.contains("id=\"consent-warning\""));
    let res = alice
        .tab_post(
            &format!("/workspace/workitems/{id}/consent"),
            &[("change", "maybe")],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(ledger(&server, CUSTOMER).await.len(), 2);

    // CSV: one number for an agent, every number only for supervisors and admins.
    let res = alice
        .get(&format!(
            "/consent.csv?phone={}",
            CUSTOMER.replace('+', "%2B")
        ))
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "phone,at,change,source,campaign");
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].starts_with("+14155550142,") && lines[1].contains("opted out,keyword STOP"));
    assert!(lines[2].contains("opted in,agent alice"), "{csv}");
    assert_eq!(alice.get("/consent.csv").await.status(), 403);
    let boss = server.login("boss").await;
    let all = boss.get("/consent.csv").await.text().await.unwrap();
    assert_eq!(all.lines().count(), 3, "{all}");
}

#[tokio::test]
async fn a_fresh_server_answers_consent_questions_before_any_message() {
    let server = TestServer::start().await;
    server.add_user("boss", parley::domain::Role::Admin).await;
    let boss = server.login("boss").await;
    let csv = boss.get("/consent.csv").await;
    assert_eq!(csv.status(), 200);
    assert_eq!(
        csv.text().await.unwrap(),
        "phone,at,change,source,campaign\r\n"
    );
    let consent: serde_json::Value = boss
        .get("/api/consent?phone=%2B14155550142")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(consent["opted_out"], false);
}
