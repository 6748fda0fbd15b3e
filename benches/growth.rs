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
//! 3. History: on the search bench's generated history with a provider id on every message
//!    (filled straight through the store and cached under `target/bench-data/`), at each of
//!    `--history 0,5000000,20000000` messages (quick: 0, 500,000 and 2,000,000): a first
//!    start that builds the search index and stops cleanly, then three cold starts to the
//!    first `GET /healthz` answer (target < 1 s), resident memory ten seconds after the
//!    last (target < 60 MB), and signed webhooks over 30 s, 64 in flight (target: at the
//!    largest history ≥ 70 % of the rate at 0), with each kind of server thread's CPU time
//!    per message meanwhile. Last, a start after a clean stop, and one after a crash under
//!    load (SIGKILL with webhooks in flight), each timed and its memory read ten seconds
//!    after it (targets as for a cold start); the start after the crash also shows where its
//!    time went (the store's opening steps, from its log). The index is built into the cache
//!    once; each run works on a copy.
//! 4. Backup: at each of `--backups 5000000` (quick: 500,000; empty for none), `parley backup`
//!    through the running server while the same webhooks keep arriving: how long it takes,
//!    the server's memory meanwhile and just after, and the webhooks' rate, slowest answer,
//!    longest pause with none answered (how long ingest stood still) and how many pauses of
//!    10, 25 and 50 ms or more a minute, against the same load just before without a backup,
//!    for about as long as the backup takes (`ingest::BEFORE_SATURATED`: a tail is compared
//!    over windows of about one length), and the store file's size. Then the same at a
//!    steady 2,000 webhooks a second (open loop): the answers' p99, p99.9 and slowest, timed
//!    from when each webhook was due, and the server's log syncs and checkpoints over each
//!    window (read from its `/metrics`). At saturation answers can only keep the pace of the
//!    store's slowest stage; below it, this says whether a backup or a checkpoint holds
//!    acknowledgements up.

#[path = "common/mod.rs"]
mod common;
#[path = "search/corpus.rs"]
#[allow(dead_code, unused_imports)]
mod corpus;
#[path = "search/fill.rs"]
mod fill;
#[path = "growth/ingest.rs"]
mod ingest;
#[path = "growth/report.rs"]
mod report;
#[path = "growth/server.rs"]
mod server;
#[path = "growth/streams.rs"]
mod streams;
#[path = "growth/threads.rs"]
mod threads;
#[path = "search/topics.rs"]
#[allow(dead_code)]
mod topics;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::*;
use ingest::*;
use server::*;
use streams::{bare_sse_server, per_stream};

const BARE_SSE: &str = "--bare-sse-server";

struct Settings {
    streams: usize,
    history: Vec<u64>,
    /// The history points at which a backup is taken under load.
    backups: Vec<u64>,
}

impl Settings {
    fn from_args() -> Res<Settings> {
        let quick = std::env::var("PARLEY_BENCH").is_ok_and(|v| v == "quick");
        let mut s = Settings {
            streams: if quick { 1_000 } else { 10_000 },
            history: if quick {
                vec![0, 500_000, 2_000_000]
            } else {
                vec![0, 5_000_000, 20_000_000]
            },
            // Not at 20 M by default: its copy needs another 16 GB of disk.
            backups: vec![if quick { 500_000 } else { 5_000_000 }],
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--bench" => {}
                "--streams" => s.streams = args.next().ok_or("--streams N")?.parse()?,
                "--history" => s.history = counts(args.next().ok_or("--history N,N,…")?)?,
                "--backups" => s.backups = counts(args.next().ok_or("--backups N,N,…")?)?,
                other => return Err(format!("unknown option {other}").into()),
            }
        }
        Ok(s)
    }
}

/// `N,N,…` (an empty string: none).
fn counts(list: String) -> Res<Vec<u64>> {
    Ok(list
        .split(',')
        .filter(|n| !n.trim().is_empty())
        .map(|n| n.trim().parse())
        .collect::<Result<_, _>>()?)
}

