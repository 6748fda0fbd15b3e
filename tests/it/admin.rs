//! Administration over HTTP: queues, classes of service, users' class of service, who may
//! reach it, and a queue's offer timeout taking effect in routing.

use std::collections::BTreeSet;

use parley::domain::{ClassOfService, Permission, Queue, QueueId, Role, UserId};
use parley::store;

use crate::common::*;

mod classes;

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

async fn settings_of(server: &TestServer, user: UserId) -> parley::domain::AgentSettings {
    server
        .state
        .store
        .read(move |txn| store::agent_settings(txn, user))
        .await
        .unwrap()
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
