//! Parley's load harness: `cargo bench --bench load`.
//!
//! In one run, on one disk, it measures
//! - (a) the disk's fsync rate: a tight 4 KiB write + `fdatasync` loop in the data dir,
//! - (b) durable inbound webhook throughput: signed Twilio webhooks over keep-alive HTTP/1.1,
//!   closed loop with many requests in flight, counting only 200s (each one acknowledges a
//!   message on disk), as messages/s and as a ratio to (a); afterwards the store is reopened
//!   from disk and must hold exactly the acknowledged messages,
//! - (c) latency from a webhook POST to the `offer` event on an agent's SSE stream at a fixed
//!   open-loop offered load (500 msg/s by default), p50/p95/p99/max; every offer must arrive;
//!   then (c)'s floor (`load/floor.rs`): the disk alone at the same pace, answering each
//!   arrival after the next write + `fdatasync`, which is as fast as any durable design can be.
//!
//! To help find bottlenecks it also reports: GET /healthz through the same client (the HTTP
//! ceiling), the webhook's ingest transaction through the store alone (closed loop, and paced
//! at (c)'s rate), group-commit batch sizes, process and store-writer CPU, and the per-call cost
//! of E.164 parsing, the Twilio signature and the ACD's timer scan.
//!
//! The real server runs in-process (`parley::run_with` on 127.0.0.1:0, system clock) with its
//! data dir in a temp dir next to the fsync file. All traffic stays on 127.0.0.1. Targets are
//! reported as PASS/MISS; the run fails (exit code 1) only when data is lost or offers never
//! arrive, or when the harness itself cannot run.
//!
//! Options (after `--`): `--quick` (or `PARLEY_BENCH=quick`) halves every duration;
//! `--concurrency N` requests in flight for (b) (default 256); `--rate N` msg/s for (c)
//! (default 500); `--agents N` for (c) (default 20); `--dir PATH` where the temp dir goes
//! (default: the system temp dir).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use parley::domain::{AgentSettings, E164, Role};
use parley::state::AppState;
use parley::store::{BatchStats, InboundSms, Store};
use redb::ReadableTableMetadata as _;

mod common;
use common::*;
#[path = "load/floor.rs"]
mod floor;

/// Distinct customer numbers in (b): the first message from each opens a workitem, later ones
/// continue it.
const THROUGHPUT_CUSTOMERS: usize = 20_000;
/// Per-agent capacity in (c), so capacity never limits routing during the run.
const AGENT_CAPACITY: u32 = 1000;
/// Connections opened before (c) starts sending.
const LATENCY_CONNECTIONS: usize = 32;
/// How long (c) waits for the last offers after the last send.
const OFFER_GRACE: Duration = Duration::from_secs(10);

struct Settings {
    quick: bool,
    fsync: Duration,
    warmup: Duration,
    throughput: Duration,
    store_only: Duration,
    http_probe: Duration,
    latency_warmup: Duration,
    latency: Duration,
    concurrency: usize,
    rate: u32,
    agents: usize,
    dir: PathBuf,
    command: String,
}

impl Settings {
    fn from_env() -> Res<Settings> {
        let mut args = std::env::args().skip(1);
        let mut quick = std::env::var("PARLEY_BENCH").is_ok_and(|v| v == "quick");
        let mut concurrency = 256;
        let mut rate = 500;
        let mut agents = 20;
        let mut dir = std::env::temp_dir();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--bench" => {} // passed by `cargo bench`
                "--quick" => quick = true,
                "--concurrency" => concurrency = value("--concurrency")?.parse()?,
                "--rate" => rate = value("--rate")?.parse()?,
                "--agents" => agents = value("--agents")?.parse()?,
                "--dir" => dir = PathBuf::from(value("--dir")?),
                other if other.starts_with('-') => {
                    return Err(format!("unknown option {other}").into());
                }
                _ => {} // a cargo bench name filter: there is only one benchmark
            }
        }
        if concurrency == 0 || rate == 0 || agents == 0 {
            return Err("--concurrency, --rate and --agents must be at least 1".into());
        }
        let scale = |secs: f64| Duration::from_secs_f64(if quick { secs / 2.0 } else { secs });
        let mut command = String::from(if quick {
            "PARLEY_BENCH=quick cargo bench --bench load"
        } else {
            "cargo bench --bench load"
        });
        let extra: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| a != "--bench" && !(quick && a == "--quick"))
            .collect();
        if !extra.is_empty() {
            command.push_str(" -- ");
            command.push_str(&extra.join(" "));
        }
        Ok(Settings {
            quick,
            fsync: scale(2.0),
            warmup: scale(2.0),
            throughput: scale(10.0),
            store_only: scale(3.0),
            http_probe: scale(2.0),
            latency_warmup: scale(1.0),
            latency: scale(10.0),
            concurrency,
            rate,
            agents,
            dir,
            command,
        })
    }
}

fn main() -> std::process::ExitCode {
    bench_main("load", Settings::from_env(), run)
}