fn main() -> std::process::ExitCode {
    if std::env::args().any(|a| a == BARE_SSE) {
        return bare_sse_server();
    }
    bench_main("growth", Settings::from_args(), run)
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

const PUBLIC: &str = "http://parley.bench";

/// Webhooks answered before the kill of [`crash_under_load`]: 1.4 generations of
/// fingerprints (229,376 each, the store's `recent_prints::PACE`).
const CRASH_AFTER: u64 = 320_000;

/// One point of the history: the store's messages, the cold starts, resident memory ten
/// seconds after the last one, and the webhook rate.
struct Point {
    messages: u64,
    cold_starts: Vec<f64>,
    idle: u64,
    ingest: Webhooks,
    /// Saturated: a backup under load, and the same load just before it without one.
    backup: Option<(BackupUnderLoad, Webhooks)>,
    /// The same at [`STEADY_RATE`].
    steady: Option<(BackupUnderLoad, Webhooks)>,
    /// A start after the webhooks.
    restart: Restart,
    /// A start after a crash under load.
    after_crash: AfterCrash,
}

/// A start after the webhooks: seconds to `/healthz`, the resident memory 10 s after it,
/// and what the store's page cache held of that.
struct Restart {
    start: f64,
    rss: u64,
    page_cache: u64,
}

/// A start after a crash under load: the webhooks answered before the kill, the seconds to
/// `/healthz`, the memory ten seconds after the start; then, once the search index has
/// caught up with what it lost (a start after a crash indexes again what its last index
/// commit did not hold), the seconds that took from the start, and the memory 5 s later.
struct AfterCrash {
    answered: u64,
    start: f64,
    rss: u64,
    caught_up: f64,
    /// Resident memory then: all of it, anonymous, file-backed (the search index's
    /// segments among them).
    caught_up_memory: [u64; 3],
    /// What the store's page cache held then (part of the anonymous memory).
    page_cache: u64,
    /// The file-backed memory then by file: the binary, the search index (what it still
    /// holds, what it no longer does), the rest.
    file_parts: [u64; 4],
}

async fn history_point(messages: u64, customers: &[String], phase: u8, backup: bool) -> Res<Point> {
    let plan = fill::Plan {
        messages,
        contacts: (messages / 25).clamp(1_000, 800_000),
        seed: 1,
        provider_ids: true,
    };
    let numbers = fill::customer_numbers(plan.contacts as usize)?;
    let (cached, reused) = fill::ensure_filled(plan, &numbers).await?;
    say(&format!(
        "{messages} messages: {} {}",
        if reused { "reused" } else { "filled" },
        cached.display()
    ));
    // A first start builds the search index into the cache, once; each run then works on
    // a copy, so what it sends never piles up in the cache.
    let indexed = fill::cache_dir(&plan).join("INDEXED");
    if !indexed.exists() {
        let (first, _) = cold_start(parley_on(&cached)).await?;
        index_caught_up(&first).await?;
        first.stop()?;
        std::fs::write(&indexed, "the search index is built\n")?;
    }
    let dir = fill::cache_dir(&plan).join("growth-run");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    copy_dir(&cached, &dir)?;
    let point = measure_point(messages, &dir, customers, phase, backup).await;
    std::fs::remove_dir_all(&dir)?;
    point
}

/// Copies a data dir, each file flushed to disk, so that the first start afterwards is not
/// timed against the kernel writing gigabytes of the copy back behind it. The original then
/// leaves the kernel's page cache, which it would otherwise share with the copy: a machine
/// running Parley caches its one store, not a second one beside it.
fn copy_dir(from: &Path, to: &Path) -> Res<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            let mut original = std::fs::File::open(entry.path())?;
            let mut copy = std::fs::File::create(&target)?;
            std::io::copy(&mut original, &mut copy)?;
            copy.sync_all()?;
            rustix::fs::fadvise(&original, 0, None, rustix::fs::Advice::DontNeed)?;
        }
    }
    Ok(())
}

