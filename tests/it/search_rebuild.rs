//! The index is derived data: after a kill between store commit and index commit it catches up
//! at start; a missing, corrupt or `parley reindex`ed index answers exactly as before.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use parley::domain::Role;
use serde_json::Value;

use crate::common::*;
use crate::search::{enc, until};

const PUBLIC: &str = "http://parley.test";

/// Runs a CLI command to completion and returns its stdout.
fn run_cli(data_dir: &std::path::Path, args: &[&str], stdin: &str) -> String {
    let out = parley_command(data_dir, args, stdin);
    assert!(
        out.status.success(),
        "parley {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Starts the real binary; returns it and its URL.
fn start_binary(data_dir: &std::path::Path, commit_interval_ms: u64) -> (Child, String) {
    let mut child = parley_binary(data_dir)
        .args(["--listen", "127.0.0.1:0"])
        .env("PARLEY_SMS__TWILIO__AUTH_TOKEN", TWILIO_TOKEN)
        .env("PARLEY_PUBLIC_URL", PUBLIC)
        .env(
            "PARLEY_SEARCH__COMMIT_INTERVAL_MS",
            commit_interval_ms.to_string(),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("parley exited before serving").unwrap();
        if let Some(rest) = line.strip_prefix("Parley is running at ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

async fn webhook(url: &str, sid: &str, body: &str) {
    let params = vec![
        ("MessageSid".to_owned(), sid.to_owned()),
        ("From".to_owned(), "+14155550166".to_owned()),
        ("To".to_owned(), OUR_NUMBER.to_owned()),
        ("Body".to_owned(), body.to_owned()),
    ];
    let sig = parley::sms::twilio::signature(
        TWILIO_TOKEN,
        &format!("{PUBLIC}/webhooks/twilio/sms"),
        &params,
    );
    let res = reqwest::Client::new()
        .post(format!("{url}/webhooks/twilio/sms"))
        .header("X-Twilio-Signature", sig)
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn search_total(url: &str, token: &str, q: &str) -> u64 {
    let res = reqwest::Client::new()
        .get(format!("{url}/api/search?q={}", enc(q)))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["total"]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_kill_between_store_and_index_commit_the_index_catches_up_at_start() {
    let dir = tempfile::tempdir().unwrap();
    run_cli(
        dir.path(),
        &[
            "user",
            "add",
            "boss",
            "--role",
            "supervisor",
            "--password-stdin",
        ],
        "pw-for-boss-123\n",
    );
    let out = run_cli(
        dir.path(),
        &["token", "create", "--user", "boss", "--label", "test"],
        "",
    );
    let token = out.lines().last().unwrap().trim().to_owned();

    // An hour between index commits: the index cannot commit before the kill.
    let (mut child, url) = start_binary(dir.path(), 3_600_000);
    for i in 0..20 {
        webhook(
            &url,
            &format!("SMkill{i}"),
            &format!("lost luggage report {i}"),
        )
        .await;
    }
    assert_eq!(
        search_total(&url, &token, "luggage").await,
        0,
        "the index committed early"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let (mut child, url) = start_binary(dir.path(), 100);
    let deadline = Instant::now() + DEADLINE;
    while search_total(&url, &token, "luggage").await != 20 {
        assert!(Instant::now() < deadline, "the index did not catch up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(search_total(&url, &token, "\"report 7\"").await, 1);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Each query's whole answer, to compare an index with its rebuilt self.
async fn answers(boss: &Client, queries: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    for q in queries {
        let res = boss
            .get(&format!(
                "/api/search?q={}&sort=newest&per_page=100",
                enc(q)
            ))
            .await;
        assert_eq!(res.status(), 200);
        out.push(res.json().await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_missing_corrupt_or_reindexed_index_answers_exactly_as_before() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.add_agent("ann", &[queue], None).await;
    let ann = server.login("ann").await;
    ann.available().await;
    let mut events = ann.events().await;
    server
        .twilio_sms("SMr1", "+14155550111", "my router blinks red")
        .await;
    let w = events.offer().await;
    ann.post_ok(&format!("/api/workitems/{w}/accept"), Value::Null)
        .await;
    // Distinct times give the newest-first answers one order (two messages of the same
    // millisecond may come in either order from indexes laid out differently).
    server.advance(1);
    ann.post_ok(
        &format!("/api/workitems/{w}/messages"),
        serde_json::json!({"body": "Please restart the router"}),
    )
    .await;
    for i in 0..30 {
        server.advance(1);
        server
            .twilio_sms(
                &format!("SMr2-{i}"),
                &format!("+141555502{i:02}"),
                &format!("router number {i} is red"),
            )
            .await;
    }
    let boss_user = server.add_user("boss", Role::Supervisor).await;
    let boss = server.login("boss").await;
    let queries = [
        "router",
        "red",
        "\"restart the router\"",
        "router -red",
        "blinks OR number",
    ];
    until(&boss, "/api/search?q=router", DEADLINE, |v| {
        v["total"] == 32
    })
    .await;
    let before = answers(&boss, &queries).await;
    assert_eq!(before[2]["total"], 1);
    let dir = server.stop().await;
    let index = dir.path().join("index");

    // Missing: rebuilt at start.
    std::fs::remove_dir_all(&index).unwrap();
    let server = TestServer::start_in(dir.clone(), |_| {}).await;
    let boss = server.login("boss").await;
    until(&boss, "/api/search?q=router", DEADLINE, |v| {
        v["total"] == 32
    })
    .await;
    assert_eq!(
        answers(&boss, &queries).await,
        before,
        "rebuilt after deletion"
    );
    let dir = server.stop().await;

    // Corrupt: its metadata overwritten with garbage.
    std::fs::write(index.join("meta.json"), b"{ not json").unwrap();
    let server = TestServer::start_in(dir.clone(), |_| {}).await;
    let boss = server.login("boss").await;
    until(&boss, "/api/search?q=router", DEADLINE, |v| {
        v["total"] == 32
    })
    .await;
    assert_eq!(
        answers(&boss, &queries).await,
        before,
        "rebuilt after corruption"
    );
    let dir = server.stop().await;

    // `parley reindex` with the server stopped.
    let out = run_cli(dir.path(), &["reindex"], "");
    assert!(out.contains("Search index rebuilt"), "{out}");
    let server = TestServer::start_in(dir, |_| {}).await;
    let boss = server.login("boss").await;
    assert_eq!(
        answers(&boss, &queries).await,
        before,
        "after parley reindex"
    );
    assert_eq!(boss_user.username, "boss");
    server.stop().await;
}

#[tokio::test]
async fn a_store_restored_from_an_older_copy_gets_a_fresh_index() {
    let server = TestServer::start().await;
    server
        .twilio_sms("SMo1", "+14155550122", "older message about apples")
        .await;
    server.add_user("boss", Role::Supervisor).await;
    let boss = server.login("boss").await;
    until(&boss, "/api/search?q=apples", DEADLINE, |v| v["total"] == 1).await;
    let dir = server.stop().await;
    let db = dir.path().join(parley::DB_FILE);
    let backup = dir.path().join("backup.redb");
    std::fs::copy(&db, &backup).unwrap();

    let server = TestServer::start_in(dir, |_| {}).await;
    server
        .twilio_sms("SMo2", "+14155550122", "newer message about apples")
        .await;
    let boss = server.login("boss").await;
    until(&boss, "/api/search?q=apples", DEADLINE, |v| v["total"] == 2).await;
    let dir = server.stop().await;

    // The store goes back in time; the index is now ahead of it and must not keep the newer
    // message that the store no longer has.
    std::fs::copy(&backup, &db).unwrap();
    let server = TestServer::start_in(dir, |_| {}).await;
    let boss = server.login("boss").await;
    until(&boss, "/api/search?q=apples", DEADLINE, |v| v["total"] == 1).await;
    server.stop().await;
}
