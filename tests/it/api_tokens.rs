//! API token administration (`/admin/tokens`) over HTTP: an admin creates a token for a user
//! (shown once), it reads the API, the list never shows it, revoking stops it at once; only
//! admins get there, and every change needs the CSRF token.

use parley::domain::Role;

use crate::common::*;

/// Posts an admin form with the session's CSRF field; (status, body).
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

/// The text inside the element with `id`.
fn inside<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let start = at + html[at..].find('>').unwrap() + 1;
    &html[start..start + html[start..].find('<').unwrap()]
}

async fn search_with(server: &TestServer, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/api/search?q=anything", server.url))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn an_admin_creates_a_token_that_works_until_revoked() {
    let server = TestServer::start().await;
    server.add_user("root", Role::Admin).await;
    let boss = server.add_user("boss", Role::Supervisor).await;
    let root = server.login("root").await;
    let (status, html) = form(
        &root,
        "/admin/tokens",
        &[("user", &boss.id.0.to_string()), ("label", "BI <export>")],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let token = inside(&html, "new-token-value").to_owned();
    assert!(token.len() >= 40, "a long random token: {token}");
    assert!(html.contains("cannot be shown again"));
    assert!(html.contains("BI &#60;export&#62;"), "labels are escaped");
    assert_eq!(search_with(&server, &token).await, 200);

    // The list names it but never shows it again.
    let list = root.get("/admin/tokens").await.text().await.unwrap();
    assert!(list.contains("<td>BI &#60;export&#62;</td>"), "{list}");
    assert!(list.contains("boss (boss, supervisor)"));
    assert!(!list.contains(&token));
    assert!(!list.contains("new-token-value"));
    assert!(
        list.contains("aria-current=\"page\">API tokens</a>"),
        "in the admin menu"
    );
    assert!(
        list.contains("href=\"/search\""),
        "the admin top bar links to search"
    );
    let stored = server
        .state
        .store
        .read(parley::store::all_api_tokens)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let (hash, record) = &stored[0];
    assert_eq!(record.user, boss.id);
    assert_eq!(record.label, "BI <export>");
    assert_ne!(hash, &token, "only a hash is stored");

    // Revoking needs the CSRF token.
    let revoke = format!("/admin/tokens/{hash}/revoke");
    let res = root
        .http
        .post(format!("{}{revoke}", server.url))
        .form(&[("_csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(search_with(&server, &token).await, 200);
    let (status, _) = form(&root, &revoke, &[]).await;
    assert_eq!(status, 303);
    assert_eq!(search_with(&server, &token).await, 401, "revoked at once");
    let list = root.get("/admin/tokens").await.text().await.unwrap();
    assert!(list.contains("id=\"no-tokens\""));
    let (status, _) = form(&root, &revoke, &[]).await;
    assert_eq!(status, 404, "revoked already");
    server.stop().await;
}

#[tokio::test]
async fn a_refused_token_keeps_what_was_typed_and_creating_needs_csrf() {
    let server = TestServer::start().await;
    server.add_user("root", Role::Admin).await;
    let boss = server.add_user("boss", Role::Supervisor).await;
    let root = server.login("root").await;
    let boss_id = boss.id.0.to_string();
    let (status, html) = form(
        &root,
        "/admin/tokens",
        &[("user", &boss_id), ("label", "  ")],
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        inside(&html, "token-label-error"),
        "Enter a label saying what the token is for."
    );
    assert!(html.contains(&format!("<option value=\"{boss_id}\" selected>")));
    let (status, html) = form(
        &root,
        "/admin/tokens",
        &[("user", "999"), ("label", "Export")],
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        inside(&html, "token-user-error"),
        "Choose the user the token acts as."
    );
    assert!(html.contains("value=\"Export\""));
    let long = "x".repeat(101);
    let (status, html) = form(
        &root,
        "/admin/tokens",
        &[("user", &boss_id), ("label", &long)],
    )
    .await;
    assert_eq!(status, 422);
    assert!(inside(&html, "token-label-error").contains("at most 100 characters"));

    let res = root
        .http
        .post(format!("{}/admin/tokens", server.url))
        .form(&[("user", boss_id.as_str()), ("label", "No CSRF")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let stored = server
        .state
        .store
        .read(parley::store::all_api_tokens)
        .await
        .unwrap();
    assert!(stored.is_empty(), "nothing refused was stored");
    server.stop().await;
}

#[tokio::test]
async fn only_admins_manage_tokens() {
    let server = TestServer::start().await;
    let boss = server.add_user("boss", Role::Supervisor).await;
    server.add_user("agent1", Role::Agent).await;
    let token = parley::web::auth::create_api_token(
        &server.state.store,
        boss.id,
        "kept",
        server.clock.now(),
    )
    .await
    .unwrap();
    let hash = server
        .state
        .store
        .read(parley::store::all_api_tokens)
        .await
        .unwrap()[0]
        .0
        .clone();
    for who in ["boss", "agent1"] {
        let client = server.login(who).await;
        assert_eq!(client.get("/admin/tokens").await.status(), 403, "{who}");
        let (status, _) = form(
            &client,
            "/admin/tokens",
            &[("user", &boss.id.0.to_string()), ("label", "mine")],
        )
        .await;
        assert_eq!(status, 403, "{who} creates");
        let (status, _) = form(&client, &format!("/admin/tokens/{hash}/revoke"), &[]).await;
        assert_eq!(status, 403, "{who} revokes");
    }
    // A token cannot reach the page either (tokens only read /api/).
    let res = reqwest::Client::new()
        .get(format!("{}/admin/tokens", server.url))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let anon = Client::anonymous(&server.url);
    assert_eq!(anon.get("/admin/tokens").await.status(), 303);
    assert_eq!(search_with(&server, &token).await, 200, "still there");
    server.stop().await;
}
