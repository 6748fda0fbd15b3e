//! Moving and watching conversations in real browsers: a supervisor monitors a dialog live
//! and whispers, and the agent sees the whisper and who is watching; an agent transfers a
//! conversation to a colleague, who accepts it with its history intact.

use crate::browser::{
    accept_offer, another_browser, assert_page_clean, click, customer_texts_from, log_in_available,
    log_in_to, open_browser, the_offer, type_and_enter, type_into, wait_for, wait_text,
};
use crate::common::*;

const CUSTOMER: &str = "+14155550123";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_monitors_and_whispers_and_the_agent_sees_it() {
    let Some((_driver, agent)) = open_browser().await else {
        return;
    };
    let (_sam_driver, sam) = another_browser().await;
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.simulator_number(queue).await;
    let alice = server.add_agent("alice", &[queue], None).await;
    server
        .add_user("sam", parley::domain::Role::Supervisor)
        .await;
    log_in_available(&agent, &server, &alice).await;
    customer_texts_from(&server, "SM1", CUSTOMER, "My parcel is late").await;
    let id = accept_offer(&agent).await;

    // Sam opens it from the wallboard's Monitor link.
    log_in_to(
        &sam,
        &server,
        "/supervisor",
        "sam",
        "#wallboard[data-live=\"1\"]",
    )
    .await;
    click(&sam, &format!("#floor-workitem-{id} a")).await;
    wait_for(&sam, "#monitor[data-live=\"1\"]").await;
    wait_text(&sam, "#messages .bubble.in .body", "My parcel is late").await;
    wait_text(&agent, "#watched", "sam is watching this conversation.").await;

    // What the agent and the customer write shows on the monitor as it happens.
    type_and_enter(&agent, "#reply", "Let me look it up").await;
    wait_text(&sam, "#messages .bubble.out .body", "Let me look it up").await;
    customer_texts_from(&server, "SM2", CUSTOMER, "Thanks").await;
    wait_text(&sam, "#messages .bubble.in .body", "Thanks").await;

    // The whisper reaches the agent's dialog only.
    type_into(&sam, "#whisper-text", "Offer free shipping").await;
    click(&sam, "#whisper-send").await;
    wait_text(
        &agent,
        "#messages .aside-whisper",
        "Whisper from sam: Offer free shipping",
    )
    .await;
    wait_text(
        &sam,
        "#messages .aside-whisper",
        "Whisper from sam: Offer free shipping",
    )
    .await;
    click(&sam, "#tab-events").await;
    wait_text(
        &sam,
        "#monitor-panel",
        "Whisper from sam: Offer free shipping",
    )
    .await;
    assert_page_clean(&sam, "the monitor").await;
    assert_page_clean(&agent, "the workspace with a whisper").await;

    // Sam leaves: the agent's banner goes.
    sam.goto(&format!("{}/supervisor", server.url))
        .await
        .expect("open");
    crate::browser::wait_js(
        &agent,
        "the watching banner to go",
        "return document.getElementById('watched').hidden;",
    )
    .await;
    sam.close().await.expect("close");
    agent.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_transfers_to_a_colleague_who_accepts_it_with_its_history() {
    let Some((_driver, a)) = open_browser().await else {
        return;
    };
    let (_bob_driver, b) = another_browser().await;
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.simulator_number(queue).await;
    let alice = server.add_agent("alice", &[queue], None).await;
    let bob = server.add_agent("bob", &[queue], None).await;
    log_in_available(&a, &server, &alice).await;
    customer_texts_from(&server, "SM1", CUSTOMER, "I want to change my plan").await;
    let id = accept_offer(&a).await;
    type_and_enter(&a, "#reply", "Bob handles plans, one moment").await;
    wait_text(&a, "#messages .bubble.out .body", "Bob handles plans").await;
    log_in_available(&b, &server, &bob).await;

    // Alice transfers it to Bob with a note.
    click(&a, "#transfer-open").await;
    wait_for(
        &a,
        &format!("#transfer-target option[value=\"agent:{}\"]", bob.id),
    )
    .await
    .click()
    .await
    .expect("choose bob");
    type_into(&a, "#transfer-note", "Wants the family plan").await;
    assert_page_clean(&a, "the transfer dialog").await;
    click(&a, "#transfer-ok").await;
    wait_text(&a, "#workspace-notice", "Transferred to bob.").await;
    crate::browser::wait_js(
        &a,
        "the workitem to leave alice's list",
        &format!("return !document.getElementById('item-{id}');"),
    )
    .await;

    // Bob's offer says how it came; accepted, the dialog has everything so far.
    assert_eq!(the_offer(&b).await, id);
    wait_text(
        &b,
        &format!("#offer-{id} .handover"),
        "Transferred by alice to bob (Wants the family plan)",
    )
    .await;
    assert_eq!(accept_offer(&b).await, id);
    wait_text(&b, "#messages .bubble.in .body", "I want to change my plan").await;
    wait_text(
        &b,
        "#messages .bubble.out .body",
        "Bob handles plans, one moment",
    )
    .await;
    wait_text(
        &b,
        "#messages .aside-transfer",
        "Transferred by alice to bob",
    )
    .await;
    type_and_enter(&b, "#reply", "Hi, Bob here").await;
    wait_text(&b, "#messages .bubble.out .body", "Hi, Bob here").await;
    assert_page_clean(&b, "the workspace after a transfer").await;
    a.close().await.expect("close");
    b.close().await.expect("close");
}
