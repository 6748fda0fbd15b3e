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
#[path = "load/fsync.rs"]
mod fsync;
#[path = "load/latency.rs"]
mod latency;
#[path = "load/micro.rs"]
mod micro;
#[path = "load/report.rs"]
mod report;
#[path = "load/store_only.rs"]
mod store_only;
#[path = "load/throughput.rs"]
mod throughput;
use fsync::*;
use latency::*;
use micro::*;
use report::*;
use store_only::*;
use throughput::*;

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

/// Counts what the store holds, by reopening it from disk; also how long the reopening took.
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
