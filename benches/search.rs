//! Parley's search benchmark: `cargo bench --bench search` (`PARLEY_BENCH=quick` for a smaller
//! run).
//!
//! 1. Generates (once, cached under `target/bench-data/search-<messages>-<seed>/`) a store of
//!    realistic SMS history: 5,000,000 messages over 200,000 contacts (quick: 500,000 over
//!    20,000) in conversations of a few messages, customer and agent in turn, over the 400
//!    days before a fixed date, plus agents' notes; written straight through the store.
//! 2. Copies that store into a fresh run dir and boots the real server on it in-process
//!    (127.0.0.1:0), which rebuilds the missing search index; waits until search answers.
//! 3. While signed Twilio webhooks arrive at 100 msg/s in the background, measures through
//!    `GET /api/search`: latency of 1-, 2-, 3-word and quoted-phrase queries, each without and
//!    with filters (date range, direction, queue, campaign, agent, contact); the time from a
//!    webhook's 200 to its message's first hit; and the same queries straight on the index
//!    (no HTTP), for the ratio of the full path to tantivy's part.
//! 4. Prints a table with the targets (p95 < 20 ms, p99 < 50 ms, searchable p99 < 1 s) as
//!    PASS/MISS, and the index size per million messages.
//!
//! Options (after `--`): `--quick`; `--seed N` (default 1); `--queries N` (default 4000, quick
//! 2000); `--clients N` searches in flight (default 1: one person's latency); `--rate N`
//! background webhooks/s (default 100); `--probes N` searchable probes (default 200, quick
//! 100); `--auth token|session` how searches authenticate (default: an admin's read-only API
//! token; `session`: a logged-in admin's cookie, as the search page); `--fill-only` generates (or checks) the cached store and stops. Disk: the cache holds one store, each run a copy of it plus its index.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use parley::domain::Role;
use redb::ReadableTableMetadata as _;

mod common;
#[path = "search/corpus.rs"]
mod corpus;
#[path = "search/fill.rs"]
mod fill;
#[path = "search/measure.rs"]
mod measure;
#[path = "search/queries.rs"]
mod queries;
#[path = "search/raw.rs"]
mod raw;
#[path = "search/report.rs"]
mod report;
#[path = "search/topics.rs"]
mod topics;

use common::{Res, bench_main, say};

pub struct Settings {
    quick: bool,
    plan: fill::Plan,
    queries: usize,
    clients: usize,
    rate: u32,
    probes: usize,
    /// Only generate (or check) the cached store, then stop.
    fill_only: bool,
    /// Authenticate with a session cookie instead of an API token.
    session: bool,
    command: String,
}

impl Settings {
    fn from_env() -> Res<Settings> {
        let mut args = std::env::args().skip(1);
        let mut quick = std::env::var("PARLEY_BENCH").is_ok_and(|v| v == "quick");
        let (mut seed, mut queries, mut clients, mut rate, mut probes) = (1, None, 1, 100, None);
        let (mut fill_only, mut session) = (false, false);
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--bench" => {}
                "--quick" => quick = true,
                "--fill-only" => fill_only = true,
                "--auth" => match value("--auth")?.as_str() {
                    "token" => session = false,
                    "session" => session = true,
                    other => {
                        return Err(format!("--auth takes token or session, not {other}").into());
                    }
                },
                "--seed" => seed = value("--seed")?.parse()?,
                "--queries" => queries = Some(value("--queries")?.parse()?),
                "--clients" => clients = value("--clients")?.parse()?,
                "--rate" => rate = value("--rate")?.parse()?,
                "--probes" => probes = Some(value("--probes")?.parse()?),
                other if other.starts_with('-') => {
                    return Err(format!("unknown option {other}").into());
                }
                _ => {}
            }
        }
        let (messages, contacts) = if quick {
            (500_000, 20_000)
        } else {
            (5_000_000, 200_000)
        };
        let extra: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| a != "--bench" && !(quick && a == "--quick"))
            .collect();
        let mut command = String::from(if quick {
            "PARLEY_BENCH=quick cargo bench --bench search"
        } else {
            "cargo bench --bench search"
        });
        if !extra.is_empty() {
            command.push_str(" -- ");
            command.push_str(&extra.join(" "));
        }
        Ok(Settings {
            quick,
            plan: fill::Plan {
                messages,
                contacts,
                seed,
                provider_ids: false,
            },
            queries: queries.unwrap_or(if quick { 2000 } else { 4000 }),
            clients: clients.max(1),
            rate: rate.max(1),
            probes: probes.unwrap_or(if quick { 100 } else { 200 }),
            fill_only,
            session,
            command,
        })
    }
}