/// Runs every part; returns whether the data checks held (targets only report).
async fn run(settings: Settings) -> Res<bool> {
    let temp = tempfile::Builder::new()
        .prefix("parley-bench-")
        .tempdir_in(&settings.dir)
        .map_err(|e| {
            format!(
                "cannot create a temp dir in {}: {e}",
                settings.dir.display()
            )
        })?;
    let root = temp.path().to_owned();
    let machine = Machine::probe(&root);
    say(&format!(
        "Parley load bench{}: {} CPUs, temp dir {} on {} ({}, mounted at {})",
        if settings.quick { " (quick)" } else { "" },
        machine.cpus,
        root.display(),
        machine.device,
        machine.fs_type,
        machine.mount_point,
    ));

    let numbers = customer_numbers(THROUGHPUT_CUSTOMERS.max(latency_messages(&settings)))?;

    say("(a) fsync rate ...");
    let fsync = {
        let dir = root.clone();
        let d = settings.fsync;
        tokio::task::spawn_blocking(move || fsync_rate(&dir, d)).await??
    };
    say(&format!(
        "    append 4 KiB + fdatasync: {:.0}/s; overwrite 4 KiB in place + fdatasync: {:.0}/s",
        fsync.append, fsync.overwrite
    ));

    say("cost of the webhook's CPU steps (one core) ...");
    let micro = micro_costs(&numbers)?;

    say(&format!(
        "(b) webhook throughput, {} in flight, {:?} warm-up + {:?} ...",
        settings.concurrency, settings.warmup, settings.throughput
    ));
    let throughput = throughput_phase(&root.join("throughput"), &settings, &numbers).await?;
    say(&format!(
        "    GET /healthz {:.0} req/s; webhooks {:.0} msg/s, {:.1} writes/commit; store holds {} of {} acknowledged; \
         index {} changes behind, caught up in {:.1} s",
        throughput.health_rate,
        throughput.rate,
        throughput.writes_per_commit,
        throughput.stored,
        throughput.acked,
        throughput.index.behind,
        throughput.index.took.as_secs_f64(),
    ));

    say(&format!(
        "store alone (no HTTP): paced at {} msg/s, then {} writers, {:?} each ...",
        settings.rate, settings.concurrency, settings.store_only
    ));
    let store_only = store_only_phase(&root.join("store-only"), &settings, &numbers).await?;
    say(&format!(
        "    paced p50 {} p99 {}; closed loop {:.0} msg/s, {:.1} writes/commit",
        ms(store_only.paced[0]),
        ms(store_only.paced[1]),
        store_only.rate,
        store_only.writes_per_commit
    ));

    say(&format!(
        "(c) webhook → SSE offer latency at {} msg/s, {} agents, {:?} warm-up + {:?} ...",
        settings.rate, settings.agents, settings.latency_warmup, settings.latency
    ));
    let latency = latency_phase(&root.join("latency"), &settings, &numbers).await?;

    let report = report(
        &settings,
        &machine,
        &fsync,
        &micro,
        &throughput,
        &store_only,
        &latency,
    );
    println!("\n{report}");

    let mut ok = true;
    if let Some(problem) = &throughput.data_problem {
        eprintln!("DATA CHECK FAILED (b): {problem}");
        ok = false;
    }
    if let Some(problem) = &latency.problem {
        eprintln!("DATA CHECK FAILED (c): {problem}");
        ok = false;
    }
    drop(temp);
    Ok(ok)
}

// ---------------------------------------------------------------------------------------------
// (a) fsync rate

struct Fsync {
    append: f64,
    overwrite: f64,
    /// p50, p99, max of one write + fdatasync, per loop.
    append_latency: [Duration; 3],
    overwrite_latency: [Duration; 3],
}

impl Fsync {
    /// The reference for (b)'s ratio: the faster of the two loops, so the ratio is not
    /// flattered by the slower one.
    fn reference(&self) -> f64 {
        self.append.max(self.overwrite)
    }
}

fn fsync_rate(dir: &Path, duration: Duration) -> Res<Fsync> {
    let block = [0x5au8; 4096];
    // Appending: each fdatasync also commits the file's new size (like a log).
    let path = dir.join("fsync-append.bin");
    let mut file = std::fs::File::create(&path)?;
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < duration {
        let t = Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        samples.push(t.elapsed());
    }
    let append = samples.len() as f64 / start.elapsed().as_secs_f64();
    let append_latency = spread(&mut samples);
    drop(file);
    std::fs::remove_file(&path)?;

    // Overwriting one allocated block: data only, no metadata to commit.
    let path = dir.join("fsync-overwrite.bin");
    let file = std::fs::File::create(&path)?;
    file.write_all_at(&block, 0)?;
    file.sync_all()?;
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < duration {
        let t = Instant::now();
        file.write_all_at(&block, 0)?;
        file.sync_data()?;
        samples.push(t.elapsed());
    }
    let overwrite = samples.len() as f64 / start.elapsed().as_secs_f64();
    let overwrite_latency = spread(&mut samples);
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(Fsync {
        append,
        overwrite,
        append_latency,
        overwrite_latency,
    })
}

// ---------------------------------------------------------------------------------------------
// Customers, webhook requests, and a minimal keep-alive HTTP/1.1 client

/// Fictional North American numbers (NPA-555-01XX, reserved for fiction, so nobody real is
/// ever named), each checked to normalise to itself.
fn customer_numbers(count: usize) -> Res<Vec<String>> {
    let mut out = Vec::with_capacity(count);
    'areas: for area in 201..=999u32 {
        for line in 0..100u32 {
            if out.len() == count {
                break 'areas;
            }
            let n = format!("+1{area}55501{line:02}");
            if E164::parse(&n).is_ok_and(|p| p.as_str() == n) {
                out.push(n);
            }
        }
    }
    if out.len() < count {
        return Err(format!("only {} fictional customer numbers available", out.len()).into());
    }
    Ok(out)
}

fn message_body(i: u64) -> String {
    format!("Hi, order #{i} has not arrived yet and the tracking page shows nothing. Can you help?")
}

