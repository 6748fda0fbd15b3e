//! Online backup, restore and `parley check`: a backup taken through `/admin/backup` while
//! webhooks keep arriving holds every message acknowledged before it began, restores with
//! the real binary into a fresh data dir that passes `parley check`; `parley backup` asks the
//! running server over its socket (or copies the store when it is stopped); a restore onto a
//! running server's data dir changes nothing; agents may not download a backup.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use parley::domain::Role;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::common::*;

/// Concurrent senders of the load.
const SENDERS: usize = 8;

/// Acknowledged messages: (provider id, when its 200 came back).
type Acked = Arc<Mutex<Vec<(String, Instant)>>>;

/// Starts `SENDERS` tasks that post signed webhooks until `stop`, recording each one
/// acknowledged with a 200.
fn start_load(
    server: &TestServer,
    stop: &Arc<AtomicBool>,
    acked: &Acked,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..SENDERS)
        .map(|sender| {
            let (url, stop, acked) = (server.url.clone(), stop.clone(), acked.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let sid = format!("SMload{sender}x{i}");
                    let from = format!("+1415555{:04}", 1000 + sender * 100 + i % 100);
                    let res = webhook(&url, &sid, &from).await;
                    if res {
                        acked.lock().unwrap().push((sid, Instant::now()));
                    }
                }
            })
        })
        .collect()
}

async fn webhook(url: &str, sid: &str, from: &str) -> bool {
    let params = vec![
        ("MessageSid".to_owned(), sid.to_owned()),
        ("AccountSid".to_owned(), "AC123".to_owned()),
        ("From".to_owned(), from.to_owned()),
        ("To".to_owned(), OUR_NUMBER.to_owned()),
        ("Body".to_owned(), format!("load {sid}")),
    ];
    let target = format!("{url}/webhooks/twilio/sms");
    let sig = parley::sms::twilio::signature(TWILIO_TOKEN, &target, &params);
    match reqwest::Client::new()
        .post(&target)
        .header("X-Twilio-Signature", sig)
        .form(&params)
        .send()
        .await
    {
        Ok(r) => r.status() == 200,
        Err(_) => false,
    }
}

/// Waits until more than `n` messages are acknowledged.
async fn wait_acked(acked: &Acked, n: usize) {
    let deadline = Instant::now() + DEADLINE;
    while acked.lock().unwrap().len() <= n {
        assert!(
            Instant::now() < deadline,
            "the load got no further than {n}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `parley check` on `dir` and insists it passes.
fn assert_check_passes(dir: &std::path::Path) {
    let out = parley_command(dir, &["check"], "");
    assert!(
        out.status.success(),
        "parley check failed:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("Check passed."), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_during_a_load_holds_every_message_acknowledged_before_it() {
    let server = TestServer::start().await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Acked = Arc::default();
    let load = start_load(&server, &stop, &acked);
    wait_acked(&acked, 100).await;

    let began = Instant::now();
    let res = admin.get("/admin/backup").await;
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"parley-backup-")
            && disposition.ends_with(".redb\""),
        "{disposition}"
    );
    let bytes = res.bytes().await.unwrap();
    let acked_before: Vec<String> = acked
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, at)| *at < began)
        .map(|(sid, _)| sid.clone())
        .collect();
    // Ingest went on while the backup was taken and sent.
    let during = acked.lock().unwrap().len();
    wait_acked(&acked, during + 20).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    assert!(acked_before.len() > 100);

    // Restored with the real binary into a fresh data dir.
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("backup.redb");
    std::fs::write(&file, &bytes).unwrap();
    let fresh = Arc::new(tempfile::tempdir().unwrap());
    let out = parley_command(fresh.path(), &["restore", file.to_str().unwrap()], "");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("Search index rebuilt"),
        "{}",
        stdout(&out)
    );
    assert_check_passes(fresh.path());

    let restored = TestServer::start_in(fresh.clone(), |_| {}).await;
    let stored = restored.stored_provider_ids().await;
    let lost: Vec<&String> = acked_before
        .iter()
        .filter(|s| !stored.contains(*s))
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged before the backup, missing from it: {lost:?}"
    );
    // The restored server takes new messages with ids after the copied ones.
    assert_eq!(
        restored
            .twilio_sms("SMafter", "+14155559999", "after")
            .await
            .status(),
        200
    );
    assert!(restored.stored_provider_ids().await.contains("SMafter"));
    restored.stop().await;
    assert_check_passes(fresh.path());
    server.stop().await;
}

