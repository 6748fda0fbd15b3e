//! Account lifecycle over HTTP: an admin disables and enables a user, changes a role, resets
//! a password; every user changes their own; `parley user passwd` from the command line. Each
//! change that takes something away ends the user's sessions and open streams at once, and
//! the last enabled admin can be neither disabled nor demoted.

use std::time::Duration;

use parley::domain::{Role, User};
use serde_json::json;

use crate::common::*;

/// How soon an ended session's stream must close: at once, with room for a loaded machine.
const AT_ONCE: Duration = Duration::from_secs(5);
const CUSTOMER: &str = "+14155550123";

/// An admin `root`, and agents alice and bob in the default queue.
async fn floor() -> (TestServer, Client, User, User) {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.add_user("root", Role::Admin).await;
    let alice = server.add_agent("alice", &[queue], None).await;
    let bob = server.add_agent("bob", &[queue], None).await;
    let root = server.login("root").await;
    (server, root, alice, bob)
}

async fn admin_action(
    root: &Client,
    user: &User,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let (status, body, _) = root
        .form_post(&format!("/admin/users/{}/{action}", user.id), fields, true)
        .await;
    (status, body)
}

#[tokio::test]
async fn disabling_ends_everything_at_once_and_hands_the_work_to_others() {
    let (server, root, alice, bob) = floor().await;
    let a = server.login("alice").await;
    let mut a_events = a.events().await;
    a.available().await;
    let token = parley::web::auth::create_api_token(
        &server.state.store,
        alice.id,
        "report",
        server.clock.now(),
    )
    .await
    .unwrap();
    let with_token = || {
        reqwest::Client::new()
            .get(format!("{}/api/me", server.url))
            .header("Authorization", format!("Bearer {token}"))
            .send()
    };
    assert_eq!(with_token().await.unwrap().status(), 200);

    // Alice holds one active workitem and one offer; bob is not connected yet.
    server.twilio_sms("SM1", CUSTOMER, "first").await;
    let active = a_events.offer().await;
    a.post_ok(&format!("/api/workitems/{active}/accept"), json!({}))
        .await;
    server.twilio_sms("SM2", "+14155550124", "second").await;
    let offered = a_events.offer().await;

    let (status, body) = admin_action(&root, &alice, "disable", &[]).await;
    assert_eq!(status, 303, "{body}");
    a_events.assert_ends_within(AT_ONCE, "disabling").await;
    assert_eq!(a.get("/api/me").await.status(), 401, "her session ended");
    assert_eq!(
        with_token().await.unwrap().status(),
        401,
        "her tokens stop at once"
    );
    let refused = server.try_login("alice", PASSWORD).await.err().unwrap();
    assert!(
        refused.1.contains("This account is disabled"),
        "{}",
        refused.1
    );
    let page = root.get("/admin").await.text().await.unwrap();
    assert!(
        page.contains(&format!("id=\"disabled-{}\"", alice.id)),
        "{page}"
    );

    // Bob comes in and gets both: the offer and the workitem she was handling.
    let b = server.login("bob").await;
    let mut b_events = b.events().await;
    b.available().await;
    let mut got = vec![b_events.offer().await, b_events.offer().await];
    got.sort();
    let mut want = vec![active, offered];
    want.sort();
    assert_eq!(got, want);
    let events = root
        .get(&format!("/workspace/workitems/{active}/tabs/events"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        events.contains("back to the queue: alice was disabled by root"),
        "the workitem's events say why: {events}"
    );

    // Enabled again, she logs in as before.
    let (status, _) = admin_action(&root, &alice, "enable", &[]).await;
    assert_eq!(status, 303);
    server.login("alice").await;
    let _ = bob;
    server.stop().await;
}

#[tokio::test]
async fn a_role_change_ends_the_users_sessions() {
    let (server, root, alice, _) = floor().await;
    let a = server.login("alice").await;
    let mut a_events = a.events().await;
    assert_eq!(a.get("/search").await.status(), 403);

    let (status, _) = admin_action(&root, &alice, "role", &[("role", "supervisor")]).await;
    assert_eq!(status, 303);
    a_events.assert_ends_within(AT_ONCE, "a role change").await;
    assert_eq!(a.get("/api/me").await.status(), 401);
    let again = server.login("alice").await;
    assert_eq!(
        again.get("/search").await.status(),
        200,
        "the new role counts"
    );

    let (status, body) = admin_action(&root, &alice, "role", &[("role", "boss")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("unknown role"), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn the_last_enabled_admin_can_be_neither_disabled_nor_demoted() {
    let (server, root, _, _) = floor().await;
    let me = server
        .state
        .store
        .read(|t| parley::store::user_by_name(t, "root"))
        .await
        .unwrap()
        .unwrap();
    for (action, fields) in [("disable", vec![]), ("role", vec![("role", "agent")])] {
        let (status, body) = admin_action(&root, &me, action, &fields).await;
        assert_eq!(status, 422, "{action}: {body}");
        assert!(body.contains("root is the last enabled admin"), "{body}");
    }
    // A disabled admin does not count.
    let other = server.add_user("other", Role::Admin).await;
    let (status, _) = admin_action(&root, &other, "disable", &[]).await;
    assert_eq!(status, 303);
    let (status, _) = admin_action(&root, &me, "role", &[("role", "agent")]).await;
    assert_eq!(status, 422);
    // With a second enabled admin, root may step down (and is logged out).
    let (status, _) = admin_action(&root, &other, "enable", &[]).await;
    assert_eq!(status, 303);
    let (status, _) = admin_action(&root, &me, "role", &[("role", "agent")]).await;
    assert_eq!(status, 303);
    assert_eq!(root.get("/api/me").await.status(), 401);
    server.stop().await;
}

#[tokio::test]
async fn an_admin_resets_a_password_shown_once() {
    let (server, root, alice, _) = floor().await;
    let a = server.login("alice").await;
    let mut a_events = a.events().await;
    let (status, body) = admin_action(&root, &alice, "password", &[]).await;
    assert_eq!(status, 200, "{body}");
    let at = body
        .find("id=\"new-password-value\">")
        .expect("the new password")
        + 24;
    let password = &body[at..at + body[at..].find('<').unwrap()];
    assert!(password.len() >= 12, "{password}");
    a_events
        .assert_ends_within(AT_ONCE, "a password reset")
        .await;
    assert!(
        server.try_login("alice", PASSWORD).await.is_err(),
        "the old one is gone"
    );
    server
        .try_login("alice", password)
        .await
        .expect("the new one works");
    let page = root.get("/admin").await.text().await.unwrap();
    assert!(!page.contains(password), "shown only once");
    server.stop().await;
}

#[tokio::test]
async fn every_user_changes_their_own_password() {
    let (server, _, _, _) = floor().await;
    let here = server.login("alice").await;
    let elsewhere = server.login("alice").await;
    let mut elsewhere_events = elsewhere.events().await;
    let new = "a much longer passphrase";
    for (current, new_pw, confirm, why) in [
        (
            "wrong password!",
            new,
            new,
            "Your current password is not right",
        ),
        (PASSWORD, "too short", "too short", "at least 12 characters"),
        (
            PASSWORD,
            new,
            "something else entirely",
            "The two new passwords differ",
        ),
    ] {
        let (status, body, _) = here
            .form_post(
                "/settings/password",
                &[
                    ("current_password", current),
                    ("new_password", new_pw),
                    ("confirm_password", confirm),
                ],
                true,
            )
            .await;
        assert_eq!(status, 422, "{why}");
        assert!(body.contains(why), "{why}: {body}");
    }
    server
        .try_login("alice", PASSWORD)
        .await
        .expect("nothing changed yet");

    let (status, _, location) = here
        .form_post(
            "/settings/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new),
                ("confirm_password", new),
            ],
            true,
        )
        .await;
    assert_eq!(status, 303);
    assert!(location.starts_with("/settings?notice="), "{location}");
    elsewhere_events
        .assert_ends_within(AT_ONCE, "a password change")
        .await;
    assert_eq!(elsewhere.get("/api/me").await.status(), 401);
    // This browser got a new session and goes on.
    assert_eq!(here.get("/api/me").await.status(), 200);
    assert!(server.try_login("alice", PASSWORD).await.is_err());
    server
        .try_login("alice", new)
        .await
        .expect("the new password works");
    server.stop().await;
}

#[tokio::test]
async fn user_passwd_sets_a_password_from_the_command_line() {
    let server = TestServer::start().await;
    server.add_user("carol", Role::Agent).await;
    let carol = server.login("carol").await;
    let dir = server.stop().await;

    let run = |input: &str| {
        parley_command(
            dir.path(),
            &["user", "passwd", "carol", "--password-stdin"],
            input,
        )
    };
    let short = run("short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
    let ok = run("from the command line\n");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("their sessions have ended"));

    let server = TestServer::start_in(dir, |_| {}).await;
    let again = Client {
        base: server.url.clone(),
        ..carol
    };
    assert_eq!(again.get("/api/me").await.status(), 401, "sessions ended");
    assert!(server.try_login("carol", PASSWORD).await.is_err());
    server
        .try_login("carol", "from the command line")
        .await
        .expect("the new password works");
    let audit = server
        .state
        .store
        .read(|txn| {
            parley::store::audit_entries(txn, &parley::store::AuditFilter::default(), None, 100)
        })
        .await
        .unwrap();
    assert!(
        audit
            .entries
            .iter()
            .any(|(_, e)| e.kind == parley::domain::AuditKind::PasswordReset
                && e.actor_name == "(command line)"
                && e.target == "carol"),
        "the command line's reset is in the audit log"
    );
    server.stop().await;
}
