//! The core loop in a real browser: headless Chromium, driven through chromedriver, logs an
//! agent in, a second window plays the customer's phone (the simulator), and the two talk
//! through the real server: offer, accept, reply, live messages, terminate, new workitem.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test prints a loud notice
//! and passes as skipped, unless `PARLEY_REQUIRE_BROWSER=1`, which turns the notice into a
//! failure (for CI machines that must run it).

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

const CUSTOMER: &str = "+14155550123";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How often a wait looks at its condition again.
const POLL: Duration = Duration::from_millis(50);
/// The window size given to Chromium.
const WINDOW: (f64, f64) = (1280.0, 800.0);

// ---- the harness: find the tools, run chromedriver, open a browser, wait for things ----

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
/// axe-core ([`crate::axe`]).
pub(crate) async fn snapshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/browser-{name}.png"));
    std::fs::create_dir_all(path.parent().expect("target dir")).expect("target dir");
    std::fs::write(&path, png).expect("save screenshot");
    crate::axe::assert_accessible(c, name).await;
}

/// The checks every browser test ends with: the page it ends on passes axe-core
/// ([`crate::axe`]), and the browser reported no CSP violation on any page it showed.
pub(crate) async fn assert_page_clean(c: &Client, what: &str) {
    crate::axe::assert_accessible(c, what).await;
    assert_no_csp_violations(c).await;
}

/// Fails if this browser reported any CSP violation on any page it showed.
pub(crate) async fn assert_no_csp_violations(c: &Client) {
    let found = csp_violations(c).await;
    assert!(found.is_empty(), "CSP violations:\n{}", found.join("\n"));
}

/// Polls `check` every [`POLL`] until it gives `Some`, or panics naming `what` at the deadline.
pub(crate) async fn poll<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(POLL).await;
    }
}

/// Clicks the element matching `css`. Live lists redraw their items, so an element found a
/// moment ago may be gone: then the click is tried again on the new one, until the deadline.
pub(crate) async fn click(c: &Client, css: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match wait_for(c, css).await.click().await {
            Ok(()) => return,
            Err(e) if e.to_string().contains("stale element") && Instant::now() < deadline => {
                tokio::time::sleep(POLL).await;
            }
            Err(e) => panic!("cannot click {css}: {e}"),
        }
    }
}

/// Replaces the value of the field matching `css` with `text`, typed as keys.
pub(crate) async fn type_into(c: &Client, css: &str, text: &str) {
    let field = wait_for(c, css).await;
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("typing");
}

/// Logs `name` in through the login page and waits for the live workspace.
pub(crate) async fn log_in(c: &Client, server: &TestServer, name: &str) {
    log_in_to(c, server, "/workspace", name, "#app[data-live=\"1\"]").await;
}

/// Opens `path`, logs `name` in on the login page it shows, and waits for `ready`.
pub(crate) async fn log_in_to(
    c: &Client,
    server: &TestServer,
    path: &str,
    name: &str,
    ready: &str,
) {
    c.goto(&format!("{}{path}", server.url))
        .await
        .expect("open");
    type_into(c, "#username", name).await;
    type_into(c, "#password", PASSWORD).await;
    click(c, "#login-submit").await;
    wait_for(c, ready).await;
}

/// Sets the presence select and waits until the ACD has it.
pub(crate) async fn set_presence(
    c: &Client,
    server: &TestServer,
    user: &parley::domain::User,
    presence: Presence,
) {
    let value = match presence {
        Presence::Available => "available",
        Presence::Away => "away",
        Presence::Offline => "offline",
    };
    wait_for(c, "#presence")
        .await
        .select_by_value(value)
        .await
        .expect("choose presence");
    let (acd, id) = (&server.state.acd, user.id);
    poll("the ACD to have the new presence", move || async move {
        let snap = acd.snapshot(id).await.ok()?;
        (snap.view.presence == presence).then_some(())
    })
    .await;
}

/// Logs `user` in and makes them Available, as the ACD sees it.
pub(crate) async fn log_in_available(c: &Client, server: &TestServer, user: &parley::domain::User) {
    log_in(c, server, &user.username).await;
    set_presence(c, server, user, Presence::Available).await;
}

/// The first element matching `css`, once there is one.
pub(crate) async fn wait_for(c: &Client, css: &str) -> Element {
    c.wait()
        .at_most(DEADLINE)
        .every(POLL)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css} before the deadline: {e}"))
}

