//! Authentication and request protection over HTTP.

use parley::domain::Role;
use serde_json::json;

use crate::common::*;

/// Every route that needs a login, as (method, path).
const PROTECTED: &[(&str, &str)] = &[
    ("GET", "/workspace"),
    ("GET", "/admin"),
    ("GET", "/api/me"),
    ("GET", "/api/events"),
    ("GET", "/api/workitems/1"),
    ("POST", "/api/presence"),
    ("POST", "/api/workitems/1/accept"),
    ("POST", "/api/workitems/1/reject"),
    ("POST", "/api/workitems/1/terminate"),
    ("POST", "/api/workitems/1/messages"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/1/settings"),
];

async fn anonymous_with_csrf(server: &TestServer) -> Client {
    let client = Client::anonymous(&server.url);
    let html = client.get("/login").await.text().await.unwrap();
    Client {
        csrf: hidden_csrf(&html),
        ..client
    }
}

async fn send(client: &Client, method: &str, path: &str, csrf: bool) -> reqwest::Response {
    let url = format!("{}{path}", client.base);
    let req = match method {
        "GET" => client.http.get(url),
        _ => client.http.post(url).json(&json!({})),
    };
    let req = if csrf {
        req.header("X-CSRF-Token", &client.csrf)
    } else {
        req
    };
    req.send().await.unwrap()
}

#[tokio::test]
async fn every_protected_route_refuses_a_visitor_without_a_session() {
    let server = TestServer::start().await;
    let visitor = anonymous_with_csrf(&server).await;
    for (method, path) in PROTECTED {
        // Even with a valid pre-login CSRF token, no session means no entry.
        let res = send(&visitor, method, path, true).await;
        let status = res.status().as_u16();
        if path.starts_with("/api/") {
            assert_eq!(status, 401, "{method} {path}");
        } else if *method == "GET" {
            assert_eq!(status, 303, "{method} {path}");
            let to = res.headers()["location"].to_str().unwrap();
            assert!(to.starts_with("/login?next="), "{method} {path} → {to}");
        } else {
            assert!(status == 303 || status == 401, "{method} {path}: {status}");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn an_agent_cannot_reach_admin_routes() {
    let server = TestServer::start().await;
    server.add_user("alice", Role::Agent).await;
    let alice = server.login("alice").await;
    assert_eq!(alice.get("/admin").await.status(), 403);
    let res = alice
        .http
        .post(format!("{}/admin/users", server.url))
        .form(&[
            ("_csrf", alice.csrf.as_str()),
            ("username", "mallory"),
            ("role", "admin"),
            ("password", "0123456789abc"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let users = server
        .state
        .store
        .read(parley::store::all_users)
        .await
        .unwrap();
    assert_eq!(users.len(), 1, "no user was added");
    server.stop().await;
}

#[tokio::test]
async fn state_changing_requests_need_the_csrf_token() {
    let server = TestServer::start().await;
    server.add_user("alice", Role::Agent).await;
    let alice = server.login("alice").await;
    // JSON API without, and with a wrong, token.
    let res = send(&alice, "POST", "/api/presence", false).await;
    assert_eq!(res.status(), 403);
    let wrong = Client {
        csrf: "forged".into(),
        http: alice.http.clone(),
        base: alice.base.clone(),
    };
    assert_eq!(
        send(&wrong, "POST", "/api/presence", true).await.status(),
        403
    );
    // Forms: logout without the field is refused and the session survives.
    let res = alice
        .http
        .post(format!("{}/logout", server.url))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(alice.get("/api/me").await.status(), 200);
    // The login form needs the pre-login token too.
    let res = Client::anonymous(&server.url)
        .http
        .post(format!("{}/login", server.url))
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    server.stop().await;
}

#[tokio::test]
async fn login_errors_are_clear_and_keep_the_name() {
    let server = TestServer::start().await;
    server.add_user("alice", Role::Agent).await;
    let visitor = anonymous_with_csrf(&server).await;
    let res = visitor
        .http
        .post(format!("{}/login", server.url))
        .form(&[
            ("_csrf", visitor.csrf.as_str()),
            ("username", "alice"),
            ("password", "wrong password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let html = res.text().await.unwrap();
    assert!(html.contains("Wrong user name or password."));
    assert!(html.contains("value=\"alice\""), "typed name kept");
    let res = visitor
        .http
        .post(format!("{}/login", server.url))
        .form(&[
            ("_csrf", visitor.csrf.as_str()),
            ("username", ""),
            ("password", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Enter your user name and password.")
    );
    // Unknown users get the same message as a wrong password.
    let res = visitor
        .http
        .post(format!("{}/login", server.url))
        .form(&[
            ("_csrf", visitor.csrf.as_str()),
            ("username", "nobody"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Wrong user name or password.")
    );
    server.stop().await;
}

fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("parley_session="))
        .expect("session cookie set")
}

async fn login_raw(server: &TestServer, visitor: &Client) -> reqwest::Response {
    visitor
        .http
        .post(format!("{}/login", server.url))
        .form(&[
            ("_csrf", visitor.csrf.as_str()),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sessions_are_new_at_login_strict_cookies_and_end_on_the_server() {
    let server = TestServer::start().await;
    server.add_user("alice", Role::Agent).await;
    let visitor = anonymous_with_csrf(&server).await;
    let first = session_cookie(&login_raw(&server, &visitor).await);
    let second = session_cookie(&login_raw(&server, &visitor).await);
    assert_ne!(first, second, "a new session id at every login");
    assert!(first.contains("HttpOnly"));
    assert!(first.contains("SameSite=Strict"));
    assert!(!first.contains("Secure"), "plain http here");
    let token = first
        .trim_start_matches("parley_session=")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    // Log out that session with its own CSRF token; the old cookie is then worthless.
    let raw = reqwest::Client::new();
    let me: serde_json::Value = raw
        .get(format!("{}/api/me", server.url))
        .header("cookie", format!("parley_session={token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let res = raw
        .post(format!("{}/logout", server.url))
        .header("cookie", format!("parley_session={token}"))
        .form(&[("_csrf", me["csrf"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection());
    let after = raw
        .get(format!("{}/api/me", server.url))
        .header("cookie", format!("parley_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    server.stop().await;
}

#[tokio::test]
async fn idle_sessions_expire() {
    let server = TestServer::start().await;
    server.add_user("alice", Role::Agent).await;
    let alice = server.login("alice").await;
    server.advance(60 * 60);
    assert_eq!(alice.get("/api/me").await.status(), 200, "an hour is fine");
    server.advance(8 * 60 * 60 + 1);
    assert_eq!(alice.get("/api/me").await.status(), 401);
    server.stop().await;
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let server =
        TestServer::start_in(dir, |c| c.public_url = "https://parley.example".into()).await;
    server.add_user("alice", Role::Agent).await;
    let visitor = Client::anonymous(&server.url);
    let res = visitor.get("/login").await;
    let csrf_cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(csrf_cookie.contains("Secure"));
    server.stop().await;
}

#[tokio::test]
async fn an_admin_adds_users_with_validation() {
    let server = TestServer::start().await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let page = admin.get("/admin").await.text().await.unwrap();
    let csrf = hidden_csrf(&page);
    let post = |fields: Vec<(&'static str, String)>| {
        let http = admin.http.clone();
        let url = format!("{}/admin/users", server.url);
        let mut form = vec![("_csrf", csrf.clone())];
        form.extend(fields);
        async move { http.post(url).form(&form).send().await.unwrap() }
    };
    let short = post(vec![
        ("username", "carol".into()),
        ("display_name", "Carol <b>Danvers</b>".into()),
        ("role", "agent".into()),
        ("password", "short".into()),
    ])
    .await;
    assert_eq!(short.status(), 422);
    let html = short.text().await.unwrap();
    assert!(html.contains("password must be at least 12 characters"));
    assert!(
        html.contains("Carol &#60;b&#62;Danvers&#60;/b&#62;") || html.contains("Carol &lt;b&gt;"),
        "kept and escaped"
    );
    let ok = post(vec![
        ("username", "carol".into()),
        ("display_name", "Carol".into()),
        ("role", "supervisor".into()),
        ("password", PASSWORD.into()),
    ])
    .await;
    assert_eq!(ok.status(), 303);
    let taken = post(vec![
        ("username", "Carol".into()),
        ("role", "agent".into()),
        ("password", "long enough pass".into()),
    ])
    .await;
    assert_eq!(taken.status(), 422);
    assert!(taken.text().await.unwrap().contains("is taken"));
    let carol = server.login("carol").await;
    let me: serde_json::Value = carol.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["role"], "supervisor");
    server.stop().await;
}
