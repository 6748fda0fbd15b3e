//! The reports benchmark: `cargo bench --bench reports` (`PARLEY_BENCH=quick` for a tenth).
//!
//! On the search bench's generated history (5,000,000 messages in about a million
//! conversations over 400 days, cached under `target/bench-data/`; quick: 500,000), the real
//! server in-process on a copy of it, once its search index is rebuilt and it is quiet:
//! 1. `/reports` for the last 90 days of the history over all queues, `--pages N` times one at
//!    a time (default 200): p50/p95/p99 (target p95 < 100 ms); baseline: the same page for
//!    one day, so the ratio shows what a long range costs;
//! 2. `/reports/messages.csv` over the whole history, read as it streams: rows/s (target ≥
//!    100,000) and how much the process's resident memory grows meanwhile (target < 50 MB,
//!    sampled every 10 ms from a still start; its anonymous part shown apart from mapped
//!    files), then a second pass to show what stays. Baseline: the same rows read straight from the store in the
//!    same chunks, without HTTP or CSV.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod common;
#[path = "search/corpus.rs"]
#[allow(dead_code, unused_imports)]
mod corpus;
#[path = "search/fill.rs"]
mod fill;
#[path = "search/topics.rs"]
#[allow(dead_code)]
mod topics;

use common::*;

struct Settings {
    quick: bool,
    pages: usize,
}

impl Settings {
    fn from_env() -> Res<Settings> {
        let mut s = Settings {
            quick: std::env::var("PARLEY_BENCH").as_deref() == Ok("quick"),
            pages: 200,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--bench" => {}
                "--quick" => s.quick = true,
                "--pages" => s.pages = args.next().ok_or("--pages N")?.parse()?,
                other => return Err(format!("unknown option {other}").into()),
            }
        }
        Ok(s)
    }
}

fn main() -> std::process::ExitCode {
    bench_main("reports", Settings::from_env(), run)
}

fn day(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

async fn time_pages(http: &reqwest::Client, url: &str, n: usize) -> Res<Vec<Duration>> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let res = http.get(url).send().await?;
        if !res.status().is_success() {
            return Err(format!("{url}: {}", res.status()).into());
        }
        let body = res.text().await?;
        if !body.contains("id=\"report-queues\"") {
            return Err("the report page has no figures".into());
        }
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times)
}

/// Samples resident memory every 10 ms until stopped: how much it grew at its peak, in all
/// and in its anonymous part.
struct MemorySampler {
    sampling: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    peak_anon: Arc<AtomicU64>,
    before: (u64, u64),
    thread: std::thread::JoinHandle<()>,
}

