//! What every page must pass: no Content-Security-Policy violation in the browser's console,
//! and no serious or critical accessibility violation (axe-core, `axe.rs`); and screenshots of
//! the states worth a look.

use super::*;

/// The console messages logged since the last call (chromedriver hands each out once).
async fn console_messages(c: &Client) -> Vec<String> {
    let log = c
        .issue_cmd(BrowserLog)
        .await
        .expect("read the browser's console log");
    log.as_array()
        .expect("log entries")
        .iter()
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Every Content-Security-Policy violation this browser reported so far (on any page it
/// showed). Chromium logs each as a console error; a marker logged last, and
/// waited for, makes sure everything before it has arrived.
pub(crate) async fn csp_violations(c: &Client) -> Vec<String> {
    static CHECKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = CHECKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let marker = format!("parley-csp-check-{n}");
    js(
        c,
        "console.error(arguments[0]); return null;",
        vec![json!(marker)],
    )
    .await;
    let mut seen: Vec<String> = Vec::new();
    let deadline = Instant::now() + DEADLINE;
    while !seen.iter().any(|m| m.contains(&marker)) {
        assert!(
            Instant::now() < deadline,
            "the console log never showed {marker}: {seen:?}"
        );
        seen.extend(console_messages(c).await);
        tokio::time::sleep(POLL).await;
    }
    seen.into_iter()
        .filter(|m| m.contains("Content Security Policy"))
        .collect()
}

/// A state worth a look: saved to `target/browser-<name>.png` for a person, and checked by
/// axe-core.
pub(crate) async fn snapshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/browser-{name}.png"));
    std::fs::create_dir_all(path.parent().expect("target dir")).expect("target dir");
    std::fs::write(&path, png).expect("save screenshot");
    assert_accessible(c, name).await;
}

/// The checks every browser test ends with: the page it ends on passes axe-core, and the
/// browser reported no CSP violation on any page it showed.
pub(crate) async fn assert_page_clean(c: &Client, what: &str) {
    assert_accessible(c, what).await;
    assert_no_csp_violations(c).await;
}

/// Fails if this browser reported any CSP violation on any page it showed.
pub(crate) async fn assert_no_csp_violations(c: &Client) {
    let found = csp_violations(c).await;
    assert!(found.is_empty(), "CSP violations:\n{}", found.join("\n"));
}
