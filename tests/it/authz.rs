//! The authorization matrix: every route the router answers (from `web::route_list`, so a
//! route added without a rule here fails) × anonymous, an agent, an agent whose class of
//! service lacks each permission, another agent (object checks on someone else's
//! workitem), a supervisor, an admin and an API token; and the CSRF check on every
//! state-changing route.

use std::collections::BTreeSet;

use axum::http::Method;
use parley::domain::{AgentSettings, Permission, QueueId, Role as UserRole};
use serde_json::json;

use crate::common::*;

/// Who may use a route.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// Anyone (logout, health, static files, the root redirect).
    Public,
    /// The login form: anyone, with the pre-login form's token (a session's is not it).
    Login,
    /// Provider webhooks: their signature instead of a session.
    Signed,
    /// `/metrics`: its own bearer token (`metrics.bearer_token`, set for the matrix) instead
    /// of a session; no login or API token opens it.
    Scraper,
    /// Any logged-in user of at least this role.
    Role(UserRole),
    /// A logged-in user whose class of service grants the permission.
    Perm(Permission),
    /// A workitem's agent, or a supervisor or admin; another agent is refused.
    WorkitemOrSupervisor,
    /// The same, and the permission too.
    WorkitemOrSupervisorPerm(Permission),
    /// Only the workitem's own agent (accept, reject, reply, terminate).
    WorkitemAgent,
}

fn rule(method: &Method, path: &str) -> Option<Rule> {
    use Permission::*;
    use Rule::*;
    let get = *method == Method::GET;
    Some(match path {
        "/login" if !get => Login,
        "/" | "/login" | "/logout" | "/healthz" | "/static/{*path}" => Public,
        "/webhooks/twilio/sms" | "/webhooks/twilio/status" => Signed,
        "/metrics" => Scraper,
        "/workspace"
        | "/api/me"
        | "/api/activity"
        | "/api/presence"
        | "/api/outbound/options"
        | "/api/outbound/contacts"
        | "/api/consent"
        | "/settings"
        | "/settings/password"
        | "/api/events"
        | "/consent.csv"
        | "/contacts"
        | "/simulator"
        | "/simulator/messages"
        | "/simulator/events" => {
            if path == "/contacts" && !get {
                Perm(ContactsEdit)
            } else {
                Role(UserRole::Agent)
            }
        }
        "/api/outbound" => Perm(OutboundSend),
        "/api/outbound/templates" => Perm(TemplatesUse),
        "/api/search"
        | "/search"
        | "/workitems/{id}"
        | "/supervisor"
        | "/api/supervisor/floor"
        | "/api/supervisor/events"
        | "/api/supervisor/agents/{id}/presence"
        | "/supervisor/workitems/{id}"
        | "/api/supervisor/workitems/{id}/events"
        | "/api/supervisor/workitems/{id}/whisper"
        | "/api/supervisor/workitems/{id}/take-over"
        | "/reports"
        | "/reports/workitems.csv"
        | "/reports/messages.csv"
        | "/reports/agents.csv"
        | "/reports/surveys.csv" => Role(UserRole::Supervisor),
        "/api/transfer/targets" => Role(UserRole::Agent),
        "/api/workitems/{id}/transfer" => WorkitemOrSupervisor,
        "/api/workitems/{id}" => WorkitemOrSupervisor,
        "/api/workitems/{id}/templates" => WorkitemOrSupervisorPerm(TemplatesUse),
        "/api/workitems/{id}/accept"
        | "/api/workitems/{id}/reject"
        | "/api/workitems/{id}/terminate"
        | "/api/workitems/{id}/messages"
        | "/workspace/workitems/{id}/survey" => WorkitemAgent,
        "/workspace/workitems/{id}/notes" => WorkitemOrSupervisorPerm(NotesCreate),
        "/workspace/workitems/{id}/contact" | "/workspace/workitems/{id}/consent" => {
            WorkitemOrSupervisorPerm(ContactsEdit)
        }
        p if p.starts_with("/workspace/workitems/{id}/") => WorkitemOrSupervisor,
        // A copy of the whole store: admins only, never an API token.
        "/admin/backup" => Role(UserRole::Admin),
        p if p == "/admin" || p.starts_with("/admin/") => Role(UserRole::Admin),
        _ => return None,
    })
}

/// A caller of the matrix.
struct Who {
    name: String,
    client: Client,
    role: Option<UserRole>,
    lacks: Option<Permission>,
    /// The workitem this caller uses for `{id}`: their own, or someone else's.
    workitem: u64,
    owns_workitem: bool,
    bearer: Option<String>,
}

#[derive(Debug, PartialEq)]
enum Expect {
    /// Any answer but a refusal (a public route may redirect to the login page).
    Open,
    Allowed,
    /// Sent to log in: 401 for the JSON API, a redirect to /login for pages.
    LogIn,
    Forbidden,
    /// Refused for someone else's workitem: 403, 404 or 409.
    NotYours,
    /// Refused for want of the metrics token: 401.
    NeedsScrapeToken,
}

