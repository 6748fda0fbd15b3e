//! The audit log: each security-relevant act is recorded with time, actor, client address and
//! target; `/admin/audit` filters and pages it, exports it as CSV with formula cells defused;
//! only admins see it.

use parley::domain::{AuditEntry, AuditKind, CampaignKind, Role};
use parley::store::AuditFilter;

use crate::common::*;

/// Every entry, oldest first.
async fn entries(server: &TestServer) -> Vec<AuditEntry> {
    let page = server
        .state
        .store
        .read(|txn| parley::store::audit_entries(txn, &AuditFilter::default(), None, 10_000))
        .await
        .unwrap();
    page.entries.into_iter().rev().map(|(_, e)| e).collect()
}

fn has(all: &[AuditEntry], kind: AuditKind, actor: &str, target: &str) -> bool {
    all.iter()
        .any(|e| e.kind == kind && e.actor_name == actor && e.target.contains(target))
}

#[tokio::test]
async fn admin_acts_are_recorded_with_actor_and_target() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.add_user("root", Role::Admin).await;
    let alice = server.add_agent("alice", &[queue], None).await;
    let root = server.login("root").await;
    let id = alice.id;

    let add = [
        ("username", "=cmd|carol"),
        ("display_name", "Carol"),
        ("role", "agent"),
        ("password", "long enough password"),
    ];
    let (status, body, _) = root.form_post("/admin/users", &add, true).await;
    assert_eq!(status, 422, "a bad name is refused: {body}");
    let add = [
        ("username", "carol"),
        ("display_name", "Carol"),
        ("role", "agent"),
        ("password", "long enough password"),
    ];
    assert_eq!(root.form_post("/admin/users", &add, true).await.0, 303);
    for (action, fields) in [
        ("role", vec![("role", "supervisor")]),
        ("disable", vec![]),
        ("enable", vec![]),
        ("password", vec![]),
    ] {
        let path = format!("/admin/users/{id}/{action}");
        let (status, _, _) = root.form_post(&path, &fields, true).await;
        assert!(status == 303 || status == 200, "{action}: {status}");
    }
    let (status, _, _) = root
        .form_post(
            "/admin/queues",
            &[
                ("name", "Sales"),
                ("priority", "0"),
                ("offer_timeout_secs", "20"),
                ("sla_secs", "60"),
            ],
            true,
        )
        .await;
    assert_eq!(status, 303);
    let (status, html, _) = root
        .form_post(
            "/admin/tokens",
            &[("user", &id.0.to_string()), ("label", "BI")],
            true,
        )
        .await;
    assert_eq!(status, 200, "{html}");

    let all = entries(&server).await;
    assert!(has(&all, AuditKind::UserCreated, "root", "carol"));
    assert!(
        !all.iter().any(|e| e.target.contains("=cmd")),
        "refusals are not changes"
    );
    assert!(has(&all, AuditKind::RoleChanged, "root", "alice"));
    assert!(has(&all, AuditKind::UserDisabled, "root", "alice"));
    assert!(has(&all, AuditKind::UserEnabled, "root", "alice"));
    assert!(has(&all, AuditKind::PasswordReset, "root", "alice"));
    assert!(has(
        &all,
        AuditKind::AdminChange,
        "root",
        "POST /admin/queues"
    ));
    assert!(has(&all, AuditKind::TokenCreated, "root", "alice"));
    let role = all
        .iter()
        .find(|e| e.kind == AuditKind::RoleChanged)
        .unwrap();
    assert_eq!(role.detail, "to supervisor");
    assert_eq!(role.client, "127.0.0.1", "the client's address");
    assert!(all.iter().all(|e| e.actor.is_some()));
    server.stop().await;
}