#[tokio::test]
async fn the_backup_is_for_admins_and_audited() {
    let server = TestServer::start().await;
    server.add_user("root", Role::Admin).await;
    server.add_user("sam", Role::Supervisor).await;
    server.add_user("alice", Role::Agent).await;
    for who in ["alice", "sam"] {
        let res = server.login(who).await.get("/admin/backup").await;
        assert_eq!(res.status(), 403, "{who}");
    }
    let admin = server.login("root").await;
    let page = admin.get("/admin").await.text().await.unwrap();
    assert!(
        page.contains("href=\"/admin/backup\""),
        "no download link on /admin"
    );
    let res = admin.get("/admin/backup").await;
    assert_eq!(res.status(), 200);
    let length: u64 = res.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().len() as u64, length);
    let audit = admin
        .get("/admin/audit?kind=backup_taken")
        .await
        .text()
        .await
        .unwrap();
    // The entry's row (the filter offers the kind whether or not there is one).
    let row_at = audit
        .find("<tr class=\"audit-backup_taken\">")
        .expect("a backup_taken entry");
    let row = &audit[row_at..row_at + audit[row_at..].find("</tr>").unwrap()];
    assert!(row.contains("root"), "{row}");
    assert!(row.contains("parley-backup-"), "{row}");
    // Nothing is left in the data dir but what was there.
    let names: Vec<String> = std::fs::read_dir(server.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("backup")), "{names:?}");
    server.stop().await;
}