fn expect(who: &Who, rule: Rule, method: &Method, path: &str) -> Expect {
    use Expect::*;
    let outside_sessions = matches!(rule, Rule::Signed | Rule::Scraper)
        || path == "/healthz"
        || path.starts_with("/static/");
    if who.bearer.is_some() && !outside_sessions {
        let readable = *method == Method::GET && path.starts_with("/api/");
        // Live streams are for login sessions only.
        let stream = [
            "/api/events",
            "/api/supervisor/events",
            "/api/supervisor/workitems/{id}/events",
        ]
        .contains(&path);
        if !readable || stream {
            return Forbidden;
        }
    }
    let Some(role) = who.role else {
        return match rule {
            Rule::Public => Open,
            Rule::Login => Allowed,
            Rule::Signed => Forbidden,
            Rule::Scraper => NeedsScrapeToken,
            _ => LogIn,
        };
    };
    let may = |p: Permission| role == UserRole::Admin || who.lacks != Some(p);
    let supervisor = role.at_least(UserRole::Supervisor);
    match rule {
        Rule::Public => Open,
        Rule::Login | Rule::Signed => Forbidden,
        Rule::Scraper => NeedsScrapeToken,
        Rule::Role(r) if role.at_least(r) => Allowed,
        Rule::Role(_) => Forbidden,
        Rule::Perm(p) if may(p) => Allowed,
        Rule::Perm(_) => Forbidden,
        Rule::WorkitemOrSupervisor if who.owns_workitem || supervisor => Allowed,
        Rule::WorkitemOrSupervisor => NotYours,
        Rule::WorkitemOrSupervisorPerm(_) if !(who.owns_workitem || supervisor) => NotYours,
        Rule::WorkitemOrSupervisorPerm(p) if may(p) => Allowed,
        Rule::WorkitemOrSupervisorPerm(_) => Forbidden,
        Rule::WorkitemAgent if who.owns_workitem => Allowed,
        Rule::WorkitemAgent => NotYours,
    }
}

fn concrete(path: &str, who: &Who) -> String {
    let w = who.workitem.to_string();
    // Taking over for real would make the supervisor the owner of the shared workitem
    // for every route after it; a missing one shows the role check just as well.
    let id = if path.contains("workitems/{id}") && !path.ends_with("/take-over") {
        w.as_str()
    } else {
        "999999"
    };
    path.replace("{id}", id)
        .replace("{token}", "nope")
        .replace("{kind}", "workitem")
        .replace("{item}", &w)
        .replace("{*path}", "app.css")
        + if path == "/consent.csv" {
            "?phone=%2B14155550123"
        } else {
            ""
        }
}

/// (status, Location) of one request; `csrf` says whether the caller's token is sent.
async fn call(who: &Who, method: &Method, path: &str, csrf: bool) -> (u16, String) {
    let url = format!("{}{path}", who.client.base);
    let mut req = who.client.http.request(method.clone(), &url);
    if let Some(token) = &who.bearer {
        req = req.header("Authorization", format!("Bearer {token}"));
    }
    if *method != Method::GET {
        if csrf {
            req = req.header("X-CSRF-Token", &who.client.csrf);
        }
        req = if path.ends_with("/messages") {
            // A well-formed reply, so the refusal is about whose workitem it is.
            req.json(&json!({"body": "hello", "from": "+14155550123", "to": OUR_NUMBER}))
        } else if path.starts_with("/api/") || path.starts_with("/simulator/") {
            req.json(&json!({}))
        } else {
            req.form(&[("x", "")])
        };
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), location(&res))
}

fn meets(expected: &Expect, status: u16, location: &str) -> bool {
    let to_login = status == 303 && location.starts_with("/login");
    match expected {
        Expect::Open => status != 401 && status != 403,
        Expect::Allowed => status != 401 && status != 403 && !to_login,
        Expect::LogIn => status == 401 || to_login,
        Expect::Forbidden => status == 403,
        Expect::NotYours => matches!(status, 403 | 404 | 409),
        Expect::NeedsScrapeToken => status == 401,
    }
}

/// An agent in `queue` who accepts a text from `customer`; the workitem's id.
async fn with_active_workitem(server: &TestServer, agent: &Client, customer: &str) -> u64 {
    let mut events = agent.events().await;
    agent.available().await;
    let sid = format!("SM{}", customer.trim_start_matches('+'));
    assert_eq!(
        server.twilio_sms(&sid, customer, "hello").await.status(),
        200
    );
    let w = events.offer().await;
    agent
        .post_ok(&format!("/api/workitems/{w}/accept"), json!({}))
        .await;
    agent
        .post_ok(
            "/api/presence",
            json!({"presence": "away", "reason": "test"}),
        )
        .await;
    w
}

async fn agent_lacking(server: &TestServer, queue: QueueId, p: Permission) -> Client {
    let name = format!("no-{}", p.as_str().replace('.', "-"));
    let user = server.add_agent(&name, &[queue], None).await;
    let granted: BTreeSet<Permission> = Permission::ALL.into_iter().filter(|x| *x != p).collect();
    let id = user.id;
    let settings = server
        .state
        .store
        .write(move |txn| {
            let class =
                parley::store::put_class(txn, None, &format!("without {}", p.as_str()), granted)?;
            let s = AgentSettings {
                queues: vec![queue],
                class_of_service: Some(class.id),
                ..Default::default()
            };
            parley::store::put_agent_settings(txn, id, &s)?;
            Ok(s)
        })
        .await
        .unwrap();
    server.state.acd.configure(id, settings);
    server.login(&name).await
}

