//! `log_format = "json"` (here as `PARLEY_LOG_FORMAT`): the real binary writes each log event
//! as one JSON object per line, with the fields a log collector looks for.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;

/// Kills the server however the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    // A user first, so the server's first start has no logins to print.
    let added = parley_command(
        dir.path(),
        &["user", "add", "root", "--role", "admin", "--password-stdin"],
        "a long enough passphrase\n",
    );
    assert!(added.status.success(), "{added:?}");

    let mut server = Running(
        parley_binary(dir.path())
            .args(["--listen", "127.0.0.1:0"])
            .env("PARLEY_LOG", "info")
            .env("PARLEY_LOG_FORMAT", "json")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = server.0.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    let serving = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match rx.recv_timeout(left) {
            Ok(Ok(line)) => line,
            other => panic!("no \"Parley is serving\" event in time ({other:?}); saw {seen:#?}"),
        };
        // The start banner is for people, printed by the command, not a log event.
        if line.starts_with("Parley is running at ") {
            continue;
        }
        let event: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line:?}"));
        for key in ["timestamp", "level", "target"] {
            assert!(event[key].is_string(), "no {key} in {line}");
        }
        assert!(
            event["fields"]["message"].is_string(),
            "no message in {line}"
        );
        let done = event["fields"]["message"] == "Parley is serving";
        seen.push(event);
        if done {
            break seen.pop().unwrap();
        }
    };
    assert_eq!(serving["level"], "INFO");
    assert!(
        serving["fields"]["addr"]
            .as_str()
            .is_some_and(|a| a.starts_with("127.0.0.1:")),
        "{serving}"
    );
}
