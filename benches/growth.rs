//! The memory benchmark: `cargo bench --bench growth` (`PARLEY_BENCH=quick` or `--streams N`
//! for fewer streams).
//!
//! On the release binary in its own process, so that what is sampled is the server's alone:
//! 1. A fresh demo: `parley --demo` on an empty data dir, its resident memory once it has
//!    stayed still for 15 s (target < 40 MB).
//! 2. Open event streams: on that demo, `--streams N` (default 10,000) `/api/events` streams
//!    held open by raw sockets from this process, spread over the demo agents' sessions; the
//!    server's growth per stream (target ≤ 26 KiB, i.e. ≥ 10,000 streams per 256 MiB).
//!    Baseline: the same streams on a bare axum SSE server (this bench, started again as
//!    one), which shows what Parley adds to what the HTTP stack costs.

#[path = "common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const BARE_SSE: &str = "--bare-sse-server";

struct Settings {
    streams: usize,
}

impl Settings {
    fn from_args() -> Res<Settings> {
        let quick = std::env::var("PARLEY_BENCH").is_ok_and(|v| v == "quick");
        let mut s = Settings {
            streams: if quick { 1_000 } else { 10_000 },
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--bench" => {}
                "--streams" => s.streams = args.next().ok_or("--streams N")?.parse()?,
                other => return Err(format!("unknown option {other}").into()),
            }
        }
        Ok(s)
    }
}

fn main() -> std::process::ExitCode {
    if std::env::args().any(|a| a == BARE_SSE) {
        return bare_sse_server();
    }
    bench_main("growth", Settings::from_args(), run)
}

