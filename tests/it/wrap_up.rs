//! Wrap-up codes: admins list them per queue; Terminate takes one (422 naming `wrap_up` when a
//! required one is missing or one is not in the list); the code is stored and shown in the
//! Information, Events and History tabs, and search filters by it.

use std::time::Duration;

use parley::domain::{QueueId, Role};
use serde_json::{Value, json};

use crate::common::*;
use crate::search::until;

async fn stored_queue(server: &TestServer, id: QueueId) -> parley::domain::Queue {
    server
        .state
        .store
        .read(move |txn| parley::store::queue(txn, id))
        .await
        .unwrap()
        .unwrap()
}

/// The queue form's fields with these codes.
fn queue_form(codes: &str, required: bool) -> Vec<(&str, &str)> {
    let mut f = vec![
        ("name", "Support"),
        ("priority", "0"),
        ("offer_timeout_secs", "20"),
        ("sla_secs", "60"),
        ("wrap_up_codes", codes),
    ];
    if required {
        f.push(("wrap_up_required", "1"));
    }
    f
}

#[tokio::test]
async fn admins_list_a_queues_codes_and_bad_lists_are_refused_with_the_reason() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let path = format!("/admin/queues/{queue}");

    let (status, _, location) = admin
        .form_post(
            &path,
            &queue_form(" Resolved \n\nSale\nFollow-up needed\n", true),
            true,
        )
        .await;
    assert_eq!(
        (status, location.starts_with("/admin/queues?notice=")),
        (303, true)
    );
    let q = stored_queue(&server, queue).await;
    assert_eq!(q.wrap_up.codes, ["Resolved", "Sale", "Follow-up needed"]);
    assert!(q.wrap_up.required);
    let page = admin.get("/admin/queues").await.text().await.unwrap();
    assert!(
        page.contains("Resolved\nSale\nFollow-up needed</textarea>"),
        "{page}"
    );
    assert!(page.contains(&format!("id=\"queue-{queue}-required\" checked")));

    // Each refusal says why, keeps what was typed, and stores nothing.
    let long = "x".repeat(41);
    let many: Vec<String> = (1..=51).map(|i| format!("Code {i}")).collect();
    let many = many.join("\n");
    for (codes, says) in [
        ("Sale\nsale", "is listed twice"),
        (long.as_str(), "41 characters; at most 40"),
        (many.as_str(), "at most 50 of them; this list has 51"),
    ] {
        let (status, page, _) = admin
            .form_post(&path, &queue_form(codes, false), true)
            .await;
        assert_eq!(status, 422, "{codes}");
        assert!(
            page.contains("The queue was not saved.") && page.contains(says),
            "{page}"
        );
        assert!(
            page.contains(&format!("id=\"queue-{queue}-codes-error\"")),
            "{page}"
        );
        let q = stored_queue(&server, queue).await;
        assert_eq!(q.wrap_up.codes.len(), 3, "nothing stored for {codes}");
        assert!(q.wrap_up.required);
    }

    // Emptied: no codes, so nothing is required either.
    let (status, _, _) = admin.form_post(&path, &queue_form("", true), true).await;
    assert_eq!(status, 303);
    assert_eq!(
        stored_queue(&server, queue).await.wrap_up,
        Default::default()
    );
    server.stop().await;
}