#[tokio::test]
async fn every_route_refuses_whoever_may_not_use_it() {
    // Metrics on and guarded by a token none of the callers holds.
    let server = TestServer::start_in(std::sync::Arc::new(tempfile::tempdir().unwrap()), |c| {
        c.metrics.enabled = true;
        c.metrics.bearer_token = "matrix-scrape-token-0123".into();
    })
    .await;
    let queue = server.default_queue().await;
    server.simulator_number(queue).await;
    server.add_user("root", UserRole::Admin).await;
    server.add_user("sam", UserRole::Supervisor).await;
    server.add_agent("alice", &[queue], None).await;
    server.add_agent("bob", &[queue], None).await;
    let alice = server.login("alice").await;
    let theirs = with_active_workitem(&server, &alice, "+14155550123").await;

    let mut callers = Vec::new();
    let anonymous = {
        let c = Client::anonymous(&server.url);
        let page = c.get("/login").await.text().await.unwrap();
        Client {
            csrf: hidden_csrf(&page),
            ..c
        }
    };
    let token = parley::web::auth::create_api_token(
        &server.state.store,
        server
            .state
            .store
            .read(|t| parley::store::user_by_name(t, "root"))
            .await
            .unwrap()
            .unwrap()
            .id,
        "matrix",
        server.clock.now(),
    )
    .await
    .unwrap();
    let who = |name: &str, client: Client, role, lacks, workitem, owns| Who {
        name: name.to_owned(),
        client,
        role,
        lacks,
        workitem,
        owns_workitem: owns,
        bearer: None,
    };
    callers.push(who("anonymous", anonymous, None, None, theirs, false));
    callers.push(Who {
        bearer: Some(token),
        ..who(
            "an admin's API token",
            Client::anonymous(&server.url),
            Some(UserRole::Admin),
            None,
            theirs,
            false,
        )
    });
    callers.push(who(
        "another agent",
        server.login("bob").await,
        Some(UserRole::Agent),
        None,
        theirs,
        false,
    ));
    for (i, p) in Permission::ALL.into_iter().enumerate() {
        let c = agent_lacking(&server, queue, p).await;
        let own = with_active_workitem(&server, &c, &format!("+1415555020{i}")).await;
        callers.push(who(
            &format!("an agent without {}", p.as_str()),
            c,
            Some(UserRole::Agent),
            Some(p),
            own,
            true,
        ));
    }
    callers.push(who(
        "a supervisor",
        server.login("sam").await,
        Some(UserRole::Supervisor),
        None,
        theirs,
        false,
    ));
    callers.push(who(
        "an admin",
        server.login("root").await,
        Some(UserRole::Admin),
        None,
        theirs,
        false,
    ));
    callers.push(who(
        "the workitem's agent",
        alice,
        Some(UserRole::Agent),
        None,
        theirs,
        true,
    ));

    let mut routes = parley::web::route_list(&server.state);
    let unruled: Vec<String> = routes
        .iter()
        .filter(|(m, p)| rule(m, p).is_none())
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        unruled.is_empty(),
        "routes without a rule in the matrix: {unruled:?}"
    );
    // Acts that end things come last, so they do not change what the others see.
    routes.sort_by_key(|(_, p)| match *p {
        "/logout" => 2,
        p if p.ends_with("/terminate") => 1,
        _ => 0,
    });

    let mut wrong = Vec::new();
    for who in &callers {
        for (method, path) in &routes {
            let rule = rule(method, path).unwrap();
            let expected = expect(who, rule, method, path);
            let url = concrete(path, who);
            let (status, location) = call(who, method, &url, true).await;
            if !meets(&expected, status, &location) {
                wrong.push(format!(
                    "{}: {method} {url} → {status} {location}, expected {expected:?}",
                    who.name
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    server.stop().await;
}

#[tokio::test]
async fn every_state_changing_route_needs_the_csrf_token() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.simulator_number(queue).await;
    server.add_user("root", UserRole::Admin).await;
    let root = server.login("root").await;
    let who = Who {
        name: "an admin".into(),
        client: root,
        role: Some(UserRole::Admin),
        lacks: None,
        workitem: 1,
        owns_workitem: false,
        bearer: None,
    };
    let mut checked = 0;
    for (method, path) in parley::web::route_list(&server.state) {
        if method == Method::GET || matches!(rule(&method, path), Some(Rule::Signed)) {
            continue;
        }
        let url = concrete(path, &who);
        let (status, _) = call(&who, &method, &url, false).await;
        assert_eq!(status, 403, "{method} {url} without the CSRF token");
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} state-changing routes");
    // The logout above was refused too: the session still works.
    assert_eq!(who.client.get("/api/me").await.status(), 200);
    server.stop().await;
}