/// `parley backup FILE` run beside the running `server`, on its data dir.
async fn backup_beside(server: &TestServer, file: &std::path::Path) -> std::process::Output {
    let data_dir = server.dir.path().to_owned();
    let target = file.to_owned();
    tokio::task::spawn_blocking(move || {
        parley_command(&data_dir, &["backup", target.to_str().unwrap()], "")
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parley_backup_asks_the_running_server_and_restore_refuses_its_data_dir() {
    let server = TestServer::start().await;
    for i in 0..5 {
        let res = server
            .twilio_sms(&format!("SMcli{i}"), "+14155550181", "hi")
            .await;
        assert_eq!(res.status(), 200);
    }
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("running.redb");
    let out = backup_beside(&server, &file).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("from the running Parley"),
        "{}",
        stdout(&out)
    );
    // The server wrote straight into the file the command made, readable by its owner only.
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    // A second backup to the same name is refused and leaves the first as it was.
    let first = std::fs::read(&file).unwrap();
    let again = backup_beside(&server, &file).await;
    assert!(!again.status.success(), "{}", stdout(&again));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read(&file).unwrap(), first);
    assert_eq!(std::fs::read_dir(files.path()).unwrap().count(), 1);
    // A request with no file attached is refused, and says why.
    let mut raw = tokio::net::UnixStream::connect(server.dir.path().join("parley.sock"))
        .await
        .unwrap();
    raw.write_all(b"backup\n").await.unwrap();
    let mut answer = String::new();
    raw.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.starts_with("error ") && answer.contains("file"),
        "{answer}"
    );
    let audited = server
        .state
        .store
        .read(|txn| {
            let filter = parley::store::AuditFilter {
                kind: Some(parley::domain::AuditKind::BackupTaken),
                ..Default::default()
            };
            parley::store::audit_entries(txn, &filter, None, 10)
        })
        .await
        .unwrap();
    assert_eq!(audited.entries.len(), 1);
    assert_eq!(audited.entries[0].1.actor_name, "(command line)");

    // A restore onto the running server's data dir changes nothing.
    let before: HashSet<String> = std::fs::read_dir(server.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let data_dir = server.dir.path().to_owned();
    let source = file.clone();
    let out = tokio::task::spawn_blocking(move || {
        parley_command(&data_dir, &["restore", source.to_str().unwrap()], "")
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Parley is running on"),
        "{}",
        stderr(&out)
    );
    let after: HashSet<String> = std::fs::read_dir(server.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(before, after);
    assert_eq!(server.stored_provider_ids().await.len(), 5);
    let dir = server.stop().await;

    // Stopped, `parley backup` copies the store itself; both copies restore and check clean.
    let stopped = files.path().join("stopped.redb");
    let out = parley_command(dir.path(), &["backup", stopped.to_str().unwrap()], "");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("not running"), "{}", stdout(&out));
    for backup in [&file, &stopped] {
        let fresh = Arc::new(tempfile::tempdir().unwrap());
        let out = parley_command(fresh.path(), &["restore", backup.to_str().unwrap()], "");
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
        assert_check_passes(fresh.path());
        let restored = TestServer::start_in(fresh, |_| {}).await;
        let ids = restored.stored_provider_ids().await;
        assert_eq!(ids.len(), 5, "{}", backup.display());
        restored.stop().await;
    }
    // Restoring over a stopped store keeps the old one beside it.
    let out = parley_command(dir.path(), &["restore", stopped.to_str().unwrap()], "");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let kept: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("parley-before-restore-") && n.ends_with(".redb"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
}

#[tokio::test]
async fn parley_check_names_an_index_entry_that_is_gone() {
    let server = TestServer::start().await;
    assert_eq!(
        server
            .twilio_sms("SMchk1", "+14155550181", "hello")
            .await
            .status(),
        200
    );
    let dir = server.stop().await;
    assert_check_passes(dir.path());
    {
        let db = redb::Database::create(dir.path().join(parley::DB_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        let mut index = txn
            .open_multimap_table(parley::store::MESSAGES_BY_WORKITEM)
            .unwrap();
        assert!(index.remove(1, 1).unwrap());
        drop(index);
        txn.commit().unwrap();
    }
    let out = parley_command(dir.path(), &["check"], "");
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("PROBLEM  messages_by_workitem: 1 entries missing"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("the check found 1 problem"),
        "{}",
        stderr(&out)
    );
}

/// A log record as `store/wal.rs` frames it: magic, epoch, sequence, length, CRC-32 of
/// those and the payload, then the payload.
fn log_record(epoch: u64, seq: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0x5057_4c32u32.to_le_bytes());
    out.extend_from_slice(&epoch.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(&out);
    crc.update(payload);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(payload);
    out
}

#[tokio::test]
async fn parley_check_repair_sets_an_undecodable_log_record_aside() {
    use redb::ReadableDatabase as _;
    let server = TestServer::start().await;
    assert_eq!(
        server
            .twilio_sms("SMrep1", "+14155550181", "hello")
            .await
            .status(),
        200
    );
    let dir = server.stop().await;
    let db_path = dir.path().join(parley::DB_FILE);
    let epoch = {
        let db = redb::ReadOnlyDatabase::open(&db_path).unwrap();
        let txn = db.begin_read().unwrap();
        let meta = txn.open_table(parley::store::META).unwrap();
        meta.get("wal_epoch").unwrap().unwrap().value()
    };
    // As if a crash left one well-framed record this build cannot read.
    let garbage = b"{\"FromTheFuture\": true}";
    std::fs::write(dir.path().join("parley.wal"), log_record(epoch, 1, garbage)).unwrap();

    let out = parley_command(dir.path(), &["check"], "");
    assert!(!out.status.success());
    let refused = stderr(&out);
    assert!(
        refused.contains(&format!("record 1 of epoch {epoch} cannot be decoded"))
            && refused.contains("parley check --repair"),
        "{refused}"
    );

    let out = parley_command(dir.path(), &["check", "--repair"], "");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let aside = dir.path().join(format!("parley.wal.set-aside.{epoch}.1"));
    assert!(
        stdout(&out).contains(&format!("into {}", aside.display())),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read(&aside).unwrap(), garbage);
    // Repaired: the store opens again as it was.
    assert_check_passes(dir.path());
    let restarted = TestServer::start_in(dir, |_| {}).await;
    assert!(restarted.stored_provider_ids().await.contains("SMrep1"));
    restarted.stop().await;
}