/// Counts what the store holds, by reopening it from disk; also how long the reopening took
/// (it loads every provider id into memory).
async fn stored_counts(db_path: PathBuf) -> Res<(u64, u64, Duration)> {
    tokio::task::spawn_blocking(move || -> Res<(u64, u64, Duration)> {
        let started = Instant::now();
        let (store, writer) = Store::open(&db_path)?;
        let reopen = started.elapsed();
        let (messages, ids) = store.read_blocking(|txn| {
            Ok((
                txn.open_table(parley::store::MESSAGES)?.len()?,
                txn.open_table(parley::store::PROVIDER_IDS)?.len()?,
            ))
        })?;
        drop(store);
        let _ = writer.join();
        Ok((messages, ids, reopen))
    })
    .await?
}

// ---------------------------------------------------------------------------------------------
// Costs of single steps, for finding the bottleneck

struct Micro {
    phone_parse: Duration,
    signature: Duration,
    /// The ACD task's per-command scan for its next timer, with this many workitems queued.
    deadline_scan: (usize, Duration),
}

fn micro_costs(numbers: &[String]) -> Res<Micro> {
    let per_op = |budget: Duration, mut f: Box<dyn FnMut(usize) -> bool>| -> Res<Duration> {
        let start = Instant::now();
        let mut n = 0usize;
        while start.elapsed() < budget {
            for _ in 0..64 {
                if !f(n) {
                    return Err("a micro benchmark step failed".into());
                }
                n += 1;
            }
        }
        Ok(start.elapsed() / n as u32)
    };
    let nums = numbers.to_vec();
    let phone_parse = per_op(
        Duration::from_millis(300),
        Box::new(move |i| E164::parse(&nums[i % nums.len()]).is_ok()),
    )?;
    let params = twilio_params(&message_sid(0, 1), &numbers[0], &message_body(1));
    let url = "http://127.0.0.1:8080/webhooks/twilio/sms".to_owned();
    let signature = per_op(
        Duration::from_millis(300),
        Box::new(move |_| !parley::sms::twilio::signature(TWILIO_TOKEN, &url, &params).is_empty()),
    )?;
    let queued = THROUGHPUT_CUSTOMERS;
    let mut engine = parley::acd::Engine::new(
        3,
        chrono::Duration::seconds(20),
        chrono::Duration::seconds(120),
    );
    let now = chrono::Utc::now();
    for i in 0..queued as u64 {
        engine.enqueue(
            parley::acd::Routable {
                id: parley::domain::WorkitemId(i + 1),
                queue: parley::domain::QueueId(1),
                priority: 0,
                created_at: now,
            },
            now,
        );
    }
    let scan = per_op(
        Duration::from_millis(300),
        Box::new(move |_| engine.next_deadline().is_none()),
    )?;
    Ok(Micro {
        phone_parse,
        signature,
        deadline_scan: (queued, scan),
    })
}

// ---------------------------------------------------------------------------------------------
// (b) throughput

#[derive(Default)]
struct Counters {
    next: AtomicU64,
    sent: AtomicU64,
    acked: AtomicU64,
    io_errors: AtomicU64,
    stop: AtomicBool,
    other: Mutex<BTreeMap<u16, u64>>,
    first_error: Mutex<Option<String>>,
}

struct Throughput {
    /// GET /healthz through the same client and server: the HTTP ceiling on this machine.
    health_rate: f64,
    rate: f64,
    window: Duration,
    window_acked: u64,
    writes_per_commit: f64,
    commits_per_sec: f64,
    cpu_percent: f64,
    writer_cpu_percent: Option<f64>,
    sent: u64,
    acked: u64,
    refused: BTreeMap<u16, u64>,
    io_errors: u64,
    first_error: Option<String>,
    stored: u64,
    stored_ids: u64,
    /// How long `Store::open` took on the full data dir.
    reopen: Duration,
    data_problem: Option<String>,
    /// From the first webhook sent to the last answered, warm-up included.
    run_time: Duration,
    index: IndexCatchUp,
}

struct Snapshot {
    at: Instant,
    acked: u64,
    batches: BatchStats,
    cpu: Option<Duration>,
    writer_cpu: Option<Duration>,
}

fn snapshot(counters: &Counters, state: &AppState, writer_stat: Option<&str>) -> Snapshot {
    Snapshot {
        at: Instant::now(),
        acked: counters.acked.load(Ordering::Relaxed),
        batches: state.store.batch_stats(),
        cpu: cpu_time("/proc/self/stat"),
        writer_cpu: writer_stat.and_then(cpu_time),
    }
}

type MakeRequest = Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>;