#[tokio::test]
async fn agent_consent_changes_and_campaign_runs_are_recorded() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.add_user("root", Role::Admin).await;
    server.add_agent("alice", &[queue], None).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;
    server.twilio_sms("SM1", "+14155550123", "hi").await;
    let w = events.offer().await;
    alice
        .post_ok(&format!("/api/workitems/{w}/accept"), serde_json::json!({}))
        .await;
    let (status, body, _) = alice
        .form_post(
            &format!("/workspace/workitems/{w}/consent"),
            &[("change", "opt_out")],
            true,
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let campaign = server
        .campaign(
            "Spring",
            CampaignKind::Predictive,
            queue,
            "+14155550199",
            |_| {},
        )
        .await;
    let root = server.login("root").await;
    // Refused (no leads): not recorded as a start.
    let (status, _, _) = root
        .form_post(
            &format!("/admin/campaigns/{campaign}/run"),
            &[("action", "start")],
            true,
        )
        .await;
    assert_eq!(status, 422);

    let all = entries(&server).await;
    let consent = all
        .iter()
        .find(|e| e.kind == AuditKind::ConsentChanged)
        .expect("the consent change");
    assert_eq!(consent.actor_name, "alice");
    assert_eq!(consent.target, "+14155550123");
    assert!(
        consent.detail.starts_with("opted out"),
        "{}",
        consent.detail
    );
    assert!(!all.iter().any(|e| e.kind == AuditKind::CampaignRun));
    server.stop().await;
}

#[tokio::test]
async fn the_page_filters_pages_and_exports_csv_for_admins_only() {
    let server = TestServer::start().await;
    server.add_user("root", Role::Admin).await;
    server.add_user("sam", Role::Supervisor).await;
    let root = server.login("root").await;
    let sam = server.login("sam").await;
    // 60 entries by root, then one by a name that a spreadsheet would run.
    let now = server.clock.now();
    server
        .state
        .store
        .write(move |txn| {
            for i in 0..60 {
                let e = AuditEntry {
                    at: now + chrono::Duration::seconds(i),
                    actor: None,
                    actor_name: "root".into(),
                    client: "10.0.0.9".into(),
                    kind: AuditKind::AdminChange,
                    target: format!("POST /admin/queues/{i}"),
                    detail: String::new(),
                };
                parley::store::append_audit(txn, &e)?;
            }
            let e = AuditEntry {
                at: now + chrono::Duration::seconds(61),
                actor: None,
                actor_name: "mallory".into(),
                client: "10.0.0.10".into(),
                kind: AuditKind::LoginFailed,
                target: "=HYPERLINK(\"x\")".into(),
                detail: "-2+3".into(),
            };
            parley::store::append_audit(txn, &e)?;
            Ok(())
        })
        .await
        .unwrap();

    assert_eq!(sam.get("/admin/audit").await.status(), 403);
    assert_eq!(sam.get("/admin/audit.csv").await.status(), 403);

    let html = root.get("/admin/audit").await.text().await.unwrap();
    assert!(html.contains("aria-current=\"page\">Audit log</a>"));
    let first = html.find("=HYPERLINK").expect("the newest first");
    assert!(first < html.find("POST /admin/queues/59").unwrap());
    assert!(!html.contains("POST /admin/queues/10<"), "50 per page");
    let older = html
        .find("id=\"audit-older\"")
        .expect("a link to older entries");
    let href_at = html[..older].rfind("href=\"").unwrap() + 6;
    let href = html[href_at..href_at + html[href_at..].find('"').unwrap()]
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let page2 = root.get(&href).await.text().await.unwrap();
    assert!(page2.contains("POST /admin/queues/10<") && page2.contains("POST /admin/queues/0<"));
    assert!(!page2.contains("POST /admin/queues/11<"), "no entry twice");

    let by_kind = root
        .get("/admin/audit?kind=login_failed")
        .await
        .text()
        .await
        .unwrap();
    assert!(by_kind.contains("mallory") && !by_kind.contains("POST /admin/queues"));
    let by_actor = root
        .get("/admin/audit?actor=Mallory")
        .await
        .text()
        .await
        .unwrap();
    assert!(by_actor.contains("10.0.0.10") && !by_actor.contains("10.0.0.9"));
    let tomorrow = (now + chrono::Duration::days(1)).format("%Y-%m-%d");
    let later = root
        .get(&format!("/admin/audit?from={tomorrow}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(later.contains("id=\"audit-empty\""));
    let bad = root.get("/admin/audit?from=yesterday").await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("From must be a date"));

    let csv = root.get("/admin/audit.csv?actor=mallory").await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = csv.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "time,actor,client,kind,target,detail");
    assert_eq!(lines.len(), 2, "{body}");
    assert!(
        lines[1].contains(",mallory,10.0.0.10,login_failed,\"'=HYPERLINK(\"\"x\"\")\",'-2+3"),
        "{body}"
    );
    server.stop().await;
}

