//! Failed logins are throttled per (name, client address) and per address, with the client
//! address taken from `X-Forwarded-For` only behind a trusted proxy.

use std::net::IpAddr;

use parley::domain::Role;

use crate::common::*;

const WRONG: &str = "not the password";

fn local(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get("retry-after")
        .expect("Retry-After on a 429")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// `n` wrong passwords for `name`, each refused with a plain 401.
async fn fail(client: &Client, name: &str, n: usize) {
    for i in 0..n {
        let res = client.try_login(name, WRONG).await;
        assert_eq!(res.status(), 401, "failure {} of {n} for {name}", i + 1);
    }
}

/// Asserts a 429 waiting `secs`, with the wait on the page; returns the page.
async fn assert_throttled(res: reqwest::Response, secs: u64) -> String {
    assert_eq!(res.status(), 429);
    assert_eq!(retry_after(&res), secs);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Too many failed logins. Try again in"),
        "no message: {html}"
    );
    html
}

#[tokio::test]
async fn five_failures_then_429_even_for_the_right_password_while_another_address_logs_in() {
    let server = TestServer::start().await;
    server.add_user("alice", Role::Agent).await;
    let first = Client::visitor_from(&server.url, local(1)).await;
    fail(&first, "alice", 5).await;
    let html = assert_throttled(first.try_login("alice", WRONG).await, 60).await;
    assert!(html.contains("Try again in 1 minute."), "{html}");
    assert!(html.contains("value=\"alice\""), "the typed name is kept");
    // The right password is refused too: it is not even checked.
    let res = first.try_login("alice", PASSWORD).await;
    assert!(
        res.headers()
            .get("set-cookie")
            .is_none_or(|c| { !c.to_str().unwrap().starts_with("parley_session=") })
    );
    assert_throttled(res, 60).await;
    // The account is not locked for anyone else.
    let second = Client::visitor_from(&server.url, local(2)).await;
    let res = second.try_login("alice", PASSWORD).await;
    assert_eq!(res.status(), 303, "another address logs in");
    assert_eq!(second.get("/api/me").await.status(), 200);
    // And the first address still waits.
    assert_eq!(first.try_login("alice", PASSWORD).await.status(), 429);
    server.stop().await;
}

#[tokio::test]
async fn the_wait_ends_with_the_clock_and_doubles_up_to_fifteen_minutes() {
    let server = TestServer::start().await;
    server.add_user("alice", Role::Agent).await;
    let client = Client::visitor_from(&server.url, local(1)).await;
    fail(&client, "alice", 5).await;
    for wait in [60, 120, 240, 480, 900, 900] {
        assert_throttled(client.try_login("alice", WRONG).await, wait).await;
        server.advance(wait as i64 - 1);
        assert_eq!(
            client.try_login("alice", WRONG).await.status(),
            429,
            "1 s early"
        );
        server.advance(1);
        // Let through once the wait is over, and failing again doubles it.
        fail(&client, "alice", 1).await;
    }
    let html = assert_throttled(client.try_login("alice", PASSWORD).await, 900).await;
    assert!(html.contains("Try again in 15 minutes."), "{html}");
    server.advance(900);
    assert_eq!(client.try_login("alice", PASSWORD).await.status(), 303);
    server.stop().await;
}

#[tokio::test]
async fn a_success_clears_the_count() {
    let server = TestServer::start().await;
    server.add_user("alice", Role::Agent).await;
    let client = Client::visitor_from(&server.url, local(1)).await;
    fail(&client, "alice", 4).await;
    assert_eq!(client.try_login("alice", PASSWORD).await.status(), 303);
    // Four more and a fifth are failures again, not a wait; only the sixth waits.
    fail(&client, "alice", 5).await;
    assert_throttled(client.try_login("alice", WRONG).await, 60).await;
    server.stop().await;
}

#[tokio::test]
async fn an_address_guessing_many_names_waits_after_twenty() {
    let server = TestServer::start().await;
    server.add_user("alice", Role::Agent).await;
    let guesser = Client::visitor_from(&server.url, local(3)).await;
    for i in 0..20 {
        fail(&guesser, &format!("user{i}"), 1).await;
    }
    // Any name from that address now waits, even one never tried, with the right password.
    assert_throttled(guesser.try_login("alice", PASSWORD).await, 60).await;
    let other = Client::visitor_from(&server.url, local(4)).await;
    assert_eq!(other.try_login("alice", PASSWORD).await.status(), 303);
    server.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_throttled() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let server = TestServer::start_in(dir, |c| {
        c.trusted_proxies = "127.0.0.1, 10.0.0.0/8".parse().unwrap();
    })
    .await;
    server.add_user("alice", Role::Agent).await;
    let proxy = Client::visitor_from(&server.url, local(1)).await;
    for _ in 0..5 {
        let res = proxy
            .try_login_forwarded("alice", WRONG, Some("203.0.113.1"))
            .await;
        assert_eq!(res.status(), 401);
    }
    let res = proxy
        .try_login_forwarded("alice", PASSWORD, Some("203.0.113.1"))
        .await;
    assert_throttled(res, 60).await;
    // A forged entry to the left changes nothing; an inner trusted hop to the right is skipped.
    let res = proxy
        .try_login_forwarded(
            "alice",
            PASSWORD,
            Some("198.51.100.7, 203.0.113.1, 10.1.1.1"),
        )
        .await;
    assert_eq!(res.status(), 429);
    // Another client behind the same proxy is counted apart.
    let res = proxy
        .try_login_forwarded("alice", PASSWORD, Some("203.0.113.2"))
        .await;
    assert_eq!(res.status(), 303);
    server.stop().await;
}

#[tokio::test]
async fn an_untrusted_peer_cannot_choose_its_address() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let server = TestServer::start_in(dir, |c| {
        c.trusted_proxies = "127.0.0.1".parse().unwrap();
    })
    .await;
    server.add_user("alice", Role::Agent).await;
    let client = Client::visitor_from(&server.url, local(5)).await;
    // A new forwarded address on every try: ignored, the peer is counted.
    for i in 0..5 {
        let forwarded = format!("203.0.113.{i}");
        let res = client
            .try_login_forwarded("alice", WRONG, Some(&forwarded))
            .await;
        assert_eq!(res.status(), 401);
    }
    let res = client
        .try_login_forwarded("alice", PASSWORD, Some("203.0.113.99"))
        .await;
    assert_throttled(res, 60).await;
    server.stop().await;
}
