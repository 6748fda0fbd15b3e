//! Live consent over HTTP: a change of a number's consent (a keyword on any of our numbers, or
//! an agent on the Contact tab) reaches every open workspace stream at once, of every agent and
//! each of their tabs, as one `consent` event carrying the one warning sentence that the
//! consent look-up, a refused reply and a refused outbound SMS also use.

use serde_json::{Value, json};

use crate::common::*;

const CUSTOMER: &str = "+14155550123";

/// The next `consent` event on each stream (skipping anything else).
async fn consent_on_all(streams: &mut [&mut Events]) -> Vec<Value> {
    let mut seen = Vec::new();
    for s in streams.iter_mut() {
        seen.push(s.next_named("consent").await);
    }
    seen
}

async fn error_of(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn a_stop_on_another_number_reaches_every_agent_and_tab_with_one_sentence() {
    let (server, _fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    server.simulator_number(queue).await;
    let follow_ups = server.follow_ups_number(queue).await;
    server.add_agent("alice", &[queue], None).await;
    server.add_agent("bob", &[queue], None).await;
    let alice = server.login("alice").await;
    let alice_window = server.login("alice").await;
    let bob = server.login("bob").await;
    let mut alice_tab = alice.events().await;
    let mut alice_other_tab = alice_window.events().await;
    let mut bob_tab = bob.events().await;

    // Alice texts the customer from the outbound campaign: her active workitem.
    let started = alice
        .post_ok(
            "/api/outbound",
            json!({"to": CUSTOMER, "body": "Your order shipped", "campaign": follow_ups.0}),
        )
        .await;
    let id = started["workitem"]["id"].as_u64().unwrap();

    // The customer's STOP comes to the Support line, not into her conversation.
    let res = server
        .twilio_sms_to("SMstop", CUSTOMER, OUR_NUMBER, "STOP")
        .await;
    assert_eq!(res.status(), 200);
    let events = consent_on_all(&mut [&mut alice_tab, &mut alice_other_tab, &mut bob_tab]).await;
    let warning = events[0]["warning"].as_str().unwrap().to_owned();
    for e in &events {
        assert_eq!(e["phone"], CUSTOMER, "{e}");
        assert_eq!(e["opted_out"], true, "{e}");
        assert_eq!(e["warning"], warning.as_str(), "{e}");
    }
    assert!(
        warning.starts_with("This customer opted out of messages on ")
            && warning.contains("(texted STOP)")
            && warning.ends_with("until they text START."),
        "{warning}"
    );

    // The same sentence in the look-up, the workitem, a refused reply and a refused SMS.
    let lookup: Value = alice
        .get("/api/consent?phone=%2B14155550123")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(lookup["warning"], warning.as_str());
    let detail: Value = alice
        .get(&format!("/api/workitems/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["consent"]["warning"], warning.as_str());
    let reply = alice
        .post(
            &format!("/api/workitems/{id}/messages"),
            json!({"body": "Anything else?"}),
        )
        .await;
    assert_eq!(error_of(reply).await, (409, warning.clone()));
    let outbound = bob
        .post(
            "/api/outbound",
            json!({"to": CUSTOMER, "body": "Hello", "campaign": follow_ups.0}),
        )
        .await;
    assert_eq!(error_of(outbound).await, (409, warning.clone()));

    // START, again on the Support line, clears it everywhere.
    server
        .twilio_sms_to("SMstart", CUSTOMER, OUR_NUMBER, "START")
        .await;
    for e in consent_on_all(&mut [&mut alice_tab, &mut alice_other_tab, &mut bob_tab]).await {
        assert_eq!(e["phone"], CUSTOMER, "{e}");
        assert_eq!(e["opted_out"], false, "{e}");
        assert_eq!(e.get("warning"), None, "{e}");
    }
    alice
        .post_ok(
            &format!("/api/workitems/{id}/messages"),
            json!({"body": "Welcome back"}),
        )
        .await;

    // An agent recording an opt-out on the Contact tab tells everyone too.
    let res = alice
        .tab_post(
            &format!("/workspace/workitems/{id}/consent"),
            &[("change", "opt_out")],
        )
        .await;
    assert_eq!(res.status(), 200);
    for e in consent_on_all(&mut [&mut alice_tab, &mut alice_other_tab, &mut bob_tab]).await {
        assert_eq!(e["opted_out"], true, "{e}");
        assert_eq!(e["source"], "agent", "{e}");
        assert!(
            e["warning"].as_str().unwrap().contains("(asked an agent)"),
            "{e}"
        );
    }
    server.stop().await;
}