fn main() -> std::process::ExitCode {
    bench_main("search", Settings::from_env(), |s| async {
        run(s).await.map(|()| true)
    })
}

/// What the run measured, for the report.
pub struct Outcome {
    pub messages: u64,
    pub notes: u64,
    pub contacts: u64,
    pub reused: bool,
    pub fill_secs: f64,
    pub copy_secs: f64,
    pub rebuild: Duration,
    pub docs: Option<u64>,
    pub index_bytes: u64,
    pub timed: Vec<measure::Timed>,
    pub raw: Result<Vec<(Duration, usize)>, String>,
    pub probes: Vec<Option<Duration>>,
    pub ingest_secs: f64,
    pub ingest_sent: u64,
    pub ingest_acked: u64,
    pub ingest_failed: u64,
    pub ingest_error: Option<String>,
    /// Where `/api/search` differs from the contract the bench was written to.
    pub contract: Vec<String>,
}

async fn run(settings: Settings) -> Res<()> {
    let plan = settings.plan;
    say(&format!(
        "Parley search bench{}: {} messages over {} contacts, seed {}",
        if settings.quick { " (quick)" } else { "" },
        plan.messages,
        plan.contacts,
        plan.seed
    ));
    let numbers = fill::customer_numbers(plan.contacts as usize)?;
    let t = Instant::now();
    let (store_dir, reused) = fill::ensure_filled(plan, &numbers).await?;
    let fill_secs = t.elapsed().as_secs_f64();
    if reused {
        say(&format!(
            "reused the generated store in {}",
            store_dir.display()
        ));
    }
    if settings.fill_only {
        // A glimpse of the text, to judge it by eye.
        let vocab = corpus::Vocabulary::new();
        let mut rng = corpus::Rng::new(plan.seed);
        for k in 0..8 {
            let topic = vocab.topic(&mut rng);
            say(&format!(
                "    sample: {}",
                vocab.message(&mut rng, topic, k % 2 == 0)
            ));
        }
        say(&format!(
            "store ready in {} ({fill_secs:.0} s)",
            store_dir.display()
        ));
        return Ok(());
    }

    // Each run starts from the same store and rebuilds its index.
    let run_dir = fill::cache_dir(&plan).join("run");
    if run_dir.exists() {
        std::fs::remove_dir_all(&run_dir)?;
    }
    std::fs::create_dir_all(&run_dir)?;
    let t = Instant::now();
    std::fs::copy(
        store_dir.join(parley::DB_FILE),
        run_dir.join(parley::DB_FILE),
    )?;
    let copy_secs = t.elapsed().as_secs_f64();
    say(&format!(
        "copied the store into {} in {copy_secs:.1} s; booting ...",
        run_dir.display()
    ));

    let booted = Instant::now();
    let server = common::boot(&run_dir).await?;
    let state = server.state.clone();
    let (ids, messages, notes, contacts) = read_ids(&state.store).await?;
    let client =
        measure::authenticate(&server.url, &state.store, fill::ADMIN, settings.session).await?;
    let deadline = Duration::from_secs(if settings.quick { 1200 } else { 4 * 3600 });
    say("waiting for the search index rebuild ...");
    measure::wait_for_hits(
        &client,
        &server.url,
        "/api/search?q=refund&per_page=1",
        deadline,
    )
    .await?;
    let rebuild = booted.elapsed();
    let docs = Some(raw::num_docs(&state.search));
    let contract = measure::contract_problems(&client, &server.url).await?;
    say(&format!(
        "    searchable after {:.1} s ({docs:?} documents)",
        rebuild.as_secs_f64()
    ));

    let (ingest, ingest_task) = measure::Ingest::start(
        server.target.clone(),
        numbers.clone(),
        settings.rate,
        plan.seed,
    );
    let queries = queries::make(plan.seed, settings.queries, &ids);
    let warmup = queries::make(plan.seed ^ 0xa11, 200, &ids);
    say(&format!(
        "{} queries ({} in flight) while ingesting {} msg/s ...",
        queries.len(),
        settings.clients,
        settings.rate
    ));
    measure::latency_pass(&client, &server.url, &warmup, settings.clients).await?;
    let timed = measure::latency_pass(&client, &server.url, &queries, settings.clients).await?;
    say(&format!("{} searchable probes ...", settings.probes));
    let probes = measure::searchable_probes(
        &client,
        &server.url,
        &server.target,
        &numbers,
        settings.probes,
        4,
    )
    .await?;
    say("the same queries straight on the index ...");
    let search = state.search.clone();
    let raw_queries = queries.clone();
    let raw = tokio::task::spawn_blocking(move || raw::run(&search, &raw_queries))
        .await?
        .map_err(|e| e.to_string());

    ingest.stop();
    let ingest_secs = ingest_task.await?.as_secs_f64();
    // Let the last webhooks finish before counting.
    let settle = Instant::now();
    while ingest.acked.load(std::sync::atomic::Ordering::Relaxed)
        + ingest.failed.load(std::sync::atomic::Ordering::Relaxed)
        < ingest.sent.load(std::sync::atomic::Ordering::Relaxed)
        && settle.elapsed() < Duration::from_secs(10)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(state);
    let index_dir = parley::search::index_dir(&run_dir);
    server.stop().await?;
    let index_bytes = dir_size(&index_dir)?;

    let outcome = Outcome {
        messages,
        notes,
        contacts,
        reused,
        fill_secs,
        copy_secs,
        rebuild,
        docs,
        index_bytes,
        timed,
        raw,
        probes,
        ingest_secs,
        ingest_sent: ingest.sent.load(std::sync::atomic::Ordering::Relaxed),
        ingest_acked: ingest.acked.load(std::sync::atomic::Ordering::Relaxed),
        ingest_failed: ingest.failed.load(std::sync::atomic::Ordering::Relaxed),
        ingest_error: common::lock(&ingest.first_error).clone(),
        contract,
    };
    let machine = common::Machine::probe(&run_dir);
    println!("\n{}", report::render(&settings, &machine, &outcome));
    Ok(())
}

