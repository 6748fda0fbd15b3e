//! What the benchmarks share: their `main`, the machine's facts, signed Twilio webhooks over
//! a minimal keep-alive HTTP/1.1 client, the in-process server, logging in, and percentiles.
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

/// CPU time (user + system) of the process, or of one of its threads, from /proc.
pub fn cpu_time(stat_path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(stat_path).ok()?;
    // Fields after the command name (which may contain spaces) start at field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux architecture Parley targets.
    Some(Duration::from_millis(ticks * 10))
}

/// The /proc stat path of the store's writer thread.
pub fn writer_thread_stat() -> Option<String> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        // Thread names are cut to 15 bytes: "parley-store-wr".
        if comm.trim().starts_with("parley-store-w") {
            return Some(task.path().join("stat").to_string_lossy().into_owned());
        }
    }
    None
}

/// The form Twilio posts for an inbound SMS (its usual fields, in its usual order).
pub fn twilio_params(sid: &str, from: &str, body: &str) -> Vec<(String, String)> {
    [
        ("ToCountry", "US"),
        ("ToState", "CA"),
        ("SmsMessageSid", sid),
        ("NumMedia", "0"),
        ("ToCity", "SAN FRANCISCO"),
        ("FromZip", ""),
        ("SmsSid", sid),
        ("FromState", ""),
        ("SmsStatus", "received"),
        ("FromCity", ""),
        ("Body", body),
        ("FromCountry", "US"),
        ("To", OUR_NUMBER),
        ("ToZip", "94105"),
        ("NumSegments", "1"),
        ("MessageSid", sid),
        ("AccountSid", ACCOUNT_SID),
        ("From", from),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// A distinct `MessageSid` for message `i` of a phase. Twilio's look random ("SM" and 32 hex
/// digits), so these are scattered too: counting up would make the dedup index an append,
/// cheaper than the random inserts real webhooks cause.
pub fn message_sid(phase: u8, i: u64) -> String {
    let seed = (u64::from(phase) << 56) ^ i;
    format!("SM{:016x}{:016x}", mix(seed), mix(seed ^ 0x5bd1_e995))
}

/// splitmix64's finaliser: a bijection on u64, so distinct inputs give distinct ids.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A complete signed webhook request, as bytes on the wire.
pub fn webhook_request(target: &Target, sid: &str, from: &str, body: &str) -> Vec<u8> {
    let params = twilio_params(sid, from, body);
    let signature = parley::sms::twilio::signature(TWILIO_TOKEN, &target.webhook_url, &params);
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &params {
        form.append_pair(k, v);
    }
    let form = form.finish();
    let mut req = String::with_capacity(form.len() + 256);
    let _ = write!(
        req,
        "POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         X-Twilio-Signature: {signature}\r\nContent-Length: {}\r\n\r\n{form}",
        target.addr,
        form.len()
    );
    req.into_bytes()
}

#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// The URL Twilio would sign: the public URL plus the path.
    pub webhook_url: String,
}

/// One keep-alive connection, one request at a time. Reads `Content-Length` bodies (all the
/// webhook answers); anything else is an error.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends `request`, reads the answer; returns its status and whether the connection may
    /// be reused.
    pub async fn round_trip(&mut self, request: &[u8]) -> std::io::Result<(u16, bool)> {
        self.stream.write_all(request).await?;
        loop {
            if let Some((status, len, keep)) = parse_response(&self.buf)? {
                self.buf.drain(..len);
                return Ok((status, keep));
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
    }
}

/// A complete response at the start of `buf`: (status, total length, keep-alive).
pub fn parse_response(buf: &[u8]) -> std::io::Result<Option<(u16, usize, bool)>> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| bad("non-UTF-8 head"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let mut length = None;
    let mut keep = true;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| bad("bad content-length"))?,
            );
        } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
            keep = false;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(bad("unexpected transfer-encoding"));
        }
    }
    let total = head_end + 4 + length.ok_or_else(|| bad("no content-length"))?;
    Ok((buf.len() >= total).then_some((status, total, keep)))
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

/// A field of `/proc/{pid}/status` in bytes (`pid` "self" for this process): `VmRSS` (all
/// resident memory) or `RssAnon` (the heap and stacks, without mapped files).
pub fn status_bytes_of(pid: &str, field: &str) -> u64 {
    let [bytes] = status_fields_of(pid, [field]);
    bytes
}

/// Several fields of `/proc/{pid}/status` in bytes, from one read of it (0 for a missing one).
pub fn status_fields_of<const N: usize>(pid: &str, fields: [&str; N]) -> [u64; N] {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    fields.map(|field| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    })
}

/// [`status_bytes_of`] this process.
pub fn status_bytes(field: &str) -> u64 {
    status_bytes_of("self", field)
}

/// Waits until `pid`'s anonymous memory has stayed within 1 MB for 15 s (threads that end
/// after a burst of work hand their memory back some seconds later), so that what is
/// measured next grows from a still start; returns the seconds waited.
pub async fn settle(pid: &str) -> Res<f64> {
    let t = std::time::Instant::now();
    let mut window = std::collections::VecDeque::new();
    loop {
        window.push_back(status_bytes_of(pid, "RssAnon"));
        if window.len() > 15 {
            window.pop_front();
            let (lo, hi) = (window.iter().min(), window.iter().max());
            if let (Some(lo), Some(hi)) = (lo, hi)
                && hi - lo < 1_000_000
            {
                return Ok(t.elapsed().as_secs_f64());
            }
        }
        if t.elapsed() > Duration::from_secs(600) {
            return Err(
                format!("the memory of process {pid} did not settle within 10 minutes").into(),
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
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

/// Spawns a server process (the release binary, or a stand-in that prints the same line) with
/// its logs off and returns once it prints `Parley is running at URL`: the child, the URL,
/// and the lines printed before it. Later output is drained, so a full pipe never blocks it.
pub fn spawn_serving(
    command: &mut std::process::Command,
) -> Res<(std::process::Child, String, Vec<String>)> {
    use std::io::BufRead as _;
    let mut child = command
        .env("PARLEY_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = std::io::BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    let url = loop {
        let line = lines.next().ok_or("the server exited before serving")??;
        if let Some(rest) = line.strip_prefix("Parley is running at ") {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
        printed.push(line);
    };
    std::thread::spawn(move || lines.for_each(drop));
    Ok((child, url, printed))
}