async fn measure_point(
    messages: u64,
    dir: &Path,
    customers: &[String],
    phase: u8,
    backup: bool,
) -> Res<Point> {
    let mut cold_starts = Vec::new();
    for _ in 0..2 {
        let (server, secs) = cold_start(parley_on(dir)).await?;
        cold_starts.push(secs);
        server.stop()?;
    }
    let (server, secs, idle) = start_and_settle(dir).await?;
    cold_starts.push(secs);
    let ingest = ingest(&server, customers, phase).await?;
    say(&format!(
        "    cold starts {cold_starts:.2?} s, {:.1} MB ten seconds after start, {:.0} msg/s \
         (slowest {}, longest pause {}; {} log syncs, p50 / p99 / p99.9 / max {}; {} checkpoints, \
         {:.2} s in all, p50 / p99 / max {}; threads' CPU µs a message (waiting for a CPU) {})",
        idle as f64 / 1e6,
        ingest.per_second(),
        ms(ingest.slowest),
        ms(ingest.longest_pause),
        ingest.log_syncs.all,
        ingest.log_syncs.quantiles(&SYNC_SHARES),
        ingest.checkpoints.all,
        ingest.checkpoints.seconds,
        ingest.checkpoints.quantiles(&CHECKPOINT_SHARES),
        ingest.threads.per_message(ingest.counted),
    ));
    let backup = if backup {
        let without = ingest_for(&server, customers, phase, None, BEFORE_SATURATED).await?;
        let store_before = store_file(dir)?;
        let b = backup_under_load(&server, dir, customers, phase, None).await?;
        say(&format!(
            "    backup under load: {:.1} s, {:.0} MB, memory {:.1} → {:.1} MB at most → \
             {:.1} MB after (anonymous {}, file-backed {}), {:.0} msg/s meanwhile (slowest \
             {}, longest pause {} ending {:.1} s into it, pauses of 10 / 25 / 50 ms or more a \
             minute {}; log syncs p50 / p99 / p99.9 / max {}; {} checkpoints, p50 / p99 / max \
             {}; the machine's memory stalls: {} reclaim, {} compaction); {:.0} s just \
             before, without a backup: {:.0} msg/s (slowest {}, longest pause {}, pauses a \
             minute {}; log syncs {}; checkpoints {}); the store file {} before the backup, {} \
             after it",
            b.seconds,
            b.bytes as f64 / 1e6,
            b.rss[0] as f64 / 1e6,
            b.rss[1] as f64 / 1e6,
            b.rss[2] as f64 / 1e6,
            megabytes(&b.anon),
            megabytes(&b.file),
            b.webhooks.per_second(),
            ms(b.webhooks.slowest),
            ms(b.webhooks.longest_pause),
            b.webhooks.longest_pause_at.as_secs_f64(),
            b.webhooks.pauses(),
            b.webhooks.log_syncs.quantiles(&SYNC_SHARES),
            b.webhooks.checkpoints.all,
            b.webhooks.checkpoints.quantiles(&CHECKPOINT_SHARES),
            b.webhooks.reclaim_stalls,
            b.webhooks.compaction_stalls,
            without.seconds,
            without.per_second(),
            ms(without.slowest),
            ms(without.longest_pause),
            without.pauses(),
            without.log_syncs.quantiles(&SYNC_SHARES),
            without.checkpoints.quantiles(&CHECKPOINT_SHARES),
            store_before,
            store_file(dir)?,
        ));
        let rate = Some(STEADY_RATE);
        let steady_without = ingest_for(&server, customers, phase, rate, BEFORE_STEADY).await?;
        let with = backup_under_load(&server, dir, customers, phase, rate).await?;
        say(&format!(
            "    at {STEADY_RATE} webhooks/s, from the due time, p99 / p99.9 / max: {} during a \
             backup ({:.1} s; the slowest sent {:.1} s into it), {} in {:.0} s just before \
             without one; {:.0} and {:.0} msg/s answered; log syncs over 10 ms: {} of {} and \
             {} of {}; their p50 / p99 / p99.9 / max: {} and {}; checkpoints p50 / p99 / max: \
             {} and {}; the machine's memory stalls (reclaim, compaction): {} and {}, {} and {}",
            with.webhooks.answers(),
            with.seconds,
            with.webhooks.slowest_at.as_secs_f64(),
            steady_without.answers(),
            steady_without.seconds,
            with.webhooks.per_second(),
            steady_without.per_second(),
            with.webhooks.log_syncs.over(0.01),
            with.webhooks.log_syncs.all,
            steady_without.log_syncs.over(0.01),
            steady_without.log_syncs.all,
            with.webhooks.log_syncs.quantiles(&SYNC_SHARES),
            steady_without.log_syncs.quantiles(&SYNC_SHARES),
            with.webhooks.checkpoints.quantiles(&CHECKPOINT_SHARES),
            steady_without.checkpoints.quantiles(&CHECKPOINT_SHARES),
            with.webhooks.reclaim_stalls,
            with.webhooks.compaction_stalls,
            steady_without.reclaim_stalls,
            steady_without.compaction_stalls,
        ));
        Some(((b, without), (with, steady_without)))
    } else {
        None
    };
    let (backup, steady) = backup.unzip();
    // The search index catches up first: a server indexing a backlog is not idle. A clean
    // stop writes the provider ids' fingerprints held in memory to their table, so the
    // start after it reads none back.
    index_caught_up(&server).await?;
    let stopping = Instant::now();
    server.stop()?;
    let stopped = stopping.elapsed().as_secs_f64();
    let (server, secs, rss) = start_and_settle(dir).await?;
    let restart = Restart {
        start: secs,
        rss,
        page_cache: page_cache(&server).await?,
    };
    say(&format!(
        "    stopped in {stopped:.2} s; started again once the index caught up: {secs:.2} s, \
         {:.1} MB ten seconds after start (the store's page cache {:.1} MB)",
        restart.rss as f64 / 1e6,
        restart.page_cache as f64 / 1e6
    ));
    // Killed once it holds more fingerprints than a generation, some of them being written
    // to their table: what a start reads back after a crash (them, and the log since the
    // last checkpoint) is bounded, but this is near the most it can be.
    let answered = crash_under_load(server, customers, phase, CRASH_AFTER).await?;
    let unwritten = unwritten_pages()?;
    let started = Instant::now();
    let (server, start, rss, steps) = start_and_settle_logged(dir).await?;
    index_caught_up(&server).await?;
    let caught_up = started.elapsed().as_secs_f64();
    // Read once the server has been quiet a while, not while it finishes its last commit.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after_crash = AfterCrash {
        answered,
        start,
        rss,
        caught_up,
        caught_up_memory: server.memory(),
        page_cache: page_cache(&server).await?,
        file_parts: file_backed_parts(&server.pid(), &parley::search::index_dir(dir)),
    };
    server.stop()?;
    say(&format!(
        "    killed after {answered} more webhooks were answered, the kernel then holding \
         {:.1} MB not yet written to disk; started again: {start:.2} s ({steps}), \
         {:.1} MB ten seconds after start; the index had caught up {:.1} s after start (checked \
         from 10 s on), {:.1} MB 5 s later (anonymous {:.1}, file-backed {:.1}: the binary \
         {:.1}, the search index {:.1} and {:.1} of its files deleted, other files {:.1}; the store's \
         page cache {:.1})",
        unwritten as f64 / 1e6,
        rss as f64 / 1e6,
        after_crash.caught_up,
        after_crash.caught_up_memory[0] as f64 / 1e6,
        after_crash.caught_up_memory[1] as f64 / 1e6,
        after_crash.caught_up_memory[2] as f64 / 1e6,
        after_crash.file_parts[0] as f64 / 1e6,
        after_crash.file_parts[1] as f64 / 1e6,
        after_crash.file_parts[2] as f64 / 1e6,
        after_crash.file_parts[3] as f64 / 1e6,
        after_crash.page_cache as f64 / 1e6,
    ));
    Ok(Point {
        messages,
        cold_starts,
        idle,
        ingest,
        backup,
        steady,
        restart,
        after_crash,
    })
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

    // 3. History.
    // Customers no history holds, so each point creates the same new contacts.
    let customers = fill::customer_numbers(810_000)?.split_off(800_000);
    let mut points = Vec::new();
    for (phase, &messages) in s.history.iter().enumerate() {
        let backup = s.backups.contains(&messages);
        points.push(history_point(messages, &customers, 200 + phase as u8, backup).await?);
    }

    report::print(
        started,
        demo_idle,
        s.streams,
        parley_each,
        bare_each,
        &points,
    );
    Ok(true)
}

/// The store file's size, and what of it is allocated on the disk, as "a GB (b GB on disk)".
fn store_file(dir: &Path) -> Res<String> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(dir.join(parley::DB_FILE))?;
    Ok(format!(
        "{:.2} GB ({:.2} GB on disk)",
        meta.len() as f64 / 1e9,
        (meta.blocks() * 512) as f64 / 1e9
    ))
}

/// Memory before → highest → after, in MB.
fn megabytes(parts: &[u64; 3]) -> String {
    let [before, peak, after] = parts.map(|b| b as f64 / 1e6);
    format!("{before:.1} → {peak:.1} → {after:.1} MB")
}
