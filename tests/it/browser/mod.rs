//! The browser harness: headless Chromium driven through chromedriver, the page helpers the
//! browser tests share (`page.rs`) and the checks each page must pass (`checks.rs`, with
//! axe-core's in `axe.rs`).
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them a browser test prints a loud
//! notice and passes as skipped, unless `PARLEY_REQUIRE_BROWSER=1`, which turns the notice into
//! a failure (for CI machines that must run it).

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use parley::acd::Presence;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::common::*;

mod axe;
mod checks;
mod page;
pub(crate) use axe::*;
pub(crate) use checks::*;
pub(crate) use page::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How often a wait looks at its condition again.
const POLL: Duration = Duration::from_millis(50);
/// The window size given to Chromium.
pub(crate) const WINDOW: (f64, f64) = (1280.0, 800.0);

/// chromedriver and chromium, or None (after saying so loudly) when the test should skip.
pub(crate) fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    let driver = Some(PathBuf::from(CHROMEDRIVER))
        .filter(|p| p.is_file())
        .or_else(|| on_path("chromedriver"));
    let chromium = Some(PathBuf::from(CHROMIUM)).filter(|p| p.is_file());
    match (driver, chromium) {
        (Some(d), Some(c)) => Some((d, c)),
        (d, c) => {
            let missing = [(d.is_none(), "chromedriver"), (c.is_none(), CHROMIUM)]
                .iter()
                .filter(|(m, _)| *m)
                .map(|(_, name)| *name)
                .collect::<Vec<_>>()
                .join(" and ");
            let problem =
                format!("{missing} not found; install Debian packages chromium chromium-driver");
            if std::env::var("PARLEY_REQUIRE_BROWSER").as_deref() == Ok("1") {
                panic!("browser test cannot run: {problem} (PARLEY_REQUIRE_BROWSER=1)");
            }
            // Straight to stderr, not `eprintln!`: the test harness would swallow that.
            let bar = "!".repeat(78);
            let _ = writeln!(
                std::io::stderr(),
                "\n{bar}\n!!! SKIPPED browser test: {problem}\n{bar}\n"
            );
            None
        }
    }
}

/// A fresh headless Chromium, driven through its own chromedriver; None (after saying so
/// loudly) when the tools are missing and not required.
pub(crate) async fn open_browser() -> Option<(Driver, Client)> {
    let (driver_path, chromium) = browser_tools()?;
    let driver = Driver::start(&driver_path).await;
    let c = driver.browser(&chromium).await;
    Some((driver, c))
}

/// Another browser with its own cookies, for a second person in a test that already has
/// one (so the tools are there).
pub(crate) async fn another_browser() -> (Driver, Client) {
    let (driver_path, chromium) = browser_tools().expect("browser tools");
    let driver = Driver::start(&driver_path).await;
    let c = driver.browser(&chromium).await;
    (driver, c)
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A running chromedriver; killed (with any browser it left behind) when dropped, so a failing
/// test leaves no processes.
pub(crate) struct Driver {
    child: Child,
    url: String,
    /// The browser profile; every Chromium process of ours names it on its command line.
    profile: TempDir,
}

impl Driver {
    pub(crate) async fn start(path: &Path) -> Driver {
        // A free port: let the OS pick one, then hand it to chromedriver.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let mut driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profile: tempfile::tempdir().expect("profile dir"),
        };
        let http = reqwest::Client::new();
        let status = format!("{}/status", driver.url);
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Ok(Some(code)) = driver.child.try_wait() {
                panic!("chromedriver exited at start ({code})");
            }
            if let Ok(res) = http.get(&status).send().await
                && let Ok(body) = res.json::<Value>().await
                && body["value"]["ready"] == json!(true)
            {
                return driver;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer {status} in time"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// A new browser session in a fresh profile.
    pub(crate) async fn browser(&self, chromium: &Path) -> Client {
        self.browser_with_prefs(chromium, json!({})).await
    }

    /// The same with Chromium profile preferences set, e.g.
    /// `{"profile.default_content_setting_values.notifications": 1}` (allow notifications).
    pub(crate) async fn browser_with_prefs(&self, chromium: &Path, prefs: Value) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--disable-quic",
                    "--window-size=1280,800",
                    format!("--user-data-dir={}", self.profile.path().display()),
                ],
                "prefs": prefs,
            }),
        );
        // Console messages (CSP violations among them) for [`csp_violations`].
        caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("cannot open a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // After a clean `Client::close` the browser is gone already; after a panic it may not
        // be. Only processes started with our own profile dir are ours.
        let marker = format!("--user-data-dir={}", self.profile.path().display());
        for pid in pids_with_arg(&marker) {
            let _ = Command::new("kill")
                .args(["-9", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn pids_with_arg(arg: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| c.split(|b| *b == 0).any(|a| a == arg.as_bytes()))
                .unwrap_or(false)
        })
        .collect()
}

/// `url::ParseError`, named through reqwest's `Url`.
type UrlError = <reqwest::Url as std::str::FromStr>::Err;

/// chromedriver's own command for the browser's console log (`POST /session/{id}/se/log`),
/// which fantoccini does not wrap.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &reqwest::Url,
        session_id: Option<&str>,
    ) -> Result<reqwest::Url, UrlError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        (
            axum::http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

/// chromedriver's passage to the DevTools protocol (`POST /session/{id}/goog/cdp/execute`).
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &reqwest::Url,
        session_id: Option<&str>,
    ) -> Result<reqwest::Url, UrlError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        (
            axum::http::Method::POST,
            Some(json!({"cmd": self.cmd, "params": self.params}).to_string()),
        )
    }
}

/// Runs DevTools protocol command `cmd` in the current window; its result.
pub(crate) async fn cdp(c: &Client, cmd: &str, params: Value) -> Value {
    c.issue_cmd(Cdp {
        cmd: cmd.to_owned(),
        params,
    })
    .await
    .unwrap_or_else(|e| panic!("DevTools command {cmd} failed: {e}"))
}

/// Runs `script` in every page the current window opens from now on, before the page's own
/// scripts (to watch what they call).
pub(crate) async fn before_page_scripts(c: &Client, script: &str) {
    cdp(
        c,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": script }),
    )
    .await;
}

/// Resizes the browser window and waits until the page has the new width.
pub(crate) async fn set_window(c: &Client, width: u32, height: u32) {
    c.set_window_size(width, height)
        .await
        .expect("resize the window");
    wait_js(
        c,
        &format!("the page to be {width} px wide"),
        &format!("return window.innerWidth === {width};"),
    )
    .await;
}