/// The ids the filters use, and what the store holds.
async fn read_ids(store: &parley::store::Store) -> Res<(queries::Ids, u64, u64, u64)> {
    Ok(store
        .read(|txn| {
            let queues = parley::store::all_queues(txn)?
                .iter()
                .map(|q| q.id.0)
                .collect();
            let campaigns = parley::store::all_campaigns(txn)?
                .iter()
                .map(|c| c.id.0)
                .collect();
            let agents = parley::store::all_users(txn)?
                .iter()
                .filter(|u| u.role == Role::Agent)
                .map(|u| u.id.0)
                .collect();
            let contacts = txn.open_table(parley::store::CONTACTS)?.len()?;
            let messages = txn.open_table(parley::store::MESSAGES)?.len()?;
            let notes = txn.open_table(parley::store::NOTES)?.len()?;
            let ids = queries::Ids {
                queues,
                campaigns,
                agents,
                contacts,
            };
            Ok((ids, messages, notes, contacts))
        })
        .await?)
}

/// Bytes of every file under `dir`.
fn dir_size(dir: &std::path::Path) -> Res<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// Used by the report: `Settings` fields are private to this file.
impl Settings {
    pub fn auth(&self) -> &'static str {
        if self.session {
            "an admin's session cookie"
        } else {
            "an admin's API token"
        }
    }

    pub fn describe(&self, r: &mut String) {
        let _ = writeln!(r, "Command: `{}`\n", self.command);
        let _ = writeln!(
            r,
            "Data: {} messages over {} contacts (seed {}); {} queries, {} in flight; background ingest {} msg/s; {} searchable probes.\n",
            common::thousands(self.plan.messages as f64),
            common::thousands(self.plan.contacts as f64),
            self.plan.seed,
            self.queries,
            self.clients,
            self.rate,
            self.probes,
        );
    }
}
