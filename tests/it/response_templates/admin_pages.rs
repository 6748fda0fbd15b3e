//! The admin's template pages: refusals next to the field, listing, editing, deleting, and who may.

use super::*;

#[tokio::test]
async fn admin_refuses_bad_templates_next_to_the_field_keeping_what_was_typed() {
    let server = TestServer::start().await;
    let root = admin(&server).await;
    create(&root, "Greeting", "Hi {first_name}!", &[], &[]).await;

    let (status, page) = form_post(
        &root,
        "/admin/templates",
        &[
            ("name", "Order status"),
            ("text", "Hi {firstname}, your order 42 is on its way"),
            ("audience", "everyone"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(
            "{firstname} is not a placeholder. Use {first_name}, {last_name}, {agent_name} \
             or {campaign}."
        ),
        "{page}"
    );
    assert!(page.contains(r#"<span class="field-error" id="text-error">"#));
    assert!(page.contains("Hi {firstname}, your order 42 is on its way</textarea>"));
    assert!(page.contains(r#"value="Order status""#), "typed name kept");

    // Several errors at once, each next to its field.
    let (status, page) = form_post(
        &root,
        "/admin/templates",
        &[("name", "   "), ("text", ""), ("audience", "agents")],
    )
    .await;
    assert_eq!(status, 422);
    for expected in [
        r#"id="name-error">Enter a name."#,
        r#"id="text-error">Enter the text."#,
        r#"id="audience-error">Choose at least one agent, or choose Everyone."#,
    ] {
        assert!(page.contains(expected), "{expected} missing in {page}");
    }

    let (status, page) = form_post(
        &root,
        "/admin/templates",
        &[
            ("name", "greeting"),
            ("text", "Hello"),
            ("audience", "everyone"),
        ],
    )
    .await;
    assert_eq!(status, 422, "names are unique ignoring case");
    assert!(
        page.contains("There is already a template named &#34;greeting&#34;"),
        "{page}"
    );

    let long_name = "n".repeat(81);
    let long_text = "t".repeat(1601);
    let (status, page) = form_post(
        &root,
        "/admin/templates",
        &[
            ("name", &long_name),
            ("text", &long_text),
            ("audience", "everyone"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("The name is too long: at most 80 characters (this has 81)."));
    assert!(page.contains("The text is too long: at most 1600 characters (this has 1601)."));
    assert!(page.contains(&long_text), "typed text kept");

    let (status, _) = form_post(
        &root,
        "/admin/templates",
        &[
            ("name", "Ghost campaign"),
            ("text", "Hello"),
            ("campaign", "999"),
            ("audience", "everyone"),
        ],
    )
    .await;
    assert_eq!(status, 422, "an unknown campaign is refused");

    let all = stored(&server).await;
    assert_eq!(all.len(), 1, "nothing refused was stored: {all:?}");
    assert_eq!(all[0].name, "Greeting");
    server.stop().await;
}

#[tokio::test]
async fn admin_lists_edits_and_deletes_templates() {
    let server = TestServer::start().await;
    let root = admin(&server).await;
    let spring = campaign(&server, "Spring Sale", "+14155550111").await;
    let bob = server.add_user("bob", Role::Agent).await;
    create(&root, "Greeting", "Hi {first_name}!", &[], &[]).await;
    let id = stored(&server).await[0].id;

    let list = root.get("/admin/templates").await.text().await.unwrap();
    assert!(
        list.contains("Greeting") && list.contains("All campaigns") && list.contains("Everyone")
    );
    let edit = root.get(&format!("/admin/templates/{id}")).await;
    assert_eq!(edit.status(), 200);
    assert!(edit.text().await.unwrap().contains(r#"value="Greeting""#));

    // Saving under its own name is no clash.
    let (status, body) = form_post(
        &root,
        &format!("/admin/templates/{id}"),
        &[
            ("name", "Greeting"),
            ("text", "Hello {first_name}\r\nfrom {campaign}"),
            ("campaign", &spring.to_string()),
            ("audience", "agents"),
            ("agent", &bob.id.to_string()),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let all = stored(&server).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].body, "Hello {first_name}\nfrom {campaign}");
    assert_eq!(all[0].campaigns, vec![spring]);
    assert_eq!(all[0].audience, Audience::Agents(vec![bob.id]));
    let list = root.get("/admin/templates").await.text().await.unwrap();
    assert!(list.contains("Spring Sale") && list.contains("bob"));

    let (status, _) = form_post(&root, &format!("/admin/templates/{id}/delete"), &[]).await;
    assert_eq!(status, 303);
    assert!(stored(&server).await.is_empty());
    assert_eq!(
        root.get(&format!("/admin/templates/{id}")).await.status(),
        404
    );
    let (status, _) = form_post(&root, &format!("/admin/templates/{id}/delete"), &[]).await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test]
async fn only_admins_manage_templates() {
    let server = TestServer::start().await;
    let root = admin(&server).await;
    create(&root, "Greeting", "Hi!", &[], &[]).await;
    let id = stored(&server).await[0].id;
    server.add_user("alice", Role::Agent).await;
    server.add_user("sue", Role::Supervisor).await;
    for username in ["alice", "sue"] {
        let user = server.login(username).await;
        assert_eq!(user.get("/admin/templates").await.status(), 403);
        assert_eq!(
            user.get(&format!("/admin/templates/{id}")).await.status(),
            403
        );
        let fields = [("name", "Mine"), ("text", "x"), ("audience", "everyone")];
        assert_eq!(form_post(&user, "/admin/templates", &fields).await.0, 403);
        let path = format!("/admin/templates/{id}");
        assert_eq!(form_post(&user, &path, &fields).await.0, 403);
        let path = format!("/admin/templates/{id}/delete");
        assert_eq!(form_post(&user, &path, &[]).await.0, 403);
    }
    let all = stored(&server).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name, "Greeting");
    let anonymous = Client::anonymous(&server.url);
    assert_eq!(anonymous.get("/admin/templates").await.status(), 303);
    server.stop().await;
}