/// The baseline server: axum on a multi-threaded runtime (with the same allocator, linked in
/// with Parley's library), one SSE route that sends a small first event and then only
/// keep-alives, as Parley's streams do while nothing happens.
fn bare_sse_server() -> std::process::ExitCode {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use std::convert::Infallible;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(_) => return std::process::ExitCode::FAILURE,
    };
    let served = runtime.block_on(async {
        let app = axum::Router::new().route(
            "/api/events",
            axum::routing::get(|| async {
                let first = futures_util::stream::once(async {
                    Ok::<_, Infallible>(Event::default().event("sync").data("{}"))
                });
                Sse::new(first.chain(futures_util::stream::pending()))
                    .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("Parley is running at http://{}", listener.local_addr()?);
        axum::serve(listener, app).await
    });
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => std::process::ExitCode::FAILURE,
    }
}

/// A server in its own process: killed when dropped.
struct Process {
    child: Child,
    url: String,
    /// What it printed before it served (the demo's logins).
    printed: Vec<String>,
}

impl Process {
    /// Starts `program` with `args`; returns once it prints the line with its URL.
    fn start(mut command: Command) -> Res<Process> {
        let mut child = command
            .env("PARLEY_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
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
        Ok(Process {
            child,
            url,
            printed,
        })
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn rss(&self) -> u64 {
        status_bytes_of(&self.pid(), "VmRSS")
    }

    fn addr(&self) -> Res<SocketAddr> {
        Ok(self.url.trim_start_matches("http://").parse()?)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The agents' (username, password) among the logins a first run printed.
fn agent_logins(printed: &[String]) -> Vec<(String, String)> {
    printed
        .iter()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let role = words.next()?;
            let username = words.next()?;
            let password = line.split("password: ").nth(1)?;
            (role == "agent").then(|| (username.to_owned(), password.trim().to_owned()))
        })
        .collect()
}

/// Opens `/api/events` on a raw socket with `cookie` and reads until its first event has
/// ended; the socket is then held without reading (keep-alives wait in the kernel).
async fn open_stream(addr: SocketAddr, cookie: &str) -> Res<TcpStream> {
    let mut socket = TcpStream::connect(addr).await?;
    let request = format!(
        "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\
         Cookie: {cookie}\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await?;
    let mut seen = Vec::with_capacity(4096);
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Err("the stream closed before its first event".into());
        }
        seen.extend_from_slice(&buf[..n]);
        let Some(head_end) = find(&seen, b"\r\n\r\n") else {
            continue;
        };
        if !seen.starts_with(b"HTTP/1.1 200") {
            let head = String::from_utf8_lossy(&seen[..head_end]).into_owned();
            return Err(format!("the stream was refused: {head}").into());
        }
        let body = &seen[head_end + 4..];
        if find(body, b"event: sync").is_some_and(|at| find(&body[at..], b"\n\n").is_some()) {
            return Ok(socket);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Opens `n` streams, cookies taken in turn, 32 being opened at a time.
async fn open_streams(addr: SocketAddr, cookies: &[String], n: usize) -> Res<Vec<TcpStream>> {
    futures_util::stream::iter(0..n)
        .map(|i| open_stream(addr, &cookies[i % cookies.len()]))
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// The server's growth per stream in bytes, from still to still: (per stream, seconds to
/// open them all).
async fn per_stream(server: &Process, cookies: &[String], n: usize) -> Res<(f64, f64)> {
    settle(&server.pid()).await?;
    let before = server.rss();
    let t = Instant::now();
    let streams = open_streams(server.addr()?, cookies, n).await?;
    let opened = t.elapsed().as_secs_f64();
    settle(&server.pid()).await?;
    let after = server.rss();
    drop(streams);
    Ok((after.saturating_sub(before) as f64 / n as f64, opened))
}

async fn run(s: Settings) -> Res<bool> {
    let dir = tempfile::tempdir()?;
    let binary = env!("CARGO_BIN_EXE_parley");
    say(&format!("Parley memory bench: {} streams", s.streams));

    // 1. A fresh demo, idle.
    let mut demo = Command::new(binary);
    demo.args(["--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("demo"));
    let t = Instant::now();
    let demo = Process::start(demo)?;
    let started = t.elapsed().as_secs_f64();
    let settled = settle(&demo.pid()).await?;
    let demo_idle = demo.rss();
    say(&format!(
        "demo served after {started:.2} s, still after {settled:.0} s more: {:.1} MB",
        demo_idle as f64 / 1e6
    ));

    // 2. Streams on it, and on the bare server.
    let logins = agent_logins(&demo.printed);
    if logins.is_empty() {
        return Err("the demo printed no agent logins".into());
    }
    let mut cookies = Vec::new();
    for (username, password) in &logins {
        cookies.push(session_cookie(&demo.url, username, password).await?);
    }
    let (parley_each, parley_secs) = per_stream(&demo, &cookies, s.streams).await?;
    say(&format!(
        "Parley: {:.1} KiB per stream ({} opened in {parley_secs:.1} s over {} sessions)",
        parley_each / 1024.0,
        s.streams,
        cookies.len()
    ));
    drop(demo);

    let mut bare = Command::new(std::env::current_exe()?);
    bare.arg(BARE_SSE);
    let bare = Process::start(bare)?;
    let (bare_each, _) = per_stream(&bare, &["x=y".to_owned()], s.streams).await?;
    drop(bare);

    let demo_ok = demo_idle < 40_000_000;
    let streams_ok = parley_each <= 26.0 * 1024.0;
    println!();
    println!("| measure | result | baseline (same run) | target |");
    println!("|---|---|---|---|");
    println!(
        "| a fresh demo, idle | **{:.1} MB** resident (served {started:.2} s after start) | — | < 40 MB: {} |",
        demo_idle as f64 / 1e6,
        verdict(demo_ok)
    );
    println!(
        "| memory per open `/api/events` stream, {} streams | **{:.1} KiB** ({} per 256 MiB) | a bare axum SSE stream: {:.1} KiB ({:.1}×) | ≤ 26 KiB: {} |",
        s.streams,
        parley_each / 1024.0,
        thousands((256u64 << 20) as f64 / parley_each),
        bare_each / 1024.0,
        parley_each / bare_each.max(1.0),
        verdict(streams_ok)
    );
    Ok(true)
}