async fn closed_loop_worker(target: Target, counters: Arc<Counters>, make: MakeRequest) {
    let mut conn: Option<Conn> = None;
    while !counters.stop.load(Ordering::Relaxed) {
        let mut c = match conn.take() {
            Some(c) => c,
            None => match Conn::open(target.addr).await {
                Ok(c) => c,
                Err(e) => {
                    counters.io_errors.fetch_add(1, Ordering::Relaxed);
                    lock(&counters.first_error).get_or_insert(format!("connect: {e}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let request = make(counters.next.fetch_add(1, Ordering::Relaxed));
        counters.sent.fetch_add(1, Ordering::Relaxed);
        match c.round_trip(&request).await {
            Ok((status, keep)) => {
                if status == 200 {
                    counters.acked.fetch_add(1, Ordering::Relaxed);
                } else {
                    *lock(&counters.other).entry(status).or_default() += 1;
                }
                if keep {
                    conn = Some(c);
                }
            }
            Err(e) => {
                counters.io_errors.fetch_add(1, Ordering::Relaxed);
                lock(&counters.first_error).get_or_insert(format!("request: {e}"));
            }
        }
    }
}

async fn throughput_phase(dir: &Path, settings: &Settings, numbers: &[String]) -> Res<Throughput> {
    let server = boot(dir).await?;
    let writer_stat = writer_thread_stat();

    // The HTTP stack and this load generator alone: GET /healthz, same connections.
    let health = Arc::new(Counters::default());
    let get = format!(
        "GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n",
        server.target.addr
    )
    .into_bytes();
    let make: MakeRequest = Arc::new(move |_| get.clone());
    let workers: Vec<_> = (0..settings.concurrency)
        .map(|_| {
            tokio::spawn(closed_loop_worker(
                server.target.clone(),
                health.clone(),
                make.clone(),
            ))
        })
        .collect();
    let t = Instant::now();
    tokio::time::sleep(settings.http_probe).await;
    let health_rate = health.acked.load(Ordering::Relaxed) as f64 / t.elapsed().as_secs_f64();
    health.stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await?;
    }

    let counters = Arc::new(Counters::default());
    let numbers = Arc::new(numbers[..THROUGHPUT_CUSTOMERS].to_vec());
    let target = server.target.clone();
    let make: MakeRequest = Arc::new(move |i| {
        let from = &numbers[i as usize % numbers.len()];
        webhook_request(&target, &message_sid(0xb, i), from, &message_body(i))
    });
    let load_started = Instant::now();
    let workers: Vec<_> = (0..settings.concurrency)
        .map(|_| {
            tokio::spawn(closed_loop_worker(
                server.target.clone(),
                counters.clone(),
                make.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(settings.warmup).await;
    let s0 = snapshot(&counters, &server.state, writer_stat.as_deref());
    tokio::time::sleep(settings.throughput).await;
    let s1 = snapshot(&counters, &server.state, writer_stat.as_deref());
    counters.stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await?;
    }
    let run_time = load_started.elapsed();
    let index = index_catch_up(&server.state).await?;
    let window = s1.at - s0.at;
    let secs = window.as_secs_f64();
    let window_acked = s1.acked - s0.acked;
    let commits = s1.batches.commits - s0.batches.commits;
    let writes = s1.batches.writes - s0.batches.writes;
    let cpu_percent = match (s0.cpu, s1.cpu) {
        (Some(a), Some(b)) => (b - a).as_secs_f64() / secs * 100.0,
        _ => f64::NAN,
    };
    let writer_cpu_percent = match (s0.writer_cpu, s1.writer_cpu) {
        (Some(a), Some(b)) => Some((b - a).as_secs_f64() / secs * 100.0),
        _ => None,
    };

    let db_path = server.stop().await?;
    let (stored, stored_ids, reopen) = stored_counts(db_path).await?;
    let sent = counters.sent.load(Ordering::Relaxed);
    let acked = counters.acked.load(Ordering::Relaxed);
    let io_errors = counters.io_errors.load(Ordering::Relaxed);
    let refused = lock(&counters.other).clone();
    let failures = io_errors + refused.values().sum::<u64>();
    let data_problem = if stored < acked {
        Some(format!(
            "LOST DATA: {acked} messages were acknowledged with 200 but the store holds {stored}"
        ))
    } else if failures == 0 && stored != acked {
        Some(format!(
            "the store holds {stored} messages but {acked} were acknowledged and none failed"
        ))
    } else if stored > sent {
        Some(format!(
            "the store holds {stored} messages but only {sent} were sent"
        ))
    } else if stored_ids != stored {
        Some(format!(
            "{stored} messages but {stored_ids} provider ids: the dedup index disagrees"
        ))
    } else if acked == 0 {
        Some("no webhook was acknowledged".into())
    } else {
        None
    };
    Ok(Throughput {
        health_rate,
        rate: window_acked as f64 / secs,
        window,
        window_acked,
        writes_per_commit: if commits == 0 {
            0.0
        } else {
            writes as f64 / commits as f64
        },
        commits_per_sec: commits as f64 / secs,
        cpu_percent,
        writer_cpu_percent,
        sent,
        acked,
        refused,
        io_errors,
        first_error: lock(&counters.first_error).clone(),
        stored,
        stored_ids,
        reopen,
        data_problem,
        run_time,
        index,
    })
}

/// How far the search index was behind when the load stopped, and how long it then took to
/// hold every change the store had.
struct IndexCatchUp {
    behind: u64,
    took: Duration,
}

/// The longest the index may take to catch up before the bench calls it stuck.
const CATCH_UP_DEADLINE: Duration = Duration::from_secs(300);

async fn index_catch_up(state: &AppState) -> Res<IndexCatchUp> {
    let started = Instant::now();
    let target = state.store.read(parley::store::last_change_seq).await?;
    let behind = target.saturating_sub(state.search.indexed_seq());
    while state.search.indexed_seq() < target {
        if started.elapsed() > CATCH_UP_DEADLINE {
            return Err(format!(
                "the search index did not catch up within {CATCH_UP_DEADLINE:?} \
                 ({} of {target} changes indexed)",
                state.search.indexed_seq()
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(IndexCatchUp {
        behind,
        took: started.elapsed(),
    })
}

// ---------------------------------------------------------------------------------------------
// The store alone: the same ingest transaction through group commit, without HTTP

struct StoreOnly {
    /// Latency of one durable ingest at (c)'s rate, open loop: p50, p99, max.
    paced: [Duration; 3],
    paced_rate: u32,
    rate: f64,
    writes_per_commit: f64,
    writer_cpu_percent: Option<f64>,
}

async fn store_only_phase(dir: &Path, settings: &Settings, numbers: &[String]) -> Res<StoreOnly> {
    std::fs::create_dir_all(dir)?;
    let (store, writer) = Store::open(&dir.join(parley::DB_FILE))?;
    parley::bootstrap::ensure_default_queue(&store).await?;
    let writer_stat = writer_thread_stat();
    let phones = numbers[..THROUGHPUT_CUSTOMERS]
        .iter()
        .map(|n| E164::parse(n))
        .collect::<Result<Vec<E164>, _>>()?;
    let phones = Arc::new(phones);
    let to = E164::parse(OUR_NUMBER)?;

    // Paced like (c): one new customer per write, open loop.
    let interval = Duration::from_secs(1) / settings.rate;
    let paced_count =
        ((settings.store_only.as_secs_f64() * f64::from(settings.rate)) as usize).min(phones.len());
    let t0 = Instant::now() + Duration::from_millis(10);
    let mut paced = Vec::with_capacity(paced_count);
    for (k, from) in phones[..paced_count].iter().enumerate() {
        tokio::time::sleep_until((t0 + interval * k as u32).into()).await;
        let sms = InboundSms {
            provider: "twilio",
            provider_id: Some(message_sid(0x6, k as u64)),
            from: from.clone(),
            to: to.clone(),
            body: message_body(k as u64),
            received_at: chrono::Utc::now(),
        };
        let store = store.clone();
        paced.push(tokio::spawn(async move {
            let start = Instant::now();
            store.ingest(vec![sms]).await.map(|_| start.elapsed())
        }));
    }
    let mut paced_latency = Vec::with_capacity(paced_count);
    for p in paced {
        paced_latency.push(p.await??);
    }
    let paced = spread(&mut paced_latency);

    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let failed = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..settings.concurrency)
        .map(|_| {
            let (store, phones, to) = (store.clone(), phones.clone(), to.clone());
            let (next, done, stop, failed) =
                (next.clone(), done.clone(), stop.clone(), failed.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let sms = InboundSms {
                        provider: "twilio",
                        provider_id: Some(message_sid(0x5, i)),
                        from: phones[i as usize % phones.len()].clone(),
                        to: to.clone(),
                        body: message_body(i),
                        received_at: chrono::Utc::now(),
                    };
                    match store.ingest(vec![sms]).await {
                        Ok(_) => done.fetch_add(1, Ordering::Relaxed),
                        Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    let half = settings.store_only / 3;
    tokio::time::sleep(half).await; // warm-up
    let (t0, n0, b0) = (
        Instant::now(),
        done.load(Ordering::Relaxed),
        store.batch_stats(),
    );
    let w0 = writer_stat.as_deref().and_then(cpu_time);
    tokio::time::sleep(settings.store_only - half).await;
    let (t1, n1, b1) = (
        Instant::now(),
        done.load(Ordering::Relaxed),
        store.batch_stats(),
    );
    let w1 = writer_stat.as_deref().and_then(cpu_time);
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await?;
    }
    drop(store);
    tokio::task::spawn_blocking(move || writer.join())
        .await?
        .map_err(|_| "the store writer panicked")?;
    if failed.load(Ordering::Relaxed) > 0 {
        return Err(format!(
            "{} direct store writes failed",
            failed.load(Ordering::Relaxed)
        )
        .into());
    }
    let secs = (t1 - t0).as_secs_f64();
    let commits = b1.commits - b0.commits;
    Ok(StoreOnly {
        paced,
        paced_rate: settings.rate,
        rate: (n1 - n0) as f64 / secs,
        writes_per_commit: if commits == 0 {
            0.0
        } else {
            (b1.writes - b0.writes) as f64 / commits as f64
        },
        writer_cpu_percent: match (w0, w1) {
            (Some(a), Some(b)) => Some((b - a).as_secs_f64() / secs * 100.0),
            _ => None,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// (c) latency

fn latency_messages(settings: &Settings) -> usize {
    let secs = (settings.latency_warmup + settings.latency).as_secs_f64();
    (secs * f64::from(settings.rate)).ceil() as usize
}

struct Latency {
    rate: u32,
    agents: usize,
    sent: usize,
    measured: usize,
    warmup_messages: usize,
    offers_arrived: usize,
    offer_events: u64,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
    ack_p50: Duration,
    ack_p99: Duration,
    lag_max: Duration,
    extra_connections: u64,
    achieved_rate: f64,
    /// What the store's writer waited for on the disk during (c), warm-up included.
    disk: BatchStats,
    floor: floor::Floor,
    problem: Option<String>,
}

/// What the agents' SSE readers saw: the first offer per customer, and how many offers.
#[derive(Default)]
struct Offers {
    first: Mutex<HashMap<String, Instant>>,
    events: AtomicU64,
}

/// A browser-like agent: logs in, opens its live stream, goes Available.
async fn agent_session(
    server: &Server,
    username: &str,
    offers: Arc<Offers>,
) -> Res<tokio::task::JoinHandle<()>> {
    let (http, csrf) = common::login(&server.url, username).await?;
    let res = http
        .get(format!("{}/api/events", server.url))
        .send()
        .await?;
    if res.status() != 200 {
        return Err(format!("event stream refused: {}", res.status()).into());
    }
    let (synced_tx, synced_rx) = tokio::sync::oneshot::channel();
    let reader = tokio::spawn(read_offers(res, offers, synced_tx));
    tokio::time::timeout(Duration::from_secs(10), synced_rx)
        .await
        .map_err(|_| "no sync event within 10 s")?
        .map_err(|_| "the event stream ended before its sync")?;
    let res = http
        .post(format!("{}/api/presence", server.url))
        .header("X-CSRF-Token", &csrf)
        .json(&serde_json::json!({"presence": "available"}))
        .send()
        .await?;
    if !res.status().is_success() {
        return Err(format!("presence refused: {}", res.status()).into());
    }
    Ok(reader)
}

/// Reads an agent's SSE stream, stamping each chunk when it arrives.
async fn read_offers(
    res: reqwest::Response,
    offers: Arc<Offers>,
    synced: tokio::sync::oneshot::Sender<()>,
) {
    let mut synced = Some(synced);
    let mut stream = res.bytes_stream();
    let mut buf = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        let arrived = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut name = "";
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            match name {
                "sync" => {
                    if let Some(tx) = synced.take() {
                        let _ = tx.send(());
                    }
                }
                "offer" => {
                    offers.events.fetch_add(1, Ordering::Relaxed);
                    let value: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
                    if let Some(customer) = value["workitem"]["customer"].as_str() {
                        lock(&offers.first)
                            .entry(customer.to_owned())
                            .or_insert(arrived);
                    }
                }
                _ => {}
            }
        }
    }
}

struct Sent {
    scheduled: Instant,
    start: Instant,
    done: Instant,
    outcome: Result<u16, String>,
}

async fn latency_phase(dir: &Path, settings: &Settings, numbers: &[String]) -> Res<Latency> {
    let server = boot(dir).await?;
    let state = server.state.clone();
    let queue = parley::bootstrap::ensure_default_queue(&state.store).await?;
    let offers = Arc::new(Offers::default());
    let mut readers = Vec::new();
    for k in 0..settings.agents {
        let name = format!("agent{k:03}");
        let user =
            parley::bootstrap::add_user(&state.store, &name, &name, Role::Agent, PASSWORD).await?;
        let agent_settings = AgentSettings {
            queues: vec![queue],
            capacity: Some(AGENT_CAPACITY),
            ..Default::default()
        };
        let s = agent_settings.clone();
        state
            .store
            .write(move |txn| parley::store::put_agent_settings(txn, user.id, &s))
            .await?;
        state.acd.configure(user.id, agent_settings);
        readers.push(agent_session(&server, &name, offers.clone()).await?);
    }
    drop(state);

    let total = latency_messages(settings);
    let warmup_messages =
        (settings.latency_warmup.as_secs_f64() * f64::from(settings.rate)).round() as usize;
    let customers: Vec<String> = numbers[..total].to_vec();
    let requests: Vec<Vec<u8>> = customers
        .iter()
        .enumerate()
        .map(|(i, from)| {
            webhook_request(
                &server.target,
                &message_sid(0xc, i as u64),
                from,
                &message_body(i as u64),
            )
        })
        .collect();
    let pool = Arc::new(Mutex::new(Vec::new()));
    for _ in 0..LATENCY_CONNECTIONS {
        let conn = Conn::open(server.target.addr).await?;
        lock(&pool).push(conn);
    }
    let extra_connections = Arc::new(AtomicU64::new(0));
    let interval = Duration::from_secs(1) / settings.rate;
    let t0 = Instant::now() + Duration::from_millis(100);
    let mut sends = Vec::with_capacity(total);
    for (i, request) in requests.into_iter().enumerate() {
        let scheduled = t0 + interval * i as u32;
        tokio::time::sleep_until(scheduled.into()).await;
        let (pool, extra, addr) = (pool.clone(), extra_connections.clone(), server.target.addr);
        sends.push(tokio::spawn(async move {
            let pooled = lock(&pool).pop();
            let mut conn = match pooled {
                Some(c) => c,
                None => {
                    extra.fetch_add(1, Ordering::Relaxed);
                    match Conn::open(addr).await {
                        Ok(c) => c,
                        Err(e) => {
                            let now = Instant::now();
                            return Sent {
                                scheduled,
                                start: now,
                                done: now,
                                outcome: Err(format!("connect: {e}")),
                            };
                        }
                    }
                }
            };
            let start = Instant::now();
            let result = conn.round_trip(&request).await;
            let done = Instant::now();
            let outcome = match result {
                Ok((status, keep)) => {
                    if keep {
                        lock(&pool).push(conn);
                    }
                    Ok(status)
                }
                Err(e) => Err(e.to_string()),
            };
            Sent {
                scheduled,
                start,
                done,
                outcome,
            }
        }));
    }
    let mut results = Vec::with_capacity(total);
    for s in sends {
        results.push(s.await?);
    }
    let last_start = results.iter().map(|s| s.start).max().unwrap_or(t0);
    let achieved_rate = (total.saturating_sub(1)) as f64
        / (last_start - results.first().map_or(t0, |s| s.start))
            .as_secs_f64()
            .max(1e-9);

    // Wait for the stragglers.
    let grace_end = Instant::now() + OFFER_GRACE;
    while lock(&offers.first).len() < total && Instant::now() < grace_end {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let arrived = lock(&offers.first).clone();
    let offer_events = offers.events.load(Ordering::Relaxed);
    let disk = server.state.store.batch_stats();
    server.stop().await?;
    for r in readers {
        r.abort();
    }
    say(&format!(
        "(c) floor: the disk alone, paced at {} msg/s, {:?} ...",
        settings.rate, settings.latency
    ));
    let floor = {
        let (dir, rate, d) = (dir.to_owned(), settings.rate, settings.latency);
        tokio::task::spawn_blocking(move || floor::paced_durable_floor(&dir, rate, d)).await??
    };

    let mut problems = Vec::new();
    let failed: Vec<String> = results
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match &s.outcome {
            Ok(200) => None,
            Ok(code) => Some(format!("#{i}: HTTP {code}")),
            Err(e) => Some(format!("#{i}: {e}")),
        })
        .collect();
    if !failed.is_empty() {
        problems.push(format!(
            "{} of {total} webhooks were not acknowledged (first: {})",
            failed.len(),
            failed[0]
        ));
    }
    let missing: Vec<&String> = customers
        .iter()
        .filter(|c| !arrived.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "{} of {total} offers never arrived within {OFFER_GRACE:?} of the last send (first missing: {})",
            missing.len(),
            missing[0]
        ));
    }

    let mut latencies: Vec<Duration> = Vec::new();
    let mut acks: Vec<Duration> = Vec::new();
    let mut lag_max = Duration::ZERO;
    for (i, (s, customer)) in results.iter().zip(&customers).enumerate() {
        lag_max = lag_max.max(s.start.saturating_duration_since(s.scheduled));
        if i < warmup_messages {
            continue;
        }
        acks.push(s.done - s.start);
        if let Some(at) = arrived.get(customer) {
            latencies.push(at.saturating_duration_since(s.start));
        }
    }
    latencies.sort();
    acks.sort();
    Ok(Latency {
        rate: settings.rate,
        agents: settings.agents,
        sent: total,
        measured: total - warmup_messages,
        warmup_messages,
        offers_arrived: customers
            .iter()
            .filter(|c| arrived.contains_key(*c))
            .count(),
        offer_events,
        p50: percentile(&latencies, 50.0),
        p95: percentile(&latencies, 95.0),
        p99: percentile(&latencies, 99.0),
        max: latencies.last().copied().unwrap_or_default(),
        ack_p50: percentile(&acks, 50.0),
        ack_p99: percentile(&acks, 99.0),
        lag_max,
        extra_connections: extra_connections.load(Ordering::Relaxed),
        achieved_rate,
        disk,
        floor,
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
    })
}

/// p50, p99 and max of unsorted samples.
fn spread(samples: &mut [Duration]) -> [Duration; 3] {
    samples.sort();
    [
        percentile(samples, 50.0),
        percentile(samples, 99.0),
        samples.last().copied().unwrap_or_default(),
    ]
}

// ---------------------------------------------------------------------------------------------
// The report

fn us(d: Duration) -> String {
    format!("{:.2} µs", d.as_secs_f64() * 1e6)
}

fn report(
    settings: &Settings,
    machine: &Machine,
    fsync: &Fsync,
    micro: &Micro,
    b: &Throughput,
    store_only: &StoreOnly,
    c: &Latency,
) -> String {
    let floor = &c.floor;
    let mut r = String::new();
    let reference = fsync.reference();
    let ratio = b.rate / reference;
    let _ = writeln!(r, "## Load benchmark\n");
    let _ = writeln!(r, "Command: `{}`\n", settings.command);
    let _ = writeln!(
        r,
        "Machine: {} CPUs ({}), Linux {}; data dir and fsync file on {} ({}, mounted at {}, {}).\n",
        machine.cpus,
        machine.cpu_model,
        machine.kernel,
        machine.device,
        machine.fs_type,
        machine.mount_point,
        machine.mount_options,
    );
    let _ = writeln!(r, "| Measure | Result | Target | |");
    let _ = writeln!(r, "|---|---|---|---|");
    let _ = writeln!(
        r,
        "| (a) fsync rate: 4 KiB write + fdatasync, same disk | {}/s (append {}/s, overwrite {}/s) | — | |",
        thousands(reference),
        thousands(fsync.append),
        thousands(fsync.overwrite),
    );
    let _ = writeln!(
        r,
        "| (b) durable signed inbound webhooks ({} in flight) | {} msg/s | ≥ 10,000 msg/s | {} |",
        settings.concurrency,
        thousands(b.rate),
        verdict(b.rate >= 10_000.0),
    );
    let _ = writeln!(
        r,
        "| (b) ÷ (a) | {ratio:.1}× | ≥ 2× | {} |",
        verdict(ratio >= 2.0)
    );
    let _ = writeln!(
        r,
        "| (c) webhook POST → SSE offer, p50 at {} msg/s | {} | — | |",
        c.rate,
        ms(c.p50)
    );
    let _ = writeln!(r, "| (c) p95 | {} | — | |", ms(c.p95));
    let _ = writeln!(
        r,
        "| (c) p99 | {} | < 10 ms | {} |",
        ms(c.p99),
        verdict(c.p99 < Duration::from_millis(10))
    );
    let _ = writeln!(r, "| (c) max | {} | — | |", ms(c.max));
    let _ = writeln!(
        r,
        "| (c) floor: the disk alone at the same pace, p99 (max) | {} ({}) | — | |",
        ms(floor.latency[2]),
        ms(floor.latency[3])
    );
    let _ = writeln!(
        r,
        "| (c) offers arrived | {} of {} | all | {} |",
        c.offers_arrived,
        c.sent,
        if c.offers_arrived == c.sent {
            "PASS"
        } else {
            "FAIL"
        }
    );

    let _ = writeln!(r, "\nDetails:\n");
    let _ = writeln!(
        r,
        "- (a) {:?} per loop, in the data dir's parent; the larger of the two rates is the reference for the ratio. \
         One write + fdatasync: append p50 {} / p99 {} / max {}; overwrite p50 {} / p99 {} / max {}.",
        settings.fsync,
        ms(fsync.append_latency[0]),
        ms(fsync.append_latency[1]),
        ms(fsync.append_latency[2]),
        ms(fsync.overwrite_latency[0]),
        ms(fsync.overwrite_latency[1]),
        ms(fsync.overwrite_latency[2]),
    );
    let _ = writeln!(
        r,
        "- (b) {} acknowledged in a {:.1} s window after {:?} warm-up; group commit {:.1} writes/commit \
         (~{:.0} messages per durable commit: the inbound task hands each batch in as one write), {:.0} commits/s; \
         process CPU {:.0}% of {}00% (load generator included), store writer thread {}.",
        thousands(b.window_acked as f64),
        b.window.as_secs_f64(),
        settings.warmup,
        b.writes_per_commit,
        b.rate / b.commits_per_sec.max(f64::MIN_POSITIVE),
        b.commits_per_sec,
        b.cpu_percent,
        machine.cpus,
        b.writer_cpu_percent
            .map_or("n/a".to_owned(), |p| format!("{p:.0}% busy")),
    );
    let refused = if b.refused.is_empty() {
        "none".to_owned()
    } else {
        b.refused
            .iter()
            .map(|(k, v)| format!("{v}× HTTP {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        r,
        "- (b) data check: {} sent, {} acknowledged (200), refused: {refused}, I/O errors: {}{}; \
         the store reopened from disk in {} ms holds {} messages ({} provider ids) → {}.",
        thousands(b.sent as f64),
        thousands(b.acked as f64),
        b.io_errors,
        b.first_error
            .as_ref()
            .map_or(String::new(), |e| format!(" (first: {e})")),
        b.reopen.as_millis(),
        thousands(b.stored as f64),
        thousands(b.stored_ids as f64),
        b.data_problem.as_deref().unwrap_or("no message lost"),
    );
    let _ = writeln!(
        r,
        "- (b) search index: {} changes behind when the load stopped; it held all of them {:.1} s \
         later. Counting that time too, the run stored and indexed {} msg/s.",
        thousands(b.index.behind as f64),
        b.index.took.as_secs_f64(),
        thousands(b.acked as f64 / (b.run_time + b.index.took).as_secs_f64()),
    );
    let _ = writeln!(
        r,
        "- HTTP ceiling: GET /healthz through the same client, {} in flight: {} req/s.",
        settings.concurrency,
        thousands(b.health_rate),
    );
    let _ = writeln!(
        r,
        "- Store alone (the webhook's ingest transaction through group commit, no HTTP): {} writers in a closed loop {} msg/s, \
         {:.1} writes/commit, writer thread {}; paced at {} msg/s, one durable write takes p50 {} / p99 {} / max {}.",
        settings.concurrency,
        thousands(store_only.rate),
        store_only.writes_per_commit,
        store_only
            .writer_cpu_percent
            .map_or("n/a".to_owned(), |p| format!("{p:.0}% busy")),
        store_only.paced_rate,
        ms(store_only.paced[0]),
        ms(store_only.paced[1]),
        ms(store_only.paced[2]),
    );
    let _ = writeln!(
        r,
        "- CPU per step (one core): E.164 parse of a number seen before {} (two per webhook), Twilio signature {}; \
         the ACD's scan for its next timer (on every command it handles) {} with {} workitems waiting.",
        us(micro.phone_parse),
        us(micro.signature),
        us(micro.deadline_scan.1),
        thousands(micro.deadline_scan.0 as f64),
    );
    let _ = writeln!(
        r,
        "- (c) open loop, one new customer (→ new workitem) per message, {} agents (capacity {} each, \
         all Available on their SSE stream); {} messages, the first {} ({:?}) are warm-up; \
         latency over the other {}. Sends kept {:.0} msg/s (max schedule lag {}, {} extra connections). \
         Webhook 200 latency p50 {}, p99 {}. {} offer events for {} workitems.",
        c.agents,
        AGENT_CAPACITY,
        c.sent,
        c.warmup_messages,
        settings.latency_warmup,
        c.measured,
        c.achieved_rate,
        ms(c.lag_max),
        c.extra_connections,
        ms(c.ack_p50),
        ms(c.ack_p99),
        c.offer_events,
        c.sent,
    );
    let _ = writeln!(
        r,
        "- (c) the store writer's waits on the disk during (c), warm-up included: {} log appends with fdatasync, \
         {} over {:?} (slowest {}); {} durable commits (checkpoints and the other writes), slowest {}.",
        thousands(c.disk.log_syncs as f64),
        c.disk.slow_log_syncs,
        parley::store::SLOW_SYNC,
        ms(c.disk.slowest_log_sync),
        c.disk.durable_commits,
        ms(c.disk.slowest_durable_commit),
    );
    let _ = writeln!(
        r,
        "- (c) floor, right after (c) on the same disk: {} arrivals/s for {:?}, each answered after the first 4 KiB write + \
         fdatasync that starts at or after it (one thread doing nothing else; ideal group commit): \
         p50 {} / p95 {} / p99 {} / max {}; {} syncs, {} over {:?} (slowest {}). A design that answers only once a \
         message is on disk cannot beat this on this disk at that time.",
        c.rate,
        settings.latency,
        ms(floor.latency[0]),
        ms(floor.latency[1]),
        ms(floor.latency[2]),
        ms(floor.latency[3]),
        thousands(floor.syncs as f64),
        floor.stalls,
        parley::store::SLOW_SYNC,
        ms(floor.slowest_sync),
    );
    if let Some(p) = &c.problem {
        let _ = writeln!(r, "- (c) data check FAILED: {p}");
    }
    r
}
