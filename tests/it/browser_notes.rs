//! The Notes tab in a real browser: an agent whose class of service lacks `notes.create` sees the
//! customer's notes but no form; an agent with it adds a note and sees it on top. Skips like the
//! other browser tests without Chromium (fails instead with `PARLEY_REQUIRE_BROWSER=1`).

use std::collections::BTreeSet;

use fantoccini::Client;
use parley::acd::Presence;
use parley::domain::{AgentSettings, Note, NoteId, Permission, QueueId, User, Workitem};
use parley::store;
use serde_json::json;

use crate::browser::{
    catch_up_clock, js, log_in, open_browser, set_presence, texts, the_offer, wait_for, wait_js,
    wait_text,
};
use crate::common::*;

const CUSTOMER: &str = "+14155550123";

/// An agent in `queue` whose class of service grants exactly `permissions`.
async fn agent_with(
    server: &TestServer,
    name: &str,
    queue: QueueId,
    permissions: &[Permission],
) -> User {
    let user = server.add_agent(name, &[queue], None).await;
    let permissions: BTreeSet<Permission> = permissions.iter().copied().collect();
    let (id, class_name) = (user.id, format!("{name}'s class"));
    server
        .state
        .store
        .write(move |txn| {
            let class = store::put_class(txn, None, &class_name, permissions)?;
            let settings = AgentSettings {
                queues: vec![queue],
                capacity: None,
                class_of_service: Some(class.id),
            };
            store::put_agent_settings(txn, id, &settings)
        })
        .await
        .expect("class");
    user
}

/// The customer texts; the agent accepts the offer and opens the Notes tab.
async fn accept_and_open_notes(c: &Client, server: &TestServer, sid: &str, text: &str) -> u64 {
    catch_up_clock(server);
    server.twilio_sms(sid, CUSTOMER, text).await;
    let id = the_offer(c).await;
    wait_for(c, &format!("#offer-{id} .accept"))
        .await
        .click()
        .await
        .expect("accept");
    wait_for(c, &format!("#item-{id}.current")).await;
    wait_for(c, "#tab-notes")
        .await
        .click()
        .await
        .expect("open the Notes tab");
    wait_for(c, "#panel-notes .notes-tab").await;
    id
}

#[tokio::test]
async fn notes_tab_hides_the_form_without_notes_create_and_adds_notes_on_top() {
    let Some((driver, c)) = open_browser().await else {
        return;
    };
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let reader = agent_with(&server, "rita", queue, &[Permission::NotesRead]).await;
    let writer = agent_with(
        &server,
        "walt",
        queue,
        &[Permission::NotesRead, Permission::NotesCreate],
    )
    .await;

    // 1. Rita may read but not write: she sees the colleague's note and no form.
    log_in(&c, &server, "rita").await;
    set_presence(&c, &server, &reader, Presence::Available).await;
    let first = accept_and_open_notes(&c, &server, "SM1", "Hello again").await;
    let at = server.clock.now();
    server
        .state
        .store
        .write(move |txn| {
            let contact = {
                let table = txn.open_table(store::WORKITEMS)?;
                store::get_json::<Workitem>(&table, "workitems", first)?
                    .expect("workitem")
                    .contact
            };
            store::add_note(
                txn,
                Note {
                    id: NoteId(0),
                    contact,
                    workitem: None,
                    author: writer.id,
                    author_name: "Walt".into(),
                    body: "Prefers texts after 5 pm.".into(),
                    at,
                },
            )
        })
        .await
        .expect("seed note");
    // Reopen the tab to load the note written meanwhile.
    wait_for(&c, "#tab-information")
        .await
        .click()
        .await
        .expect("Information tab");
    wait_for(&c, "#tab-notes")
        .await
        .click()
        .await
        .expect("Notes tab");
    wait_text(&c, "#panel-notes .note-body", "Prefers texts after 5 pm.").await;
    assert_eq!(texts(&c, "#panel-notes .note-author").await, ["Walt"]);
    assert_eq!(
        js(
            &c,
            "return !document.querySelector('#panel-notes form, #panel-notes textarea');",
            vec![],
        )
        .await,
        json!(true),
        "no new-note form without notes.create"
    );
    let stamp = texts(&c, "#panel-notes .note time").await;
    assert!(
        stamp.len() == 1 && !stamp[0].contains("UTC"),
        "times are localised by the workspace: {stamp:?}"
    );
    wait_for(&c, "#terminate")
        .await
        .click()
        .await
        .expect("terminate");
    wait_js(
        &c,
        "the workitem to leave the list",
        "return document.querySelectorAll('#workitems li').length === 0;",
    )
    .await;
    set_presence(&c, &server, &reader, Presence::Away).await;

    // 2. Walt may write: he adds a note and it shows first.
    c.delete_all_cookies().await.expect("log out");
    log_in(&c, &server, "walt").await;
    set_presence(&c, &server, &writer, Presence::Available).await;
    let second = accept_and_open_notes(&c, &server, "SM2", "Any news?").await;
    assert_ne!(first, second);
    wait_text(&c, "#panel-notes .note-body", "Prefers texts after 5 pm.").await;
    let field = wait_for(&c, "#note-body").await;
    field
        .send_keys("Called back, parcel found.")
        .await
        .expect("type the note");
    wait_for(&c, "#note-save")
        .await
        .click()
        .await
        .expect("add the note");
    wait_text(&c, "#panel-notes #note-saved", "Note saved.").await;
    assert_eq!(
        texts(&c, "#panel-notes .note-body").await,
        ["Called back, parcel found.", "Prefers texts after 5 pm."],
        "the new note is on top"
    );
    assert_eq!(
        texts(&c, "#panel-notes .note-author").await,
        ["walt", "Walt"]
    );
    assert_eq!(
        js(
            &c,
            "return document.getElementById('note-body').value;",
            vec![]
        )
        .await,
        json!(""),
        "the form is empty again"
    );

    crate::browser::assert_page_clean(&c, "the end of browser_notes").await;

    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
