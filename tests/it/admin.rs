//! Administration over HTTP: queues, classes of service, users' class of service, who may
//! reach it, and a queue's offer timeout taking effect in routing.

use std::collections::BTreeSet;

use parley::domain::{ClassOfService, Permission, Queue, QueueId, Role, UserId};
use parley::store;

use crate::common::*;

/// An admin's browser, logged in.
async fn admin(server: &TestServer) -> Client {
    server.add_user("root", Role::Admin).await;
    server.login("root").await
}

/// Posts a form with the session's CSRF field, as the admin pages do; (status, body).
async fn form(client: &Client, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let mut all = vec![("_csrf", client.csrf.as_str())];
    all.extend_from_slice(fields);
    let res = client
        .http
        .post(format!("{}{path}", client.base))
        .form(&all)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn queues(server: &TestServer) -> Vec<Queue> {
    let mut q = server.state.store.read(store::all_queues).await.unwrap();
    q.sort_by_key(|q| q.id);
    q
}

async fn classes(server: &TestServer) -> Vec<ClassOfService> {
    let mut c = server.state.store.read(store::all_classes).await.unwrap();
    c.sort_by_key(|c| c.id);
    c
}

fn queue_form<'a>(name: &'a str, priority: &'a str, timeout: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("priority", priority),
        ("offer_timeout_secs", timeout),
        ("sla_secs", "60"),
    ]
}

