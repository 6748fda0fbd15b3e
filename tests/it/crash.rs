//! Crash safety with the real binary: 2,000 concurrent webhooks, SIGKILL part-way, restart;
//! every message that got a 200 is stored, exactly once.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use redb::{ReadableTable, ReadableTableMetadata};

use crate::common::*;

const TOTAL: usize = 2000;
/// Kill the server once this many messages were acknowledged.
const KILL_AFTER: usize = 600;
const IN_FLIGHT: usize = 64;

/// The URL the server believes it is reached at; webhooks are signed for it.
const PUBLIC: &str = "http://parley.test";

/// Starts `parley` on an ephemeral port; returns the child and its URL (read from stdout).
fn start_binary(data_dir: &std::path::Path) -> (Child, String) {
    start_binary_with(data_dir, &[])
}

/// Asks the child to stop (SIGTERM) and waits until it has: every write it had begun is on
/// disk then.
pub(crate) fn stop_gracefully(mut child: Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -TERM failed");
    let deadline = std::time::Instant::now() + DEADLINE;
    while child.try_wait().expect("wait for parley").is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "parley did not stop after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The same, with more environment (configuration) for the child.
pub(crate) fn start_binary_with(
    data_dir: &std::path::Path,
    env: &[(&str, &str)],
) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .envs(env.iter().copied())
        .env("PARLEY_SMS__TWILIO__AUTH_TOKEN", TWILIO_TOKEN)
        .env("PARLEY_PUBLIC_URL", PUBLIC)
        .env("PARLEY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start parley");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("parley exited before serving")
            .expect("read stdout");
        if let Some(rest) = line.strip_prefix("Parley is running at ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

fn sid(i: usize) -> String {
    format!("SMcrash{i:05}")
}

/// Posts message `i` like Twilio would; true when it was acknowledged with 200.
async fn post(http: &reqwest::Client, url: &str, i: usize) -> bool {
    let params = vec![
        ("MessageSid".to_owned(), sid(i)),
        ("From".to_owned(), format!("+1415555{:04}", 100 + i % 50)),
        ("To".to_owned(), OUR_NUMBER.to_owned()),
        ("Body".to_owned(), format!("message {i}")),
    ];
    let signed_for = format!("{PUBLIC}/webhooks/twilio/sms");
    let sig = parley::sms::twilio::signature(TWILIO_TOKEN, &signed_for, &params);
    match http
        .post(format!("{url}/webhooks/twilio/sms"))
        .header("X-Twilio-Signature", sig)
        .form(&params)
        .send()
        .await
    {
        Ok(res) => res.status() == 200,
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_message_survives_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = start_binary(dir.path());
    let http = reqwest::Client::new();
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..IN_FLIGHT {
        let (http, url, acked, next) = (http.clone(), url.clone(), acked.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= TOTAL {
                    break;
                }
                if post(&http, &url, i).await {
                    acked.lock().unwrap().insert(i);
                }
            }
        }));
    }
    // Kill it mid-stream, as soon as enough were acknowledged.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while acked.lock().unwrap().len() < KILL_AFTER {
        assert!(
            std::time::Instant::now() < deadline,
            "server too slow to acknowledge"
        );
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    child.kill().expect("SIGKILL"); // std's kill sends SIGKILL on Unix
    child.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= KILL_AFTER && acked.len() < TOTAL,
        "killed part-way: {}",
        acked.len()
    );

    // Restart on the same data dir: it must open cleanly and serve.
    let (mut child, url) = start_binary(dir.path());
    // The provider retries what it never got a 200 for; dedup keeps every message single.
    for i in 0..TOTAL {
        if !acked.contains(&i) {
            assert!(
                post(&http, &url, i).await,
                "retry of {i} refused after restart"
            );
        }
    }
    // A retry of an acknowledged one is still a single message.
    assert!(post(&http, &url, *acked.iter().next().unwrap()).await);
    child.kill().unwrap();
    child.wait().unwrap();

    let (store, writer) = parley::store::Store::open(&dir.path().join(parley::DB_FILE)).unwrap();
    let (count, sids) = store
        .read_blocking(|txn| {
            let messages = txn.open_table(parley::store::MESSAGES)?;
            let mut sids = Vec::new();
            for row in messages.iter()? {
                let (_, v) = row?;
                let m: parley::domain::Message = serde_json::from_slice(v.value()).unwrap();
                sids.push(m.provider_id.unwrap());
            }
            Ok((messages.len()?, sids))
        })
        .unwrap();
    drop(store);
    writer.join().unwrap();
    let distinct: HashSet<&String> = sids.iter().collect();
    assert_eq!(distinct.len(), sids.len(), "a message was stored twice");
    for i in &acked {
        assert!(distinct.contains(&sid(*i)), "acknowledged message {i} lost");
    }
    assert_eq!(
        count as usize, TOTAL,
        "after retries every message is there once"
    );
}