#[tokio::test]
async fn no_route_changes_or_removes_an_entry() {
    let server = TestServer::start().await;
    server.add_user("root", Role::Admin).await;
    let root = server.login("root").await;
    let (status, _, _) = root
        .form_post(
            "/admin/queues",
            &[
                ("name", "Sales"),
                ("priority", "0"),
                ("offer_timeout_secs", "20"),
                ("sla_secs", "60"),
            ],
            true,
        )
        .await;
    assert_eq!(status, 303);
    let before = entries(&server).await;
    assert_eq!(before.len(), 2, "the login and the queue");

    let audit_routes: Vec<_> = parley::web::route_list(&server.state)
        .into_iter()
        .filter(|(_, p)| p.starts_with("/admin/audit"))
        .collect();
    assert!(!audit_routes.is_empty());
    assert!(
        audit_routes
            .iter()
            .all(|(m, _)| *m == axum::http::Method::GET),
        "the audit log is read-only: {audit_routes:?}"
    );
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        for path in ["/admin/audit", "/admin/audit.csv", "/admin/audit/1"] {
            let res = root
                .http
                .request(method.parse().unwrap(), format!("{}{path}", server.url))
                .header("X-CSRF-Token", &root.csrf)
                .send()
                .await
                .unwrap();
            assert!(
                matches!(res.status().as_u16(), 404 | 405),
                "{method} {path}: {}",
                res.status()
            );
        }
    }
    assert_eq!(entries(&server).await, before, "nothing changed");
    server.stop().await;
}

#[tokio::test]
async fn logins_failures_throttling_and_logouts_are_recorded() {
    let server = TestServer::start().await;
    server.add_user("alice", Role::Agent).await;
    let guesser = Client::visitor_from(&server.url, "127.0.0.3".parse().unwrap()).await;
    for _ in 0..5 {
        assert_eq!(
            guesser.try_login("Alice", "wrong guess!").await.status(),
            401
        );
    }
    assert_eq!(guesser.try_login("alice", PASSWORD).await.status(), 429);
    let alice = server.login("alice").await;
    let (status, _, _) = alice.form_post("/logout", &[], true).await;
    assert_eq!(status, 303);

    let all = entries(&server).await;
    let kinds: Vec<AuditKind> = all.iter().map(|e| e.kind).collect();
    let mut want = vec![AuditKind::LoginFailed; 5];
    want.extend([
        AuditKind::LoginThrottled,
        AuditKind::LoginSucceeded,
        AuditKind::Logout,
    ]);
    assert_eq!(kinds, want);
    for e in &all[..6] {
        assert_eq!((e.actor, e.target.as_str()), (None, "alice"), "{e:?}");
        assert_eq!(e.client, "127.0.0.3");
    }
    assert_eq!(all[0].detail, "Wrong user name or password.");
    assert!(
        all[5].detail.starts_with("told to wait"),
        "{}",
        all[5].detail
    );
    for e in &all[6..] {
        assert_eq!(
            (e.actor_name.as_str(), e.client.as_str()),
            ("alice", "127.0.0.1")
        );
        assert!(e.actor.is_some());
    }
    server.stop().await;
}