/// Runs `script` in the page; its `return` value.
pub(crate) async fn js(c: &Client, script: &str, args: Vec<Value>) -> Value {
    c.execute(script, args)
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// The text of every element matching `css`, in document order.
pub(crate) async fn texts(c: &Client, css: &str) -> Vec<String> {
    let v = js(
        c,
        "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent.trim());",
        vec![json!(css)],
    )
    .await;
    serde_json::from_value(v).expect("list of texts")
}

/// Waits until some element matching `css` contains `needle`; returns all their texts.
pub(crate) async fn wait_text(c: &Client, css: &str, needle: &str) -> Vec<String> {
    poll(&format!("{css} to show {needle:?}"), move || async move {
        let all = texts(c, css).await;
        all.iter().any(|t| t.contains(needle)).then_some(all)
    })
    .await
}

/// Whether the element `css` is drawn: it exists, and neither it nor a container is hidden
/// (the `hidden` attribute, or `display: none`).
pub(crate) async fn is_shown(c: &Client, css: &str) -> bool {
    js(
        c,
        "const e = document.querySelector(arguments[0]); \
         return !!e && e.getClientRects().length > 0;",
        vec![json!(css)],
    )
    .await
        == json!(true)
}

/// Waits until `script` returns true.
pub(crate) async fn wait_js(c: &Client, what: &str, script: &str) {
    poll(what, move || async move {
        (js(c, script, vec![]).await == json!(true)).then_some(())
    })
    .await
}

/// Types `text` into the field `css` and presses Enter.
pub(crate) async fn type_and_enter(c: &Client, css: &str, text: &str) {
    let field = wait_for(c, css).await;
    field.send_keys(text).await.expect("typing");
    field.send_keys(&Key::Enter).await.expect("pressing Enter");
}

/// Moves the test server's manual clock up to the real time, so the deadlines it stamps on
/// offers mean the same to the browser (which counts down against its own clock).
pub(crate) fn catch_up_clock(server: &TestServer) {
    let lag = chrono::Utc::now() - server.clock.now();
    if lag > chrono::Duration::zero() {
        server.clock.advance(lag);
    }
}

/// Customer `from` texts `body` to [`OUR_NUMBER`] through the signed webhook (message id
/// `sid`), with the server's clock caught up with the browser's.
pub(crate) async fn customer_texts_from(server: &TestServer, sid: &str, from: &str, body: &str) {
    catch_up_clock(server);
    let res = server.twilio_sms(sid, from, body).await;
    assert_eq!(res.status(), 200, "webhook for {sid}");
}

/// Accepts the one offer on screen with its button; its workitem id, once its dialog is open.
pub(crate) async fn accept_offer(c: &Client) -> u64 {
    let id = the_offer(c).await;
    click(c, &format!("#offer-{id} .accept")).await;
    wait_for(c, &format!("#item-{id}.current")).await;
    id
}

/// The customer's window texts `body`; returns once the simulator shows it sent.
pub(crate) async fn customer_texts(c: &Client, server: &TestServer, body: &str) {
    catch_up_clock(server);
    type_and_enter(c, "#sim-body", body).await;
    wait_text(c, "#sim-messages li.bubble.out .body", body).await;
    assert_eq!(
        texts(c, "#sim-error").await,
        vec![String::new()],
        "simulator error"
    );
}

/// The one offer on screen, once there is exactly one; its workitem id.
pub(crate) async fn the_offer(c: &Client) -> u64 {
    poll("an offer in #offers", move || async move {
        if texts(c, "#offers .offer").await.len() != 1 {
            return None;
        }
        let id = js(
            c,
            "return document.querySelector('#offers .offer').id;",
            vec![],
        )
        .await;
        id.as_str()?.strip_prefix("offer-")?.parse().ok()
    })
    .await
}

/// The workspace fills the window without scrolling the page itself (its lists scroll).
async fn assert_page_fits(c: &Client) {
    let sizes = js(
        c,
        "const e = document.documentElement; \
         return [e.scrollWidth, e.scrollHeight, e.clientWidth, e.clientHeight];",
        vec![],
    )
    .await;
    let [sw, sh, cw, ch]: [f64; 4] = serde_json::from_value(sizes).expect("sizes");
    assert!(
        sw <= cw && sh <= ch,
        "the page scrolls: content {sw}x{sh} in a {cw}x{ch} window"
    );
}

// ---- the story ----

#[tokio::test]
async fn agent_and_customer_windows_run_the_core_loop() {
    let Some((driver_path, chromium)) = browser_tools() else {
        return;
    };
    let started = Instant::now();
    // The browser first: its start-up is the slow part and should not eat into offer time.
    let driver = Driver::start(&driver_path).await;
    let c = driver.browser(&chromium).await;

    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.simulator_number(queue).await;
    let alice = server.add_agent("alice", &[queue], None).await;
    let url = &server.url;

    // 1. The agent's window: the workspace asks for a login first, then comes back.
    c.goto(&format!("{url}/workspace")).await.expect("open");
    wait_for(&c, "#login-form").await;
    assert_eq!(c.current_url().await.expect("url").path(), "/login");
    wait_for(&c, "#username")
        .await
        .send_keys("alice")
        .await
        .expect("type user");
    wait_for(&c, "#password")
        .await
        .send_keys(PASSWORD)
        .await
        .expect("type password");
    wait_for(&c, "#login-submit")
        .await
        .click()
        .await
        .expect("log in");
    wait_for(&c, "#app[data-live=\"1\"]").await;
    assert_eq!(c.current_url().await.expect("url").path(), "/workspace");
    let agent_window = c.window().await.expect("window");
    // `--window-size=1280,800` sizes the window; headless Chromium keeps some of it for its
    // (invisible) browser frame, so the page gets the full width and a little less height.
    let viewport: (f64, f64) = serde_json::from_value(
        js(
            &c,
            "return [window.innerWidth, window.innerHeight];",
            vec![],
        )
        .await,
    )
    .expect("viewport");
    assert!(
        viewport.0 == WINDOW.0 && viewport.1 <= WINDOW.1 && viewport.1 >= WINDOW.1 * 0.75,
        "unexpected viewport {viewport:?} for a {WINDOW:?} window"
    );

    wait_for(&c, "#presence")
        .await
        .select_by_value("available")
        .await
        .expect("choose Available");
    wait_js(
        &c,
        "the presence select to show Available",
        "return document.getElementById('presence').value === 'available';",
    )
    .await;
    let acd = &server.state.acd;
    poll("the ACD to have alice Available", move || async move {
        let snap = acd.snapshot(alice.id).await.ok()?;
        (snap.view.presence == Presence::Available).then_some(())
    })
    .await;

    // 2. The customer's window (same browser, so already logged in): the phone simulator,
    // live, texting in.
    let phone_window = c.new_window(false).await.expect("new window").handle;
    c.switch_to_window(phone_window.clone())
        .await
        .expect("to phone");
    c.goto(&format!("{url}/simulator?phone=%2B14155550123"))
        .await
        .expect("open simulator");
    wait_for(&c, "main.phone[data-live=\"1\"]").await;
    customer_texts(&c, &server, "Hi, my order never arrived").await;

    // 3. The agent sees the offer in the lower right, with who, what, where and how long.
    c.switch_to_window(agent_window.clone())
        .await
        .expect("to agent");
    let first = the_offer(&c).await;
    let offer_css = format!("#offer-{first}");
    let offer = wait_for(&c, &offer_css).await;
    let text = offer.text().await.expect("offer text");
    for part in [CUSTOMER, "Hi, my order never arrived", "Support"] {
        assert!(text.contains(part), "offer lacks {part:?}: {text:?}");
    }
    let countdown = offer
        .find(Locator::Css(".countdown"))
        .await
        .expect("countdown")
        .text()
        .await
        .expect("countdown text");
    let secs: u32 = countdown
        .strip_suffix(" s")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("countdown is not \"N s\": {countdown:?}"));
    assert!((1..=20).contains(&secs), "countdown {secs} s");
    let (x, y, w, h) = offer.rectangle().await.expect("offer rect");
    assert!(
        x >= viewport.0 / 2.0 && y >= viewport.1 / 2.0,
        "offer not in the lower right of {viewport:?}: {x},{y} {w}x{h}"
    );
    assert!(
        x + w <= viewport.0 && y + h <= viewport.1,
        "offer overflows the viewport {viewport:?}: {x},{y} {w}x{h}"
    );
    assert_page_fits(&c).await;
    snapshot(&c, "offer").await;

    offer
        .find(Locator::Css(".accept"))
        .await
        .expect("accept button")
        .click()
        .await
        .expect("accept");

    // 4. The dialog opens on the customer's message, time-stamped; the agent replies.
    wait_js(
        &c,
        "the offer to go",
        &format!("return !document.querySelector('{offer_css}');"),
    )
    .await;
    let dialog = &wait_for(&c, "#dialog").await;
    poll("the dialog to show", move || async move {
        dialog.is_displayed().await.ok()?.then_some(())
    })
    .await;
    wait_for(&c, &format!("#item-{first}.current")).await;
    wait_text(
        &c,
        "#messages li.bubble.in .body",
        "Hi, my order never arrived",
    )
    .await;
    let stamps = texts(&c, "#messages li.bubble.in time").await;
    // 24-hour time, as everywhere in Parley: "14:05:09", never "02:05:09 PM".
    assert!(
        stamps.len() == 1
            && stamps[0].len() == 8
            && stamps[0].chars().enumerate().all(|(i, ch)| if i % 3 == 2 {
                ch == ':'
            } else {
                ch.is_ascii_digit()
            }),
        "time stamps: {stamps:?}"
    );
    type_and_enter(&c, "#reply", "Sorry to hear that! Let me check.").await;
    wait_text(
        &c,
        "#messages li.bubble.out .body",
        "Sorry to hear that! Let me check.",
    )
    .await;
    assert_eq!(
        js(&c, "return document.getElementById('reply').value;", vec![]).await,
        json!(""),
        "the composer empties after sending"
    );
    // Every tab of the workitem, drawn, passes axe-core; then back to the conversation.
    for tab in [
        "contact",
        "notes",
        "survey",
        "insights",
        "data",
        "information",
        "events",
        "history",
    ] {
        click(&c, &format!("#tab-{tab}")).await;
        wait_js(
            &c,
            &format!("the {tab} tab to be drawn"),
            &format!(
                "const p = document.getElementById('panel-{tab}'); \
                 return !p.hidden && p.children.length > 0;"
            ),
        )
        .await;
        crate::axe::assert_accessible(&c, &format!("the workspace's {tab} tab")).await;
    }
    click(&c, "#tab-sms").await;
    // Marks this page, to prove later that nothing reloaded it.
    js(&c, "window.parleyTestMark = 1; return null;", vec![]).await;

    // 5. The customer's phone gets the reply, and the customer answers.
    c.switch_to_window(phone_window.clone())
        .await
        .expect("to phone");
    wait_text(
        &c,
        "#sim-messages li.bubble.in .body",
        "Sorry to hear that! Let me check.",
    )
    .await;
    customer_texts(&c, &server, "Order 1234").await;

    // 6. The answer arrives live in the same dialog; the agent terminates the workitem.
    c.switch_to_window(agent_window.clone())
        .await
        .expect("to agent");
    wait_text(&c, "#messages li.bubble.in .body", "Order 1234").await;
    assert_eq!(
        texts(&c, "#messages li.bubble .body").await,
        [
            "Hi, my order never arrived",
            "Sorry to hear that! Let me check.",
            "Order 1234"
        ],
        "the dialog holds the whole conversation in order"
    );
    assert_eq!(
        js(&c, "return window.parleyTestMark === 1;", vec![]).await,
        json!(true),
        "the workspace reloaded"
    );
    wait_for(&c, &format!("#item-{first}.current")).await;
    assert_page_fits(&c).await;
    wait_for(&c, "#terminate")
        .await
        .click()
        .await
        .expect("terminate");
    wait_js(
        &c,
        "the workitem to leave the list",
        "return document.querySelectorAll('#workitems li').length === 0;",
    )
    .await;
    poll("the dialog to close", move || async move {
        (!dialog.is_displayed().await.ok()?).then_some(())
    })
    .await;

    // 7. A new text after termination is a new workitem, offered afresh.
    c.switch_to_window(phone_window.clone())
        .await
        .expect("to phone");
    customer_texts(&c, &server, "One more thing").await;
    c.switch_to_window(agent_window.clone())
        .await
        .expect("to agent");
    let second = the_offer(&c).await;
    assert_ne!(
        second, first,
        "a text after termination starts a new workitem"
    );
    let offer = wait_for(&c, &format!("#offer-{second}")).await;
    let text = offer.text().await.expect("offer text");
    assert!(text.contains("One more thing"), "second offer: {text:?}");
    offer
        .find(Locator::Css(".accept"))
        .await
        .expect("accept button")
        .click()
        .await
        .expect("accept");
    wait_for(&c, &format!("#item-{second}.current")).await;
    wait_text(&c, "#messages li.bubble .body", "One more thing").await;
    assert_eq!(
        texts(&c, "#messages li.bubble .body").await,
        ["One more thing"],
        "the new workitem's dialog shows only its own message"
    );
    assert_eq!(texts(&c, "#workitems li").await.len(), 1);

    assert_page_clean(&c, "the end of browser").await;
    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
    eprintln!(
        "browser test took {:.1} s; screenshot in target/browser-offer.png",
        started.elapsed().as_secs_f64(),
    );
}