#[tokio::test]
async fn queues_are_added_and_edited_and_every_rule_is_checked() {
    let server = TestServer::start().await;
    let support = server.default_queue().await;
    let root = admin(&server).await;
    let page = root.get("/admin/queues").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("value=\"Support\""), "{html}");
    let long = "q".repeat(61);
    let refused: &[(&str, &str, &str, &str)] = &[
        ("", "0", "20", "Enter a name for the queue."),
        ("   ", "0", "20", "Enter a name for the queue."),
        (&long, "0", "20", "at most 60 characters"),
        ("support", "0", "20", "There is already a queue called"),
        (
            "VIP",
            "101",
            "20",
            "Priority must be a whole number from -100 to 100",
        ),
        (
            "VIP",
            "-101",
            "20",
            "Priority must be a whole number from -100 to 100",
        ),
        ("VIP", "high", "20", "Priority must be a whole number"),
        ("VIP", "", "20", "Priority must be a whole number"),
        ("VIP", "0", "4", "from 5 to 600"),
        ("VIP", "0", "601", "from 5 to 600"),
        ("VIP", "0", "soon", "from 5 to 600"),
    ];
    for (name, priority, timeout, message) in refused {
        let (status, html) =
            form(&root, "/admin/queues", &queue_form(name, priority, timeout)).await;
        assert_eq!(status, 422, "{name:?} {priority:?} {timeout:?}");
        assert!(html.contains(message), "{message:?} missing: {html}");
        assert!(html.contains("class=\"field-error\""));
        assert!(html.contains("aria-invalid=\"true\""));
        // What was typed is still there.
        assert!(html.contains(&format!("value=\"{priority}\"")));
        assert!(html.contains(&format!("value=\"{timeout}\"")));
    }
    assert_eq!(queues(&server).await.len(), 1, "nothing refused was stored");
    // Typed markup comes back escaped.
    let (status, html) = form(&root, "/admin/queues", &queue_form("<b>VIP</b>", "0", "1")).await;
    assert_eq!(status, 422);
    assert!(html.contains("&#60;b&#62;VIP") || html.contains("&lt;b&gt;VIP"));
    assert!(!html.contains("<b>VIP</b>"));

    let (status, _) = form(&root, "/admin/queues", &queue_form(" VIP ", "10", "30")).await;
    assert_eq!(status, 303);
    let all = queues(&server).await;
    assert_eq!(all.len(), 2);
    let vip = all[1].clone();
    assert_eq!(
        (vip.name.as_str(), vip.priority, vip.offer_timeout_secs),
        ("VIP", 10, 30)
    );
    let html = root
        .get("/admin/queues?notice=Added+queue+VIP.")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("value=\"VIP\""));

    // Editing: the same rules, the name unique against the others but not itself.
    let vip_path = format!("/admin/queues/{}", vip.id);
    let (status, html) = form(&root, &vip_path, &queue_form("SUPPORT", "10", "30")).await;
    assert_eq!(status, 422);
    assert!(html.contains("There is already a queue called"));
    let (status, _) = form(&root, &vip_path, &queue_form("VIP", "100", "600")).await;
    assert_eq!(status, 303, "keeping its own name is fine");
    let (status, _) = form(&root, &vip_path, &queue_form("vip", "-100", "5")).await;
    assert_eq!(status, 303);
    let all = queues(&server).await;
    assert_eq!(all[0].id, support);
    assert_eq!(all[0].name, "Support", "the other queue is untouched");
    assert_eq!(
        (
            all[1].name.as_str(),
            all[1].priority,
            all[1].offer_timeout_secs
        ),
        ("vip", -100, 5)
    );
    // The service level: 5 s to a day, shown on the wallboard.
    for bad in ["4", "86401", "soon", ""] {
        let mut fields = queue_form("vip", "-100", "5");
        fields.retain(|(k, _)| *k != "sla_secs");
        fields.push(("sla_secs", bad));
        let (status, html) = form(&root, &vip_path, &fields).await;
        assert_eq!(status, 422, "{bad:?}");
        assert!(
            html.contains("The service level must be a whole number of seconds from 5 to 86400")
        );
    }
    let mut fields = queue_form("vip", "-100", "5");
    fields.retain(|(k, _)| *k != "sla_secs");
    fields.push(("sla_secs", "90"));
    assert_eq!(form(&root, &vip_path, &fields).await.0, 303);
    assert_eq!(queues(&server).await[1].sla_secs, 90);
    assert_eq!(
        queues(&server).await[0].sla_secs,
        60,
        "a new queue's default"
    );
    let (status, _) = form(&root, "/admin/queues/999", &queue_form("Ghost", "0", "20")).await;
    assert_eq!(status, 404);
    assert_eq!(queues(&server).await.len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_queues_new_offer_timeout_applies_to_the_next_offer() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let root = admin(&server).await;
    let (status, _) = form(
        &root,
        &format!("/admin/queues/{q}"),
        &queue_form("Support", "0", "7"),
    )
    .await;
    assert_eq!(status, 303);
    let alice = server.add_agent("alice", &[q], None).await;
    let client = server.login("alice").await;
    let mut events = client.events().await;
    client.available().await;
    server.twilio_sms("SM1", "+14155550101", "hello").await;
    let id = events.offer().await;
    server.advance(6);
    let snap = server.state.acd.snapshot(alice.id).await.unwrap();
    assert_eq!(
        snap.view
            .offers
            .iter()
            .map(|(w, _)| w.0)
            .collect::<Vec<_>>(),
        vec![id],
        "still offered after 6 s"
    );
    server.advance(1);
    let withdrawn = events.next_named("offer_withdrawn").await;
    assert_eq!(withdrawn["workitem"], id);
    assert_eq!(
        withdrawn["reason"], "timed_out",
        "timed out after 7 s, not 20"
    );
    server.stop().await;
}

