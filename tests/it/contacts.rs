//! The mini CRM over HTTP: the Contact tab's validation (each rule, every typed value kept on
//! refusal), saving, the mobile number index, the `contacts.edit` permission, the CRM link,
//! and the contacts page's search, paging and "Add contact".

use std::collections::BTreeSet;

use chrono::Duration;
use parley::domain::{ContactId, E164, Permission, WorkitemId};
use serde_json::json;

use crate::common::*;

mod page;

const CUSTOMER: &str = "+14155550101";

/// Form fields to change, by name.
type Changes<'a> = Vec<(&'static str, &'a str)>;

/// Alice has accepted a workitem from `CUSTOMER`; returns her client, its id and her events.
async fn accepted_workitem(server: &TestServer) -> (Client, u64, Events) {
    let q = server.default_queue().await;
    server.add_agent("alice", &[q], None).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;
    server.twilio_sms("SM1", CUSTOMER, "Hello").await;
    let id = events.offer().await;
    alice
        .post_ok(&format!("/api/workitems/{id}/accept"), json!({}))
        .await;
    (alice, id, events)
}

async fn get(client: &Client, path: &str) -> (u16, String) {
    let res = client.get(path).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Posts a form as the workspace script does (urlencoded, CSRF header).
async fn post_form(client: &Client, path: &str, fields: &[(&str, String)]) -> (u16, String) {
    let res = client
        .http
        .post(format!("{}{path}", client.base))
        .header("X-CSRF-Token", &client.csrf)
        .form(fields)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Saves a complete, valid contact with a new mobile through the workitem's Contact tab.
async fn save_contact(client: &Client, workitem: u64, mobile: &str) {
    let (status, html) = post_form(
        client,
        &format!("/workspace/workitems/{workitem}/contact"),
        &valid(mobile),
    )
    .await;
    assert_eq!(status, 200, "{html}");
}

/// A complete, valid contact form for `mobile`.
fn valid(mobile: &str) -> Vec<(&'static str, String)> {
    [
        ("first_name", "Grace"),
        ("last_name", "Hopper"),
        ("street", "1 <Main> & \"Co\""),
        ("city", "Arlington"),
        ("region", "VA"),
        ("postal_code", "22201"),
        ("country", "USA"),
        ("email", "grace@navy.example"),
        ("time_zone", "America/New_York"),
        ("latitude", "38.88"),
        ("longitude", "-77.1"),
        ("date_of_birth", "1906-12-09"),
        ("customer_id", "C/42"),
        ("case_numbers", "CASE-7, CASE-8\nCASE-7"),
        ("mobile", mobile),
        ("other_phones", "+14155550188"),
        ("channel_preference", "email"),
        ("custom_key_0", "Rank"),
        ("custom_value_0", "Rear Admiral"),
        ("custom_key_1", ""),
        ("custom_value_1", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

fn with(
    mut form: Vec<(&'static str, String)>,
    changes: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    for (k, v) in changes {
        match form.iter_mut().find(|(name, _)| name == k) {
            Some(slot) => slot.1 = (*v).to_owned(),
            None => form.push((k, (*v).to_owned())),
        }
    }
    form
}

async fn stored_contact(server: &TestServer, phone: &str) -> Option<parley::domain::Contact> {
    let phone = E164::parse(phone).unwrap();
    server
        .state
        .store
        .read(move |txn| parley::store::contact_by_phone(txn, &phone))
        .await
        .unwrap()
}

/// Asserts a 422 fragment marks `field` with `message`, and still holds every typed value.
fn assert_refused(status: u16, html: &str, field: &str, message: &str) {
    assert_eq!(status, 422, "{field}: {html}");
    let marked = format!("name=\"{field}\"");
    let at = html
        .find(&marked)
        .unwrap_or_else(|| panic!("no {field} input"));
    let tail = &html[at..at + 400.min(html.len() - at)];
    assert!(
        tail.contains("aria-invalid=\"true\""),
        "{field} not marked: {tail}"
    );
    assert!(
        html.contains(message),
        "{field}: {message:?} missing in {html}"
    );
    assert!(html.contains("class=\"field-error\""));
    assert!(html.contains("Not saved"), "no summary");
    for kept in [
        "value=\"Grace\"",
        "value=\"Hopper\"",
        // Escaped, not lost and not injected.
        "value=\"1 &#60;Main&#62; &#38; &#34;Co&#34;\"",
        "CASE-7, CASE-8\nCASE-7</textarea>",
        "value=\"Rear Admiral\"",
    ] {
        assert!(html.contains(kept), "typed value lost ({kept}) in {html}");
    }
}

#[tokio::test]
async fn each_rule_is_refused_next_to_its_field_and_nothing_typed_is_lost() {
    let server = TestServer::start().await;
    let (alice, id, _events) = accepted_workitem(&server).await;
    let path = format!("/workspace/workitems/{id}/contact");
    let tomorrow = (server.clock.now() + Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let long = "x".repeat(201);
    // (fields changed from the valid form, the field refused, its message)
    let cases: Vec<(Changes, &str, &str)> = vec![
        (
            vec![("email", "grace(at)navy")],
            "email",
            "is not an email address",
        ),
        (
            vec![("time_zone", "Mars/Olympus_Mons")],
            "time_zone",
            "is not a known time zone",
        ),
        (vec![("latitude", "91")], "latitude", "between -90 and 90"),
        (
            vec![("longitude", "")],
            "longitude",
            "Enter a longitude too",
        ),
        (
            vec![("date_of_birth", &tomorrow)],
            "date_of_birth",
            "cannot be in the future",
        ),
        (
            vec![("date_of_birth", "1899-12-31")],
            "date_of_birth",
            "cannot be before 1900",
        ),
        (
            vec![("other_phones", "+14155550188\nnot-a-phone")],
            "other_phones",
            "&#34;not-a-phone&#34; is not a phone number",
        ),
        (vec![("mobile", "")], "mobile", "a phone number is required"),
        (
            vec![("custom_key_1", "rank"), ("custom_value_1", "Admiral")],
            "custom_key_1",
            "already used above",
        ),
        (vec![("city", &long)], "city", "At most 200 characters"),
    ];
    for (changes, field, message) in cases {
        let form = with(valid(CUSTOMER), &changes);
        let (status, html) = post_form(&alice, &path, &form).await;
        assert_refused(status, &html, field, message);
    }
    // The custom row that was refused comes back as typed too.
    let form = with(
        valid(CUSTOMER),
        &[("custom_key_1", "rank"), ("custom_value_1", "Admiral")],
    );
    let (_, html) = post_form(&alice, &path, &form).await;
    assert!(
        html.contains("name=\"custom_key_1\" value=\"rank\""),
        "{html}"
    );
    // Nothing was stored by any of those.
    let c = stored_contact(&server, CUSTOMER).await.unwrap();
    assert_eq!((c.first_name.as_str(), c.email.as_str()), ("", ""));
    server.stop().await;
}

#[tokio::test]
async fn birth_dates_are_judged_by_the_servers_clock() {
    let server = TestServer::start().await;
    // The server lives 400 days ahead of the real date (before any session exists).
    server.advance(400 * 86_400);
    let (alice, id, _events) = accepted_workitem(&server).await;
    let path = format!("/workspace/workitems/{id}/contact");
    let real_future = (chrono::Utc::now() + Duration::days(100))
        .format("%Y-%m-%d")
        .to_string();
    let (status, html) = post_form(
        &alice,
        &path,
        &with(valid(CUSTOMER), &[("date_of_birth", &real_future)]),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let server_future = (server.clock.now() + Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let (status, html) = post_form(
        &alice,
        &path,
        &with(valid(CUSTOMER), &[("date_of_birth", &server_future)]),
    )
    .await;
    assert_refused(status, &html, "date_of_birth", "cannot be in the future");
    server.stop().await;
}

#[tokio::test]
async fn a_save_shows_in_the_tabs_with_the_crm_link() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let server = TestServer::start_in(dir, |c| {
        c.crm.contact_url_template = "https://crm.example/contacts/{customer_id}".into();
    })
    .await;
    let (alice, id, _events) = accepted_workitem(&server).await;
    let (status, before) = get(&alice, &format!("/workspace/workitems/{id}/tabs/contact")).await;
    assert_eq!(status, 200);
    for part in [
        "href=\"#contact-name\"",
        "href=\"#contact-address\"",
        "href=\"#contact-reach\"",
        "id=\"contact-save\"",
        &format!("value=\"{CUSTOMER}\""),
    ] {
        assert!(before.contains(part), "{part} missing in {before}");
    }
    assert!(
        !before.contains("Open in CRM"),
        "no customer ID yet, so no link"
    );

    let (status, html) = post_form(
        &alice,
        &format!("/workspace/workitems/{id}/contact"),
        &valid(CUSTOMER),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Saved."), "{html}");
    assert!(!html.contains("aria-invalid"), "{html}");
    assert!(
        html.contains(
            "href=\"https://crm.example/contacts/C%2F42\" target=\"_blank\" rel=\"noopener\""
        ),
        "CRM link with the encoded id: {html}"
    );
    // Case numbers come back de-duplicated, one per line.
    assert!(html.contains(">CASE-7\nCASE-8</textarea>"), "{html}");

    let (_, data) = get(&alice, &format!("/workspace/workitems/{id}/tabs/data")).await;
    for part in [
        "Grace Hopper",
        "C/42",
        "CASE-7, CASE-8",
        "Email",
        "Rank",
        "Rear Admiral",
    ] {
        assert!(
            data.contains(part),
            "{part} missing in the Data tab: {data}"
        );
    }
    let c = stored_contact(&server, CUSTOMER).await.unwrap();
    assert_eq!(c.time_zone, "America/New_York");
    assert_eq!((c.latitude, c.longitude), (Some(38.88), Some(-77.1)));
    assert_eq!(c.other_phones, [E164::parse("+14155550188").unwrap()]);
    server.stop().await;
}

#[tokio::test]
async fn a_mobile_used_by_another_contact_is_refused_naming_it() {
    let server = TestServer::start().await;
    let (alice, id, _events) = accepted_workitem(&server).await;
    let (status, _) = post_form(
        &alice,
        "/contacts",
        &with(
            valid("+14155550102"),
            &[("first_name", "Linus"), ("last_name", "Torvalds")],
        ),
    )
    .await;
    assert_eq!(status, 303);
    let other = stored_contact(&server, "+14155550102").await.unwrap();
    let (status, html) = post_form(
        &alice,
        &format!("/workspace/workitems/{id}/contact"),
        &valid("(415) 555-0102"),
    )
    .await;
    assert_refused(
        status,
        &html,
        "mobile",
        &format!(
            "+14155550102 already belongs to Linus Torvalds (contact #{})",
            other.id
        ),
    );
    assert!(
        html.contains("value=\"(415) 555-0102\""),
        "typed mobile kept: {html}"
    );
    let mine = stored_contact(&server, CUSTOMER).await.unwrap();
    assert_eq!(mine.first_name, "", "nothing saved");
    server.stop().await;
}

#[tokio::test]
async fn a_new_mobile_moves_the_phone_index_with_it() {
    let server = TestServer::start().await;
    let (alice, id, mut events) = accepted_workitem(&server).await;
    let before = stored_contact(&server, CUSTOMER).await.unwrap();
    save_contact(&alice, id, "+14155550109").await;
    let moved = stored_contact(&server, "+14155550109").await.unwrap();
    assert_eq!(
        moved.id, before.id,
        "the new number leads to the same contact"
    );
    assert!(
        stored_contact(&server, CUSTOMER).await.is_none(),
        "the old number is unlinked"
    );

    // Conversations are keyed by number, so end the one on the old number first.
    alice
        .post_ok(&format!("/api/workitems/{id}/terminate"), json!({}))
        .await;

    // The customer texts from the new number: it reaches the same contact.
    server
        .twilio_sms("SM2", "+14155550109", "New phone, same me")
        .await;
    let second = events.offer().await;
    let contact_of = |w: u64| {
        let store = server.state.store.clone();
        async move {
            store
                .read(move |txn| parley::store::workitem(txn, WorkitemId(w)))
                .await
                .unwrap()
                .unwrap()
                .contact
        }
    };
    assert_eq!(contact_of(second).await, before.id);
    alice
        .post_ok(&format!("/api/workitems/{second}/accept"), json!({}))
        .await;
    // The old number is nobody's now: texting from it starts a new contact.
    server.twilio_sms("SM3", CUSTOMER, "Old phone").await;
    let third = events.offer().await;
    let stranger: ContactId = contact_of(third).await;
    assert_ne!(stranger, before.id);
    server.stop().await;
}

#[tokio::test]
async fn without_contacts_edit_the_form_is_read_only_and_a_post_is_refused() {
    let server = TestServer::start().await;
    let (alice, id, _events) = accepted_workitem(&server).await;
    let (me, mut settings) = server
        .state
        .store
        .read(|txn| {
            let me = parley::store::user_by_name(txn, "alice")?.expect("alice");
            let settings = parley::store::agent_settings(txn, me.id)?;
            Ok((me, settings))
        })
        .await
        .unwrap();
    server
        .state
        .store
        .write(move |txn| {
            let class = parley::store::put_class(
                txn,
                None,
                "Viewers",
                BTreeSet::from([Permission::NotesRead]),
            )?;
            settings.class_of_service = Some(class.id);
            parley::store::put_agent_settings(txn, me.id, &settings)
        })
        .await
        .unwrap();
    let (status, html) = get(&alice, &format!("/workspace/workitems/{id}/tabs/contact")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Read only"), "{html}");
    assert!(html.contains("class=\"contact-fields\" disabled"), "{html}");
    assert!(!html.contains("contact-save"), "no Save button: {html}");
    assert!(
        !html.contains("custom_key_0"),
        "no empty rows to fill in: {html}"
    );

    let (status, html) = post_form(
        &alice,
        &format!("/workspace/workitems/{id}/contact"),
        &valid(CUSTOMER),
    )
    .await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("contacts.edit"), "{html}");
    assert_eq!(
        stored_contact(&server, CUSTOMER).await.unwrap().first_name,
        ""
    );

    let (status, page) = get(&alice, "/contacts").await;
    assert_eq!(status, 200);
    assert!(
        !page.contains("Add a contact"),
        "no add form without contacts.edit"
    );
    let (status, _) = post_form(&alice, "/contacts", &valid("+14155550102")).await;
    assert_eq!(status, 403);
    assert!(stored_contact(&server, "+14155550102").await.is_none());
    server.stop().await;
}

#[tokio::test]
async fn an_open_conversation_keeps_its_contact_when_the_mobile_moves() {
    let server = TestServer::start().await;
    let (alice, id, mut events) = accepted_workitem(&server).await;
    let before = stored_contact(&server, CUSTOMER).await.unwrap();
    save_contact(&alice, id, "+14155550109").await;
    // The customer's next text from the old number continues the open workitem...
    server
        .twilio_sms("SM2", CUSTOMER, "Still on my old phone")
        .await;
    let m = loop {
        let (name, data) = events.next().await;
        if name == "message" && data["message"]["direction"] == "in" {
            break data;
        }
    };
    assert_eq!(m["message"]["workitem"], id);
    // ...and creates no stray contact for the old number.
    assert!(stored_contact(&server, CUSTOMER).await.is_none());
    assert_eq!(
        stored_contact(&server, "+14155550109").await.unwrap().id,
        before.id
    );
    server.stop().await;
}
