//! Served over plain HTTP on a network address, Parley warns admins on every admin page; on
//! loopback, or with an https public URL, it does not.

use parley::domain::Role;

use crate::common::*;

const BANNER: &str = "id=\"plain-http-warning\"";

async fn admin_pages_warn(server: &TestServer) -> Vec<bool> {
    server.add_user("boss", Role::Admin).await;
    let boss = server.login("boss").await;
    let mut warned = Vec::new();
    for path in [
        "/admin",
        "/admin/queues",
        "/admin/campaigns",
        "/admin/tokens",
    ] {
        let res = boss.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.unwrap();
        warned.push(html.contains(BANNER) && html.contains("TLS proxy"));
    }
    warned
}

#[tokio::test]
async fn admins_are_warned_only_when_served_over_plain_http_on_the_network() {
    // Every network, plain HTTP: the warning is on each admin page (and not for agents).
    let server = TestServer::start_bound("0.0.0.0:0", |_| {}).await;
    assert!(server.state.plain_http_on_lan);
    assert_eq!(admin_pages_warn(&server).await, [true; 4]);
    server.add_user("alice", Role::Agent).await;
    let alice = server.login("alice").await;
    let workspace = alice.get("/workspace").await.text().await.unwrap();
    assert!(!workspace.contains(BANNER));
    server.stop().await;

    // Loopback only: no warning.
    let server = TestServer::start().await;
    assert_eq!(admin_pages_warn(&server).await, [false; 4]);
    server.stop().await;

    // Every network behind an https public URL (TLS ends at a proxy): no warning.
    let server = TestServer::start_bound("0.0.0.0:0", |c| {
        c.public_url = "https://sms.example.com".into();
        c.auth.secure_cookies = Some(false); // the test client speaks plain HTTP to it
    })
    .await;
    assert_eq!(admin_pages_warn(&server).await, [false; 4]);
    server.stop().await;
}