#[tokio::test]
async fn a_required_code_is_asked_for_checked_stored_shown_and_searchable() {
    let server = TestServer::start_in(std::sync::Arc::new(tempfile::tempdir().unwrap()), |c| {
        c.search.commit_interval_ms = 100;
    })
    .await;
    let queue = server.default_queue().await;
    server
        .set_wrap_up(queue, &["Resolved", "Sale", "Follow-up needed"], true)
        .await;
    server.add_user("boss", Role::Supervisor).await;
    let (alice, mut events) = server.agent_on_duty("alice", queue).await;
    let w = server
        .accepted_text(&alice, &mut events, "+14155550150", "I want the blue kayak")
        .await;

    // The workspace learns the codes with the workitem.
    let detail: Value = alice
        .get(&format!("/api/workitems/{w}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        detail["wrap_up"],
        json!({"codes": ["Resolved", "Sale", "Follow-up needed"], "required": true})
    );

    // Refused: no code (no body at all, or an empty one), a code of no list.
    let path = format!("/api/workitems/{w}/terminate");
    let missing = alice.post_bare(&path).await;
    assert_eq!(missing.status(), 422);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["field"], "wrap_up");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("Choose a wrap-up code"),
        "{body}"
    );
    for sent in [
        json!({}),
        json!({"wrap_up": " "}),
        json!({"wrap_up": "Refund"}),
    ] {
        let res = alice.post(&path, sent.clone()).await;
        assert_eq!(res.status(), 422, "{sent}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["field"], "wrap_up", "{sent}");
    }
    let res = alice.post(&path, json!({"wrap_up": "Refund"})).await;
    let text = res.text().await.unwrap();
    assert!(
        text.contains("\\\"Refund\\\" is not a wrap-up code"),
        "{text}"
    );
    // Still hers and open after the refusals.
    let open = server.stored_workitem(w).await;
    assert!(open.state.is_open());

    // Any case of a listed code is taken, in the list's spelling.
    alice.post_ok(&path, json!({"wrap_up": "sale"})).await;
    let done = server.stored_workitem(w).await;
    assert_eq!(done.wrap_up.as_deref(), Some("Sale"));

    let tab = |name: &str| format!("/workspace/workitems/{w}/tabs/{name}");
    let info = alice.get(&tab("information")).await.text().await.unwrap();
    assert!(
        info.contains("<dt>Wrap-up</dt><dd><span class=\"wrap-up-code\">Sale</span>"),
        "{info}"
    );
    let ev = alice.get(&tab("events")).await.text().await.unwrap();
    assert!(ev.contains("Terminated by alice (wrap-up: Sale)"), "{ev}");
    let history = alice
        .get(&format!("{}?range=all", tab("history")))
        .await
        .text()
        .await
        .unwrap();
    assert!(history.contains("wrap-up: Sale"), "{history}");

    // Search: the conversation's messages carry the code (any case), other codes find nothing.
    let boss = server.login("boss").await;
    until(
        &boss,
        "/api/search?q=kayak&wrap_up=sale",
        Duration::from_secs(5),
        |v| v["total"] == 1,
    )
    .await;
    let other: Value = boss
        .get("/api/search?q=kayak&wrap_up=Resolved")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["total"], 0);
    let page = boss
        .get("/search?q=kayak&wrap_up=Sale")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<option value=\"Sale\" selected>Sale</option>"),
        "{page}"
    );
    assert!(page.contains("1 result"), "{page}");
    server.stop().await;
}

#[tokio::test]
async fn without_codes_terminate_needs_no_body_and_takes_no_code() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let (alice, mut events) = server.agent_on_duty("alice", queue).await;

    let w = server
        .accepted_text(&alice, &mut events, "+14155550151", "hello")
        .await;
    let res = alice
        .post(
            &format!("/api/workitems/{w}/terminate"),
            json!({"wrap_up": "Sale"}),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "wrap_up");
    let res = alice
        .post_bare(&format!("/api/workitems/{w}/terminate"))
        .await;
    assert_eq!(res.status(), 200);
    let events_tab = alice
        .get(&format!("/workspace/workitems/{w}/tabs/events"))
        .await
        .text()
        .await
        .unwrap();
    assert!(events_tab.contains("Terminated by alice<"), "{events_tab}");

    // Codes that are not required: ending without one is fine.
    server.set_wrap_up(queue, &["Resolved"], false).await;
    let w = server
        .accepted_text(&alice, &mut events, "+14155550152", "hi again")
        .await;
    let res = alice
        .post_bare(&format!("/api/workitems/{w}/terminate"))
        .await;
    assert_eq!(res.status(), 200);
    server.stop().await;
}
