//! Classes of service: the admin's form and its rules, and giving one to an agent.

use super::*;

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