#[tokio::test]
async fn classes_of_service_are_added_and_edited_and_every_rule_is_checked() {
    let server = TestServer::start().await;
    let root = admin(&server).await;
    let html = root.get("/admin/classes").await.text().await.unwrap();
    for p in Permission::ALL {
        assert!(html.contains(p.describe()), "{} unlabelled", p.as_str());
        assert!(html.contains(&format!("value=\"{}\"", p.as_str())));
    }
    let (status, _) = form(
        &root,
        "/admin/classes",
        &[("name", " Juniors "), ("permission", "notes.read")],
    )
    .await;
    assert_eq!(status, 303);
    let long = "c".repeat(61);
    let refused: &[(&[(&str, &str)], &str)] = &[
        (
            &[("name", ""), ("permission", "notes.read")],
            "Enter a name for the class of service.",
        ),
        (&[("name", &long)], "at most 60 characters"),
        (
            &[("name", "JUNIORS"), ("permission", "notes.create")],
            "There is already a class of service called",
        ),
        (
            &[
                ("name", "Seniors"),
                ("permission", "notes.read"),
                ("permission", "notes.delete"),
            ],
            "&#34;notes.delete&#34; is not a permission.",
        ),
    ];
    for (fields, message) in refused {
        let (status, html) = form(&root, "/admin/classes", fields).await;
        assert_eq!(status, 422, "{fields:?}");
        let message = if html.contains(message) {
            message.to_string()
        } else {
            message.replace("&#34;", "&quot;")
        };
        assert!(html.contains(&message), "{message:?} missing: {html}");
        assert!(html.contains("class=\"field-error\""));
    }
    // The typed choices of the refused form are kept (the new form has notes.read checked).
    let (_, html) = form(
        &root,
        "/admin/classes",
        &[("name", ""), ("permission", "outbound.send")],
    )
    .await;
    let new_form = &html[html.find("id=\"class-new\"").unwrap()..];
    assert!(
        new_form.contains("value=\"outbound.send\" checked"),
        "{new_form}"
    );
    let all = classes(&server).await;
    assert_eq!(all.len(), 1, "nothing refused was stored");
    let juniors = &all[0];
    assert_eq!(juniors.name, "Juniors");
    assert_eq!(juniors.permissions, BTreeSet::from([Permission::NotesRead]));

    // Editing.
    let (status, _) = form(&root, "/admin/classes", &[("name", "Seniors")]).await;
    assert_eq!(status, 303);
    let path = format!("/admin/classes/{}", juniors.id);
    let (status, html) = form(&root, &path, &[("name", "seniors")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("There is already a class of service called"));
    let (status, _) = form(
        &root,
        &path,
        &[
            ("name", "juniors"),
            ("permission", "notes.read"),
            ("permission", "notes.create"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let all = classes(&server).await;
    assert_eq!(all[0].name, "juniors");
    assert_eq!(
        all[0].permissions,
        BTreeSet::from([Permission::NotesRead, Permission::NotesCreate])
    );
    assert!(all[1].permissions.is_empty(), "a class may grant nothing");
    let (status, _) = form(&root, "/admin/classes/999", &[("name", "Ghost")]).await;
    assert_eq!(status, 404);
    assert_eq!(classes(&server).await.len(), 2);
    // The list shows each class's permissions as checked boxes.
    let html = root.get("/admin/classes").await.text().await.unwrap();
    let row = &html[html.find(&format!("id=\"class-{}\"", juniors.id)).unwrap()..];
    let row = &row[..row.find("</form>").unwrap()];
    assert!(row.contains("value=\"notes.read\" checked"));
    assert!(row.contains("value=\"notes.create\" checked"));
    assert!(!row.contains("value=\"outbound.send\" checked"));
    server.stop().await;
}

async fn settings_of(server: &TestServer, user: UserId) -> parley::domain::AgentSettings {
    server
        .state
        .store
        .read(move |txn| store::agent_settings(txn, user))
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_gives_an_agent_a_class_of_service() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let alice = server.add_agent("alice", &[q], None).await;
    let root = admin(&server).await;
    let class = server
        .state
        .store
        .write(|txn| {
            store::put_class(
                txn,
                None,
                "Readers",
                BTreeSet::from([Permission::NotesRead]),
            )
        })
        .await
        .unwrap();
    let path = format!("/admin/users/{}/settings", alice.id);
    let q = q.to_string();
    let class_id = class.id.to_string();
    let html = root.get("/admin").await.text().await.unwrap();
    assert!(html.contains("All permissions"));
    assert!(html.contains(">Readers</option>"));

    let (status, _) = form(
        &root,
        &path,
        &[("queue", &q), ("capacity", "2"), ("class", &class_id)],
    )
    .await;
    assert_eq!(status, 303);
    let saved = settings_of(&server, alice.id).await;
    assert_eq!(saved.class_of_service, Some(class.id));
    assert_eq!(saved.capacity, Some(2));
    assert_eq!(saved.queues, vec![QueueId(q.parse().unwrap())]);
    let html = root.get("/admin").await.text().await.unwrap();
    assert!(
        html.contains(&format!("value=\"{class_id}\" selected")),
        "the page shows the class: {html}"
    );

    let refused: &[(&[(&str, &str)], &str)] = &[
        (&[("class", "999")], "Class of service 999 does not exist."),
        (&[("class", "readers")], "is not a class of service."),
        (
            &[("capacity", "0")],
            "Capacity must be a whole number from 1 to 50.",
        ),
        (
            &[("capacity", "51")],
            "Capacity must be a whole number from 1 to 50.",
        ),
        (&[("queue", "42")], "Queue 42 does not exist."),
    ];
    for (fields, message) in refused {
        let (status, html) = form(&root, &path, fields).await;
        assert_eq!(status, 422, "{fields:?}");
        assert!(html.contains(message), "{message:?} missing: {html}");
        assert!(html.contains("class=\"field-error\""));
        assert_eq!(
            settings_of(&server, alice.id).await,
            saved,
            "a refused save changes nothing"
        );
    }
    // Typed values come back: the refused capacity is in the field.
    let (_, html) = form(&root, &path, &[("capacity", "51"), ("class", &class_id)]).await;
    assert!(html.contains("value=\"51\""));
    // "All permissions" removes the class.
    let (status, _) = form(&root, &path, &[("queue", &q), ("class", "")]).await;
    assert_eq!(status, 303);
    let cleared = settings_of(&server, alice.id).await;
    assert_eq!(cleared.class_of_service, None);
    assert_eq!(cleared.capacity, None);
    let (status, _) = form(&root, "/admin/users/999/settings", &[("class", "")]).await;
    assert_eq!(status, 404);
    server.stop().await;
}

/// A form's fields, owned.
type FormFields = Vec<(&'static str, String)>;

#[tokio::test]
async fn agents_and_supervisors_are_refused_every_admin_route() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let root = admin(&server).await;
    let (status, _) = form(&root, "/admin/classes", &[("name", "Base")]).await;
    assert_eq!(status, 303);
    server.add_user("alice", Role::Agent).await;
    server.add_user("sue", Role::Supervisor).await;
    let class = classes(&server).await[0].id;
    let routes: Vec<(&str, String, FormFields)> = vec![
        ("GET", "/admin".into(), vec![]),
        ("GET", "/admin/queues".into(), vec![]),
        ("GET", "/admin/classes".into(), vec![]),
        (
            "POST",
            "/admin/queues".into(),
            vec![
                ("name", "Mallory".into()),
                ("priority", "100".into()),
                ("offer_timeout_secs", "5".into()),
                ("sla_secs", "60".into()),
            ],
        ),
        (
            "POST",
            format!("/admin/queues/{q}"),
            vec![
                ("name", "Mallory".into()),
                ("priority", "100".into()),
                ("offer_timeout_secs", "5".into()),
                ("sla_secs", "60".into()),
            ],
        ),
        (
            "POST",
            "/admin/classes".into(),
            vec![("name", "Mallory".into())],
        ),
        (
            "POST",
            format!("/admin/classes/{class}"),
            vec![
                ("name", "Mallory".into()),
                ("permission", "notes.read".into()),
            ],
        ),
        (
            "POST",
            "/admin/users/1/settings".into(),
            vec![("class", class.to_string())],
        ),
    ];
    for who in ["alice", "sue"] {
        let client = server.login(who).await;
        for (method, path, fields) in &routes {
            let status = if *method == "GET" {
                client.get(path).await.status().as_u16()
            } else {
                let fields: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                form(&client, path, &fields).await.0
            };
            assert_eq!(status, 403, "{who}: {method} {path}");
        }
    }
    let all = queues(&server).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name, "Support");
    let all = classes(&server).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name, "Base");
    assert!(all[0].permissions.is_empty());
    assert_eq!(settings_of(&server, UserId(1)).await.class_of_service, None);
    server.stop().await;
}

#[tokio::test]
async fn every_admin_page_has_the_admin_menu() {
    let server = TestServer::start().await;
    let root = admin(&server).await;
    for (path, current) in [
        ("/admin", "Users"),
        ("/admin/queues", "Queues"),
        ("/admin/classes", "Classes of service"),
    ] {
        let html = root.get(path).await.text().await.unwrap();
        for link in [
            "href=\"/admin\"",
            "href=\"/admin/queues\"",
            "href=\"/admin/classes\"",
        ] {
            assert!(html.contains(link), "{path} lacks {link}");
        }
        assert!(
            html.contains(&format!("aria-current=\"page\">{current}</a>")),
            "{path} marks {current}"
        );
    }
    server.stop().await;
}
