//! The Notes tab over HTTP: notes on a customer by any agent, newest first; the form and the
//! POST only with `notes.create`; the list only with `notes.read`.

use std::collections::BTreeSet;

use parley::domain::{AgentSettings, Note, NoteId, Permission, QueueId, UserId, WorkitemId};
use parley::store;
use serde_json::json;

use crate::common::*;

const CUSTOMER: &str = "+14155550101";

/// Gives `agent` a class of service granting exactly `permissions`.
async fn restrict(
    server: &TestServer,
    agent: UserId,
    queues: &[QueueId],
    permissions: &[Permission],
) {
    let permissions: BTreeSet<Permission> = permissions.iter().copied().collect();
    let queues = queues.to_vec();
    let name = format!("class of {agent}");
    server
        .state
        .store
        .write(move |txn| {
            let class = store::put_class(txn, None, &name, permissions)?;
            let settings = AgentSettings {
                queues,
                capacity: None,
                class_of_service: Some(class.id),
            };
            store::put_agent_settings(txn, agent, &settings)
        })
        .await
        .unwrap();
}

/// `agent` (logged in, Available) gets the customer's next text offered and accepts it.
async fn accept_next(server: &TestServer, client: &Client, sid: &str, text: &str) -> u64 {
    let mut events = client.events().await;
    client.available().await;
    server.twilio_sms(sid, CUSTOMER, text).await;
    let id = events.offer().await;
    client
        .post_ok(&format!("/api/workitems/{id}/accept"), json!({}))
        .await;
    id
}