impl MemorySampler {
    fn start() -> MemorySampler {
        let sampling = Arc::new(AtomicBool::new(true));
        let peak = Arc::new(AtomicU64::new(0));
        let peak_anon = Arc::new(AtomicU64::new(0));
        let before = (status_bytes("VmRSS"), status_bytes("RssAnon"));
        let thread = {
            let (sampling, peak, peak_anon) = (sampling.clone(), peak.clone(), peak_anon.clone());
            std::thread::spawn(move || {
                while sampling.load(Ordering::Relaxed) {
                    peak.fetch_max(status_bytes("VmRSS"), Ordering::Relaxed);
                    peak_anon.fetch_max(status_bytes("RssAnon"), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
        };
        MemorySampler {
            sampling,
            peak,
            peak_anon,
            before,
            thread,
        }
    }

    /// (growth of all resident memory, growth of its anonymous part), in bytes.
    fn stop(self) -> Res<(u64, u64)> {
        self.sampling.store(false, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| "the memory sampler panicked")?;
        let grown =
            |peak: &AtomicU64, before: u64| peak.load(Ordering::Relaxed).saturating_sub(before);
        Ok((
            grown(&self.peak, self.before.0),
            grown(&self.peak_anon, self.before.1),
        ))
    }
}

/// One streamed export, read by `curl` in its own process, so that the memory sampled is the
/// server's alone: (lines, bytes, seconds, growth of resident memory at its peak, growth of
/// its anonymous part at its peak).
async fn export_pass(cookie: &str, url: &str) -> Res<(u64, u64, f64, u64, u64)> {
    use tokio::io::AsyncReadExt as _;
    let sampler = MemorySampler::start();
    let t = Instant::now();
    let mut curl = tokio::process::Command::new("curl")
        .args(["--silent", "--show-error", "--fail", "--header"])
        .arg(format!("Cookie: {cookie}"))
        .arg(url)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("the export is read with curl: {e}"))?;
    let mut out = curl.stdout.take().ok_or("no stdout from curl")?;
    let mut buf = vec![0u8; 64 << 10];
    let (mut lines, mut bytes) = (0u64, 0u64);
    loop {
        let n = out.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
    if !curl.wait().await?.success() {
        return Err("curl could not read the export".into());
    }
    let export_secs = t.elapsed().as_secs_f64();
    let (growth, anon) = sampler.stop()?;
    Ok((lines, bytes, export_secs, growth, anon))
}

async fn run(s: Settings) -> Res<bool> {
    let (messages, contacts) = if s.quick {
        (500_000, 20_000)
    } else {
        (5_000_000, 200_000)
    };
    let plan = fill::Plan {
        messages,
        contacts,
        seed: 1,
        provider_ids: false,
    };
    say(&format!("Parley reports bench: {messages} messages"));
    let numbers = fill::customer_numbers(contacts as usize)?;
    let (store_dir, _) = fill::ensure_filled(plan, &numbers).await?;
    let run_dir = fill::cache_dir(&plan).join("reports-run");
    if run_dir.exists() {
        std::fs::remove_dir_all(&run_dir)?;
    }
    std::fs::create_dir_all(&run_dir)?;
    std::fs::copy(
        store_dir.join(parley::DB_FILE),
        run_dir.join(parley::DB_FILE),
    )?;
    say("booting on a copy; waiting for the search index to be rebuilt, so the server is quiet …");
    let server = boot(&run_dir).await?;
    let (http, _) = login(&server.url, fill::ADMIN).await?;
    // Quiet means the rebuild has indexed every change the store holds: until then it
    // competes for the cores and memory being measured.
    let target = server
        .state
        .store
        .read(parley::store::last_change_seq)
        .await?;
    let waited = Instant::now();
    while server.state.search.indexed_seq() < target {
        if waited.elapsed() > Duration::from_secs(1800) {
            return Err("the search index was not rebuilt within 30 minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    say(&format!(
        "search index rebuilt in {:.0} s",
        waited.elapsed().as_secs_f64()
    ));
    let (workitems, stored) = server
        .state
        .store
        .read(|txn| {
            use redb::ReadableTableMetadata as _;
            Ok((
                txn.open_table(parley::store::WORKITEMS)?.len()?,
                txn.open_table(parley::store::MESSAGES)?.len()?,
            ))
        })
        .await?;
    say(&format!("{workitems} workitems, {stored} messages"));

    // 1. The reports page.
    let last = fill::history_end() - chrono::Duration::days(1);
    let ninety = last - chrono::Duration::days(89);
    let long = format!(
        "{}/reports?from={}&to={}",
        server.url,
        day(ninety),
        day(last)
    );
    let short = format!("{}/reports?from={}&to={}", server.url, day(last), day(last));
    time_pages(&http, &long, 20).await?;
    let long_times = time_pages(&http, &long, s.pages).await?;
    let short_times = time_pages(&http, &short, s.pages).await?;

    // 2. The messages export over the whole history, streamed.
    let year = fill::history_end() - chrono::Duration::days(fill::HISTORY_DAYS + 1);
    let export = format!(
        "{}/reports/messages.csv?from={}&to={}",
        server.url,
        day(year),
        day(last)
    );
    // Logged in before memory settles: a login's password hash takes its own 19 MiB.
    let cookie = session_cookie(&server.url, fill::ADMIN, PASSWORD).await?;
    let settled = settle("self").await?;
    say(&format!("memory settled in {settled:.0} s"));
    // First the baseline, so that its memory growth is measured from the same start.
    // Baseline: the same messages straight from the store, in the same chunks.
    let (from_t, to_t) = (
        year.date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc(),
        (last + chrono::Duration::days(1))
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc(),
    );
    let store_memory = MemorySampler::start();
    let t = Instant::now();
    let mut cursor = server
        .state
        .store
        .read(move |txn| parley::store::first_message_from(txn, from_t))
        .await?;
    let mut raw_rows = 0u64;
    while let Some(start) = cursor {
        let (n, next) = server
            .state
            .store
            .read(move |txn| {
                let (rows, next) = parley::store::messages_chunk(txn, start, 2000, to_t)?;
                Ok((
                    rows.iter()
                        .filter(|m| m.at >= from_t && m.at < to_t)
                        .count(),
                    next,
                ))
            })
            .await?;
        raw_rows += n as u64;
        cursor = next;
    }
    let raw_secs = t.elapsed().as_secs_f64();
    let (_, store_anon) = store_memory.stop()?;
    // Twice: the first pass is the one the target is about; the second shows what stays.
    let (lines, bytes, export_secs, growth, anon) = export_pass(&cookie, &export).await?;
    let (_, _, warm_secs, warm_growth, _) = export_pass(&cookie, &export).await?;
    // Newlines inside quoted bodies would count twice; the generated bodies have none.
    let rows = lines.saturating_sub(1);

    server.stop().await?;

    let p = |v: &[Duration], q: f64| percentile(v, q);
    println!();
    println!(
        "Reports on {workitems} workitems and {stored} messages (history of {} days)",
        fill::HISTORY_DAYS
    );
    println!("| measure | p50 | p95 | p99 |");
    println!("|---|---|---|---|");
    for (name, v) in [
        ("`/reports`, 90 days, all queues", &long_times),
        ("baseline: `/reports`, 1 day", &short_times),
    ] {
        println!(
            "| {name} | {} | {} | {} |",
            ms(p(v, 50.0)),
            ms(p(v, 95.0)),
            ms(p(v, 99.0))
        );
    }
    let page_ok = p(&long_times, 95.0) < Duration::from_millis(100);
    println!(
        "90 days ÷ 1 day at p95: {:.1}×; target p95 < 100 ms: {}",
        p(&long_times, 95.0).as_secs_f64() / p(&short_times, 95.0).as_secs_f64().max(1e-9),
        verdict(page_ok)
    );
    let rate = rows as f64 / export_secs;
    let raw_rate = raw_rows as f64 / raw_secs;
    let rate_ok = rate >= 100_000.0;
    // Megabytes as printed (10^6 bytes), so the verdict matches the figure.
    let memory_ok = growth < 50_000_000;
    println!(
        "`/reports/messages.csv`, the whole history ({} days): {} rows ({:.0} MB) in {export_secs:.1} s = {} rows/s (target ≥ 100,000: {}); \
         baseline: the same rows from the store alone {} rows/s ({:.2}× of it); resident memory grew {:.1} MB at its peak \
         ({:.1} MB of it anonymous: heap and stacks; reading the same rows from the store alone grew it {:.1} MB first) \
         (target < 50 MB: {}), and {:.1} MB on a second pass ({:.1} s)",
        fill::HISTORY_DAYS + 1,
        thousands(rows as f64),
        bytes as f64 / 1e6,
        thousands(rate),
        verdict(rate_ok),
        thousands(raw_rate),
        rate / raw_rate.max(1e-9),
        growth as f64 / 1e6,
        anon as f64 / 1e6,
        store_anon as f64 / 1e6,
        verdict(memory_ok),
        warm_growth as f64 / 1e6,
        warm_secs,
    );
    if raw_rows != rows {
        println!("(the export has {rows} rows, the store {raw_rows}: they should match)");
    }
    Ok(raw_rows == rows)
}
