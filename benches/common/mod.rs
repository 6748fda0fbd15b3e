//! What the benchmarks share: their `main`, the machine's facts, the in-process server, logging
//! in, and percentiles; signed webhooks (`webhooks.rs`) and a process seen from outside
//! (`process.rs`).
#![allow(dead_code)] // each bench uses part of it

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use parley::config::Config;
use parley::state::AppState;
use parley::tasks::Shutdown;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

mod process;
mod webhooks;
#[allow(unused_imports)] // each bench uses part of it
pub use process::*;
#[allow(unused_imports)]
pub use webhooks::*;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type Res<T> = Result<T, BoxError>;

pub const TWILIO_TOKEN: &str = "bench-auth-token-0123456789abcdef";
pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const OUR_NUMBER: &str = "+14155550100";
pub const WEBHOOK_PATH: &str = "/webhooks/twilio/sms";
pub const PASSWORD: &str = "bench-password-0123";

/// A bench's `main`: reads its settings, runs it on a multi-threaded runtime, and turns the
/// outcome into the exit code (2: bad options or no runtime; 1: failed, or its checks did not
/// hold).
pub fn bench_main<S, F>(
    name: &str,
    settings: Res<S>,
    run: impl FnOnce(S) -> F,
) -> std::process::ExitCode
where
    F: Future<Output = Res<bool>>,
{
    use std::process::ExitCode;
    let settings = match settings {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{name} bench: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{name} bench: cannot start tokio: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(settings)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("\n{name} bench FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

pub fn say(line: &str) {
    eprintln!("{line}");
    let _ = std::io::stderr().flush();
}

// ---------------------------------------------------------------------------------------------
// Machine facts

pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub kernel: String,
    pub device: String,
    pub fs_type: String,
    pub mount_point: String,
    pub mount_options: String,
}

impl Machine {
    pub fn probe(dir: &Path) -> Machine {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown".into());
        let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
        // The mount with the longest mount point that contains the directory.
        let mut best: Option<(String, String, String, String)> = None;
        if let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") {
            for line in mounts.lines() {
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.len() < 4 {
                    continue;
                }
                let point = f[1].replace("\\040", " ");
                if canonical.starts_with(&point)
                    && best.as_ref().is_none_or(|b| point.len() >= b.1.len())
                {
                    best = Some((f[0].to_owned(), point, f[2].to_owned(), f[3].to_owned()));
                }
            }
        }
        let (device, mount_point, fs_type, mount_options) = best.unwrap_or_else(|| {
            (
                "unknown".into(),
                "unknown".into(),
                "unknown".into(),
                String::new(),
            )
        });
        Machine {
            cpus,
            cpu_model,
            kernel,
            device,
            fs_type,
            mount_point,
            mount_options,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server under test

pub struct Server {
    pub url: String,
    pub target: Target,
    pub state: AppState,
    pub shutdown: Shutdown,
    pub handle: tokio::task::JoinHandle<Result<(), parley::RunError>>,
    pub db_path: PathBuf,
}

pub async fn boot(data_dir: &Path) -> Res<Server> {
    boot_with(data_dir, None).await
}

/// Boots with `provider` sending the outbound messages instead of the configured one.
pub async fn boot_with(
    data_dir: &Path,
    provider: Option<std::sync::Arc<dyn parley::sms::Provider>>,
) -> Res<Server> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    let mut config = Config {
        data_dir: data_dir.to_owned(),
        ..Config::default()
    };
    config.public_url = url.clone();
    config.sms.twilio.auth_token = TWILIO_TOKEN.into();
    let shutdown = Shutdown::default();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let options = parley::Options {
        ready: Some(ready_tx),
        provider,
        ..parley::Options::default()
    };
    let handle = tokio::spawn(parley::run_with(
        config,
        listener,
        shutdown.clone(),
        options,
    ));
    let state = tokio::time::timeout(Duration::from_secs(30), ready_rx)
        .await
        .map_err(|_| "the server did not start within 30 s")?
        .map_err(|_| "the server failed to start")?;
    Ok(Server {
        target: Target {
            addr,
            webhook_url: format!("{url}{WEBHOOK_PATH}"),
        },
        url,
        state,
        shutdown,
        handle,
        db_path: data_dir.join(parley::DB_FILE),
    })
}

impl Server {
    /// Stops gracefully; returns once every acknowledged write is on disk.
    pub async fn stop(self) -> Res<PathBuf> {
        self.shutdown.trigger();
        drop(self.state);
        tokio::time::timeout(Duration::from_secs(60), self.handle)
            .await
            .map_err(|_| "the server did not stop within 60 s")?
            .map_err(|e| format!("the server task panicked: {e}"))?
            .map_err(|e| format!("the server failed: {e}"))?;
        Ok(self.db_path)
    }
}

pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub fn thousands(x: f64) -> String {
    let n = x.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

pub fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "MISS" }
}

/// Logs `username` in like a browser (see [`log_in_with`]); returns
/// the client holding the session cookie and the session's CSRF token.
pub async fn login(url: &str, username: &str) -> Res<(reqwest::Client, String)> {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    log_in_with(&http, url, username).await?;
    let me: serde_json::Value = http
        .get(format!("{url}/api/me"))
        .send()
        .await?
        .json()
        .await?;
    let csrf = me["csrf"].as_str().ok_or("no csrf in /api/me")?.to_owned();
    Ok((http, csrf))
}

/// [`log_in_as`] with the benches' password.
pub async fn log_in_with(http: &reqwest::Client, url: &str, username: &str) -> Res<()> {
    log_in_as(http, url, username, PASSWORD).await
}

/// GET /login for its CSRF field and cookie, then POST /login, on `http` (which keeps cookies
/// and does not follow redirects).
pub async fn log_in_as(
    http: &reqwest::Client,
    url: &str,
    username: &str,
    password: &str,
) -> Res<()> {
    let page = http
        .get(format!("{url}/login"))
        .send()
        .await?
        .text()
        .await?;
    let marker = "name=\"_csrf\" value=\"";
    let at = page.find(marker).ok_or("no CSRF field on the login page")? + marker.len();
    let login_csrf = &page[at..at + page[at..].find('"').ok_or("bad CSRF field")?];
    let res = http
        .post(format!("{url}/login"))
        .form(&[
            ("_csrf", login_csrf),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await?;
    if !res.status().is_redirection() {
        return Err(format!("login of {username} failed: {}", res.status()).into());
    }
    Ok(())
}

/// The `Cookie` header of a session of `username`'s, for a client of our own (another
/// process, or raw sockets).
pub async fn session_cookie(url: &str, username: &str, password: &str) -> Res<String> {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    log_in_as(&http, url, username, password).await?;
    use reqwest::cookie::CookieStore as _;
    let cookies = jar.cookies(&url.parse()?).ok_or("no session cookie")?;
    Ok(cookies.to_str()?.to_owned())
}
