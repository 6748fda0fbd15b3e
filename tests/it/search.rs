//! Full-text search through `GET /api/search`: freshness, highlighting, filters, hostile input,
//! tokens, and an index rebuilt from the store giving the same answers.

use std::time::{Duration, Instant};

use parley::domain::Role;
use serde_json::Value;

use crate::common::*;

/// URL-encodes one query-string value.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Polls `path` until `done` holds for its JSON answer; panics after `within`.
pub async fn until(
    client: &Client,
    path: &str,
    within: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let res = client.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        let v: Value = res.json().await.unwrap();
        if done(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "GET {path}: still {v} after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn total(v: &Value) -> u64 {
    v["total"].as_u64().unwrap()
}

async fn supervisor(server: &TestServer) -> Client {
    server.add_user("boss", Role::Supervisor).await;
    server.login("boss").await
}

#[tokio::test]
async fn a_message_is_searchable_within_a_second_with_its_words_highlighted() {
    // The default interval is 500 ms; a shorter one keeps a loaded test machine well inside
    // the 1 s promise (the benchmark measures the default).
    let server = TestServer::start_in(std::sync::Arc::new(tempfile::tempdir().unwrap()), |c| {
        c.search.commit_interval_ms = 100;
    })
    .await;
    let boss = supervisor(&server).await;
    let res = server
        .twilio_sms(
            "SMfresh1",
            "+14155550199",
            "Where is my <b>refund</b> for order 4471?",
        )
        .await;
    assert_eq!(res.status(), 200);
    let found = until(&boss, "/api/search?q=refund", Duration::from_secs(5), |v| {
        total(v) == 1
    })
    .await;
    let hit = &found["hits"][0];
    assert_eq!(hit["kind"], "message");
    assert_eq!(hit["direction"], "in");
    assert_eq!(
        hit["snippet_html"],
        "Where is my &#60;b&#62;<mark>refund</mark>&#60;/b&#62; for order 4471?"
    );
    // Phrases match words in order only.
    let phrase = boss
        .get(&format!("/api/search?q={}", enc("\"order 4471\"")))
        .await;
    assert_eq!(total(&phrase.json().await.unwrap()), 1);
    let reversed = boss
        .get(&format!("/api/search?q={}", enc("\"4471 order\"")))
        .await;
    assert_eq!(total(&reversed.json().await.unwrap()), 0);
    server.stop().await;
}

#[tokio::test]
async fn time_range_from_is_inclusive_and_to_exclusive_to_the_millisecond() {
    let server = TestServer::start().await;
    let boss = supervisor(&server).await;
    for (i, hours) in [0, 1, 2].into_iter().enumerate() {
        if hours > 0 {
            server.advance(3600);
        }
        let res = server
            .twilio_sms(
                &format!("SMrange{i}"),
                "+14155550177",
                &format!("parcel number {i}"),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let all = until(&boss, "/api/search?q=parcel&sort=newest", DEADLINE, |v| {
        total(v) == 3
    })
    .await;
    let middle_at = all["hits"][1]["at"].as_str().unwrap().to_owned();
    assert!(
        all["hits"][1]["snippet_html"]
            .as_str()
            .unwrap()
            .ends_with(" 1")
    );
    let count = |query: String| {
        let boss = &boss;
        async move {
            let res = boss.get(&format!("/api/search?q=parcel&{query}")).await;
            assert_eq!(res.status(), 200, "{query}");
            total(&res.json().await.unwrap())
        }
    };
    let at = chrono::DateTime::parse_from_rfc3339(&middle_at).unwrap();
    let millis = |ms: i64| enc(&(at + chrono::Duration::milliseconds(ms)).to_rfc3339());
    assert_eq!(
        count(format!("from={}", enc(&middle_at))).await,
        2,
        "from includes its instant"
    );
    assert_eq!(
        count(format!("from={}", millis(1))).await,
        1,
        "a millisecond later excludes it"
    );
    assert_eq!(
        count(format!("to={}", enc(&middle_at))).await,
        1,
        "to excludes its instant"
    );
    assert_eq!(count(format!("to={}", millis(1))).await, 2);
    assert_eq!(
        count(format!("from={}&to={}", enc(&middle_at), millis(1))).await,
        1,
        "a one-millisecond window holds exactly the middle message"
    );
    // A date stands for the whole day (UTC).
    let first_day = all["hits"][2]["at"].as_str().unwrap()[..10].to_owned();
    let last_day = all["hits"][0]["at"].as_str().unwrap()[..10].to_owned();
    assert_eq!(count(format!("from={first_day}&to={last_day}")).await, 3);
    server.stop().await;
}

#[tokio::test]
async fn filters_narrow_by_direction_agent_and_contact() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let agent = server.add_agent("ann", &[queue], None).await;
    let ann = server.login("ann").await;
    ann.available().await;
    let mut events = ann.events().await;
    server
        .twilio_sms("SMf1", "+14155550101", "my invoice is wrong")
        .await;
    let workitem = events.offer().await;
    ann.post_ok(&format!("/api/workitems/{workitem}/accept"), Value::Null)
        .await;
    ann.post_ok(
        &format!("/api/workitems/{workitem}/messages"),
        serde_json::json!({"body": "I will fix the invoice now"}),
    )
    .await;
    server
        .twilio_sms("SMf2", "+14155550102", "invoice question from someone else")
        .await;
    let boss = supervisor(&server).await;
    until(&boss, "/api/search?q=invoice", DEADLINE, |v| total(v) == 3).await;
    let count = |query: &'static str| {
        let boss = &boss;
        async move {
            total(
                &boss
                    .get(&format!("/api/search?q=invoice&{query}"))
                    .await
                    .json()
                    .await
                    .unwrap(),
            )
        }
    };
    assert_eq!(count("direction=out").await, 1);
    assert_eq!(count("direction=in").await, 2);
    // The accepted conversation's messages carry its agent, in and out.
    let by_agent = until(
        &boss,
        &format!("/api/search?q=invoice&agent={}", agent.id.0),
        DEADLINE,
        |v| total(v) == 2,
    )
    .await;
    assert!(
        by_agent["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["workitem"] == workitem)
    );
    let contact = by_agent["hits"][0]["contact"].as_u64().unwrap();
    assert_eq!(
        total(
            &boss
                .get(&format!("/api/search?q=invoice&contact={contact}"))
                .await
                .json()
                .await
                .unwrap()
        ),
        2
    );
    assert_eq!(count("queue=999").await, 0);
    server.stop().await;
}

#[tokio::test]
async fn hostile_query_strings_give_results_or_a_clear_message_never_a_500() {
    let server = TestServer::start().await;
    let boss = supervisor(&server).await;
    server
        .twilio_sms(
            "SMh1",
            "+14155550133",
            "refund: order (12) [urgent] \"asap\"",
        )
        .await;
    until(&boss, "/api/search?q=refund", DEADLINE, |v| total(v) == 1).await;
    let long = "refund ".repeat(200);
    let hostile = [
        "\"",
        "\"unclosed refund",
        "refund\"",
        "a:b",
        "text:refund",
        "contact:1 OR refund",
        "kind:1",
        "(((",
        ")))",
        "(refund",
        "[1 TO 5]",
        "at:[0 TO 9999999999999]",
        "{",
        "}",
        "*",
        "refund*",
        "?",
        "~",
        "refund~2",
        "^2",
        "refund^",
        "-",
        "-refund",
        "+",
        "+refund",
        "!",
        "\\",
        "\\\\",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "\u{0}",
        "\u{1F600}",
        "NOT",
        "AND OR",
        "refund AND",
        "IN [refund]",
        "refund IN",
        ":",
        "::::",
        "\"\"",
        "\"refund order\"~3",
        "   ",
        "",
        &long,
    ];
    for q in hostile {
        let res = boss.get(&format!("/api/search?q={}", enc(q))).await;
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert!(status == 200 || status == 400, "{q:?}: {status} {body}");
        if status == 400 {
            assert!(
                !body["error"].as_str().unwrap().is_empty(),
                "{q:?}: no message"
            );
        }
    }
    // Whatever field syntax is typed, it never reaches the filter fields.
    let field = boss
        .get(&format!("/api/search?q={}", enc("contact:1 refund")))
        .await;
    assert_eq!(field.status(), 200);
    let clear = |path: String, needle: &'static str| {
        let boss = &boss;
        async move {
            let res = boss.get(&path).await;
            assert_eq!(res.status(), 400, "{path}");
            let v: Value = res.json().await.unwrap();
            let msg = v["error"].as_str().unwrap().to_owned();
            assert!(msg.contains(needle), "{path}: {msg}");
        }
    };
    clear(
        format!("/api/search?q={}", enc(&"x".repeat(501))),
        "at most 500",
    )
    .await;
    clear("/api/search?q=%20".into(), "at least one word").await;
    clear("/api/search?q=refund&page=100000".into(), "first 10000").await;
    clear("/api/search?q=refund&per_page=0".into(), "per_page").await;
    clear(
        "/api/search?q=refund&from=yesterday".into(),
        "from must be a date",
    )
    .await;
    clear(
        "/api/search?q=refund&direction=sideways".into(),
        "direction",
    )
    .await;
    clear(
        "/api/search?q=refund&agent=-1".into(),
        "agent must be a whole number",
    )
    .await;
    clear(
        "/api/search?q=refund&from=2026-02-02&to=2026-02-01".into(),
        "before",
    )
    .await;
    clear(
        format!("/api/search?q={}", "y".repeat(8_000)),
        "at most 500",
    )
    .await;
    server.stop().await;
}

#[tokio::test]
async fn search_is_for_supervisors_admins_and_read_only_tokens() {
    let server = TestServer::start().await;
    server
        .twilio_sms("SMt1", "+14155550144", "password reset please")
        .await;
    server.add_user("agent1", Role::Agent).await;
    let agent = server.login("agent1").await;
    assert_eq!(agent.get("/api/search?q=password").await.status(), 403);
    let anon = Client::anonymous(&server.url);
    assert_eq!(anon.get("/api/search?q=password").await.status(), 401);

    let boss = server.add_user("boss", Role::Supervisor).await;
    let token = parley::web::auth::create_api_token(
        &server.state.store,
        boss.id,
        "bench",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let get = |auth: String| {
        let http = http.clone();
        let url = format!("{}/api/search?q=password", server.url);
        async move {
            http.get(url)
                .header("Authorization", auth)
                .send()
                .await
                .unwrap()
        }
    };
    let deadline = Instant::now() + DEADLINE;
    loop {
        let res = get(format!("Bearer {token}")).await;
        assert_eq!(res.status(), 200);
        if total(&res.json().await.unwrap()) == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "never indexed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(get("Bearer not-a-token".into()).await.status(), 401);
    // Tokens cannot change anything, and only reach the JSON API.
    let post = http
        .post(format!("{}/api/presence", server.url))
        .header("Authorization", format!("Bearer {token}"))
        .json(&serde_json::json!({"presence": "available"}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 403);
    let page = http
        .get(format!("{}/workspace", server.url))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    // An agent's token has the agent's rights.
    let agent_user = parley::store::Store::clone(&server.state.store)
        .read(|txn| parley::store::user_by_name(txn, "agent1"))
        .await
        .unwrap()
        .unwrap();
    let agent_token = parley::web::auth::create_api_token(
        &server.state.store,
        agent_user.id,
        "",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(get(format!("Bearer {agent_token}")).await.status(), 403);
    server.stop().await;
}