async fn notes_tab(client: &Client, id: u64) -> (u16, String) {
    let res = client
        .get(&format!("/workspace/workitems/{id}/tabs/notes"))
        .await;
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Posts the tab's form as the workspace script does (form body, CSRF header).
async fn add_note(client: &Client, id: u64, body: &str) -> (u16, String) {
    let res = client
        .http
        .post(format!("{}/workspace/workitems/{id}/notes", client.base))
        .header("X-CSRF-Token", &client.csrf)
        .form(&[("body", body)])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn stored_notes(server: &TestServer, id: u64) -> Vec<Note> {
    server
        .state
        .store
        .read(move |txn| {
            let w = store::workitem(txn, WorkitemId(id))?.expect("workitem");
            store::notes_of(txn, w.contact)
        })
        .await
        .unwrap()
}

/// The position of each needle in `html`, failing when one is missing.
fn positions(html: &str, needles: &[&str]) -> Vec<usize> {
    needles
        .iter()
        .map(|n| {
            html.find(n)
                .unwrap_or_else(|| panic!("{n:?} missing in {html}"))
        })
        .collect()
}

#[tokio::test]
async fn notes_by_every_agent_show_on_the_customer_newest_first() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    server.add_agent("alice", &[q], None).await;
    let alice = server.login("alice").await;
    let first = accept_next(&server, &alice, "SM1", "My parcel is late").await;
    let (status, html) = notes_tab(&alice, first).await;
    assert_eq!(status, 200);
    assert!(html.contains("No notes on this customer yet."));
    assert!(html.contains("id=\"note-form\""));

    let (status, html) = add_note(&alice, first, "  Parcel 1234 lost; refund promised.  ").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Note saved."));
    assert!(html.contains("Parcel 1234 lost; refund promised."));
    assert!(!html.contains("aria-invalid"), "a fresh form after saving");
    server.advance(60);
    let (status, _) = add_note(&alice, first, "Customer <b>prefers</b> texts.").await;
    assert_eq!(status, 200);
    alice
        .post_ok(&format!("/api/workitems/{first}/terminate"), json!({}))
        .await;
    alice
        .post_ok(
            "/api/presence",
            json!({"presence": "away", "reason": "lunch"}),
        )
        .await;

    // The customer's next conversation goes to Bob, who sees Alice's notes and adds his own.
    server.advance(60);
    server.add_agent("bob", &[q], None).await;
    let bob = server.login("bob").await;
    let second = accept_next(&server, &bob, "SM2", "Any news?").await;
    assert_ne!(first, second);
    let (status, _) = add_note(&bob, second, "Refund sent.").await;
    assert_eq!(status, 200);
    let (status, html) = notes_tab(&bob, second).await;
    assert_eq!(status, 200);
    let at = positions(
        &html,
        &[
            "Refund sent.",
            "Customer &#60;b&#62;prefers&#60;/b&#62; texts.",
            "Parcel 1234 lost; refund promised.",
        ],
    );
    assert!(at[0] < at[1] && at[1] < at[2], "newest first: {html}");
    assert!(!html.contains("<b>prefers</b>"), "note text is escaped");
    let authors: Vec<&str> = html
        .split("<span class=\"note-author\">")
        .skip(1)
        .map(|s| &s[..s.find('<').unwrap()])
        .collect();
    assert_eq!(authors, ["bob", "alice", "alice"]);
    let notes = stored_notes(&server, second).await;
    assert_eq!(notes.len(), 3);
    for n in &notes {
        let stamp = format!("<time datetime=\"{}\">", n.at.to_rfc3339());
        assert!(html.contains(&stamp), "{stamp} missing in {html}");
    }
    assert_eq!(notes[0].workitem, Some(WorkitemId(second)));
    assert_eq!(notes[2].workitem, Some(WorkitemId(first)));
    assert_eq!(
        notes[2].body, "Parcel 1234 lost; refund promised.",
        "stored trimmed"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_refused_note_keeps_the_typed_text_and_says_why() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    server.add_agent("alice", &[q], None).await;
    let alice = server.login("alice").await;
    let id = accept_next(&server, &alice, "SM1", "hello").await;
    let (status, html) = add_note(&alice, id, " \n ").await;
    assert_eq!(status, 422);
    assert!(html.contains("Write something before saving the note."));
    assert!(html.contains("class=\"field-error\" id=\"note-body-error\""));
    assert!(html.contains("aria-invalid=\"true\""));
    let long = format!("{} <i>end</i>", "x".repeat(5000));
    let (status, html) = add_note(&alice, id, &long).await;
    assert_eq!(status, 422);
    assert!(html.contains("A note can be at most 5000 characters; this one has 5011."));
    assert!(
        html.contains(&format!(
            "{} &#60;i&#62;end&#60;/i&#62;</textarea>",
            "x".repeat(5000)
        )),
        "the typed text is kept, escaped"
    );
    assert!(stored_notes(&server, id).await.is_empty(), "nothing stored");
    // Exactly 5000 characters is fine.
    let (status, _) = add_note(&alice, id, &"é".repeat(5000)).await;
    assert_eq!(status, 200);
    assert_eq!(stored_notes(&server, id).await.len(), 1);
    server.stop().await;
}

/// Stores a note on the workitem's customer as if a colleague had written it.
async fn seed_note(server: &TestServer, id: u64, body: &str) {
    let body = body.to_owned();
    let at = server.clock.now();
    server
        .state
        .store
        .write(move |txn| {
            let contact = {
                let workitems = txn.open_table(store::WORKITEMS)?;
                store::get_json::<parley::domain::Workitem>(&workitems, "workitems", id)?
                    .expect("workitem")
                    .contact
            };
            store::add_note(
                txn,
                Note {
                    id: NoteId(0),
                    contact,
                    workitem: None,
                    author: UserId(1),
                    author_name: "Colleague".into(),
                    body,
                    at,
                },
            )
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn without_notes_create_there_is_no_form_and_the_post_is_refused() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let alice = server.add_agent("alice", &[q], None).await;
    restrict(&server, alice.id, &[q], &[Permission::NotesRead]).await;
    let client = server.login("alice").await;
    let id = accept_next(&server, &client, "SM1", "hello").await;
    seed_note(&server, id, "VIP customer, be nice.").await;
    let (status, html) = notes_tab(&client, id).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("VIP customer, be nice."),
        "notes are readable"
    );
    assert!(!html.contains("<form"), "no new-note form: {html}");
    assert!(!html.contains("<textarea"));
    let before = stored_notes(&server, id).await;
    let (status, html) = add_note(&client, id, "Sneaky note").await;
    assert_eq!(status, 403);
    assert!(html.contains("notes.create"), "{html}");
    assert!(!html.contains("<form"));
    assert_eq!(stored_notes(&server, id).await, before, "nothing stored");
    server.stop().await;
}

#[tokio::test]
async fn without_notes_read_the_tab_says_so() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let alice = server.add_agent("alice", &[q], None).await;
    restrict(&server, alice.id, &[q], &[Permission::NotesCreate]).await;
    let client = server.login("alice").await;
    let id = accept_next(&server, &client, "SM1", "hello").await;
    seed_note(&server, id, "Secret remark").await;
    let (status, html) = notes_tab(&client, id).await;
    assert_eq!(status, 200);
    assert!(html.contains("You are not allowed to read notes"), "{html}");
    assert!(!html.contains("Secret remark"));
    assert!(
        html.contains("id=\"note-form\""),
        "writing is still allowed"
    );
    let (status, html) = add_note(&client, id, "Write-only note").await;
    assert_eq!(status, 200);
    assert!(!html.contains("Secret remark"));
    assert!(html.contains("You are not allowed to read notes"));
    // Neither permission: just the message.
    restrict(&server, alice.id, &[q], &[]).await;
    let (status, html) = notes_tab(&client, id).await;
    assert_eq!(status, 200);
    assert!(html.contains("You are not allowed to read notes"));
    assert!(!html.contains("<form"));
    server.stop().await;
}

#[tokio::test]
async fn only_the_workitems_agent_and_supervisors_reach_its_notes() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    server.add_agent("alice", &[q], None).await;
    let alice = server.login("alice").await;
    let id = accept_next(&server, &alice, "SM1", "hello").await;
    server.add_user("bob", parley::domain::Role::Agent).await;
    let bob = server.login("bob").await;
    assert_eq!(notes_tab(&bob, id).await.0, 404);
    assert_eq!(add_note(&bob, id, "not mine").await.0, 404);
    assert!(stored_notes(&server, id).await.is_empty());
    server
        .add_user("sue", parley::domain::Role::Supervisor)
        .await;
    let sue = server.login("sue").await;
    assert_eq!(add_note(&sue, id, "Supervisor was here").await.0, 200);
    let (status, html) = notes_tab(&alice, id).await;
    assert_eq!(status, 200);
    assert!(html.contains("Supervisor was here"));
    // A note needs the CSRF header like every other change.
    let res = alice
        .http
        .post(format!("{}/workspace/workitems/{id}/notes", server.url))
        .form(&[("body", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(stored_notes(&server, id).await.len(), 1);
    server.stop().await;
}
