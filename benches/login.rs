//! Login flood benchmark: `cargo bench --bench login`.
//!
//! Boots the real server in-process (system clock, 127.0.0.1:0), logs an agent in and times
//! `GET /api/me` with that session, one request at a time with a short pause between them:
//! first with the server idle, then while `--workers` (default 200) clients post wrong
//! passwords for `admin` without pause. Throttling answers an address `429` after 5 failures,
//! so each flood client moves to a new source address (on Linux every 127.x.y.z is bindable)
//! whenever it gets one: the flood keeps the password hashing busy, as a distributed guesser
//! would. It reports /api/me's p50/p95/p99/max in both phases, the ratio p99(flood) ÷ p99(idle)
//! (target ≤ 2×), and the bad logins answered per second: `401` (hashed and refused) and `429`
//! (throttled, never hashed).
//!
//! Between the two, a *floor*: the same password checks, as many at once as the flood keeps
//! queued, run straight through `parley::passwords` with no HTTP and no login, while /api/me is
//! timed again. Hashing must take its cores whatever Parley does, so p99(flood) ÷ p99(floor)
//! is what the login path itself adds on top.
//!
//! The flood and the probe each run on a thread and runtime of their own, so neither waits on
//! the other's tasks; the server gets the main runtime. All three share the machine's cores.
//!
//! Options (after `--`): `--quick` (or `PARLEY_BENCH=quick`) halves every duration;
//! `--workers N` concurrent bad logins (default 200).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parley::domain::Role;

mod common;
use common::*;

/// The pre-login CSRF token the flood sends as both cookie and form field (double submit).
const FLOOD_CSRF: &str = "bench-flood-csrf-token-0123456789abcdefghijk";
/// Pause between two probes, so the probe measures latency rather than adding load.
const PROBE_GAP: Duration = Duration::from_millis(2);

struct Settings {
    quick: bool,
    workers: usize,
    idle: Duration,
    ramp: Duration,
    flood: Duration,
}

impl Settings {
    fn from_env() -> Res<Settings> {
        let mut quick = std::env::var("PARLEY_BENCH").is_ok_and(|v| v == "quick");
        let mut workers = 200;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => quick = true,
                "--workers" => {
                    workers = args
                        .next()
                        .and_then(|v| v.parse().ok())
                        .ok_or("--workers needs a number")?
                }
                "--bench" => {}
                other => return Err(format!("unknown option {other}").into()),
            }
        }
        let scale = if quick { 2 } else { 1 };
        Ok(Settings {
            quick,
            workers,
            idle: Duration::from_secs(6) / scale,
            ramp: Duration::from_secs(2) / scale,
            flood: Duration::from_secs(12) / scale,
        })
    }
}

fn main() -> std::process::ExitCode {
    bench_main("login", Settings::from_env(), |s| async {
        run(s).await.map(|()| true)
    })
}

async fn run(settings: Settings) -> Res<()> {
    let temp = tempfile::Builder::new()
        .prefix("parley-bench-login-")
        .tempdir()?;
    let machine = Machine::probe(temp.path());
    say(&format!(
        "Parley login bench{}: {} CPUs ({}), {} flood workers",
        if settings.quick { " (quick)" } else { "" },
        machine.cpus,
        machine.cpu_model,
        settings.workers
    ));
    say(&format!("load average before: {}", load_average()));
    let server = boot(temp.path()).await?;
    parley::bootstrap::add_user(&server.state.store, "agent", "Agent", Role::Agent, PASSWORD)
        .await?;
    parley::bootstrap::add_user(&server.state.store, "admin", "Admin", Role::Admin, PASSWORD)
        .await?;

    let flood = Arc::new(Flood::default());
    let flood_thread = {
        let (flood, url, workers) = (flood.clone(), server.url.clone(), settings.workers);
        std::thread::Builder::new()
            .name("bench-flood".into())
            .spawn(move || on_own_runtime(flood_run(flood, url, workers)))?
    };
    let probe_thread = {
        let (flood, url) = (flood.clone(), server.url.clone());
        let (idle, ramp, measure) = (settings.idle, settings.ramp, settings.flood);
        std::thread::Builder::new()
            .name("bench-probe".into())
            .spawn(move || on_own_runtime(probe_run(flood, url, idle, ramp, measure)))?
    };
    let probed = tokio::task::spawn_blocking(move || probe_thread.join())
        .await?
        .map_err(|_| "the probe thread panicked")??;
    flood.stop.store(true, Ordering::SeqCst);
    let flooded = tokio::task::spawn_blocking(move || flood_thread.join())
        .await?
        .map_err(|_| "the flood thread panicked")??;
    server.stop().await?;
    let load_after = load_average();

    let idle = summary(probed.idle);
    let floor = summary(probed.floor);
    let during = summary(probed.flood);
    let over_floor = during.p99.as_secs_f64() / floor.p99.as_secs_f64().max(1e-9);
    let secs = settings.flood.as_secs_f64();
    let ratio = during.p99.as_secs_f64() / idle.p99.as_secs_f64().max(1e-9);
    let mut refused = flooded.refused_times;
    refused.sort_unstable();
    println!(
        "\nLogin flood ({} CPUs, {} workers, {:?} idle, {:?} flood after {:?} ramp-up)\n\
         GET /api/me idle:         p50 {} p95 {} p99 {} max {} ({} requests)\n\
         GET /api/me hashing alone: p50 {} p95 {} p99 {} max {} ({} requests; the floor)\n\
         GET /api/me during flood: p50 {} p95 {} p99 {} max {} ({} requests)\n\
         p99 flood / idle: {ratio:.2}x (target <= 2x: {})\n\
         p99 flood / floor: {over_floor:.2}x (what the login path adds to the hashing itself)\n\
         bad logins during the flood: {} answered 401 ({:.0}/s; answer p50 {} p99 {}), \
         {} answered 429 ({:.0}/s), {} other answers or errors; {} source addresses\n\
         load average after: {load_after}",
        machine.cpus,
        settings.workers,
        settings.idle,
        settings.flood,
        settings.ramp,
        ms(idle.p50),
        ms(idle.p95),
        ms(idle.p99),
        ms(idle.max),
        idle.n,
        ms(floor.p50),
        ms(floor.p95),
        ms(floor.p99),
        ms(floor.max),
        floor.n,
        ms(during.p50),
        ms(during.p95),
        ms(during.p99),
        ms(during.max),
        during.n,
        verdict(ratio <= 2.0),
        probed.refused,
        probed.refused as f64 / secs,
        ms(percentile(&refused, 50.0)),
        ms(percentile(&refused, 99.0)),
        probed.throttled,
        probed.throttled as f64 / secs,
        probed.other,
        flooded.addresses,
    );
    drop(temp);
    Ok(())
}

/// The 1, 5 and 15 minute load averages: other work on the machine skews every figure.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn on_own_runtime<T>(work: impl Future<Output = Res<T>>) -> Res<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(work)
}

/// What the flood shares with the probe.
#[derive(Default)]
struct Flood {
    start: AtomicBool,
    stop: AtomicBool,
    refused: AtomicU64,
    throttled: AtomicU64,
    other: AtomicU64,
    next_address: AtomicU32,
}

impl Flood {
    fn counts(&self) -> [u64; 3] {
        [
            self.refused.load(Ordering::SeqCst),
            self.throttled.load(Ordering::SeqCst),
            self.other.load(Ordering::SeqCst),
        ]
    }

    /// A source address not used before, from 127.1.0.1 on (127.0.0.1 is the probe's),
    /// skipping .0 and .255.
    fn new_address(&self) -> IpAddr {
        loop {
            let n = self.next_address.fetch_add(1, Ordering::SeqCst);
            let ip = Ipv4Addr::from(0x7f01_0000u32.wrapping_add(n));
            let last = ip.octets()[3];
            if last != 0 && last != 255 {
                return IpAddr::V4(ip);
            }
        }
    }
}

struct Flooded {
    /// How long each 401 took to come back, over the whole flood.
    refused_times: Vec<Duration>,
    addresses: u32,
}

async fn flood_run(flood: Arc<Flood>, url: String, workers: usize) -> Res<Flooded> {
    while !flood.start.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let tasks: Vec<_> = (0..workers)
        .map(|_| tokio::spawn(flood_worker(flood.clone(), url.clone())))
        .collect();
    let mut refused_times = Vec::new();
    for task in tasks {
        refused_times.extend(task.await??);
    }
    Ok(Flooded {
        refused_times,
        addresses: flood.next_address.load(Ordering::SeqCst),
    })
}

/// Wrong passwords for `admin` until stopped, from a new address after every 429.
async fn flood_worker(flood: Arc<Flood>, url: String) -> Res<Vec<Duration>> {
    let mut times = Vec::new();
    let form = format!("_csrf={FLOOD_CSRF}&username=admin&password=wrong-password-123");
    let cookie = format!("{}={FLOOD_CSRF}", parley::web::auth::ANON_CSRF_COOKIE);
    'addresses: while !flood.stop.load(Ordering::SeqCst) {
        // Plain HTTP: no proxy lookup and no root certificates to load, so a new client (one
        // per address) costs the load generator little of the cores it shares with the server.
        let http = reqwest::Client::builder()
            .local_address(flood.new_address())
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .tls_certs_only([])
            .build()?;
        while !flood.stop.load(Ordering::SeqCst) {
            let sent = Instant::now();
            let res = http
                .post(format!("{url}/login"))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", &cookie)
                .body(form.clone())
                .send()
                .await;
            let status = match res {
                Ok(res) => {
                    let status = res.status().as_u16();
                    let _ = res.bytes().await;
                    status
                }
                Err(_) => 0,
            };
            match status {
                401 => {
                    times.push(sent.elapsed());
                    flood.refused.fetch_add(1, Ordering::SeqCst);
                }
                429 => {
                    flood.throttled.fetch_add(1, Ordering::SeqCst);
                    continue 'addresses;
                }
                _ => {
                    flood.other.fetch_add(1, Ordering::SeqCst);
                    continue 'addresses;
                }
            }
        }
    }
    Ok(times)
}

struct Probed {
    idle: Vec<Duration>,
    floor: Vec<Duration>,
    flood: Vec<Duration>,
    /// Flood answers while `flood` was measured.
    refused: u64,
    throttled: u64,
    other: u64,
}

/// Logs the agent in, times /api/me idle, starts the flood, waits `ramp`, times it again.
async fn probe_run(
    flood: Arc<Flood>,
    url: String,
    idle: Duration,
    ramp: Duration,
    measure: Duration,
) -> Res<Probed> {
    let (http, _) = login(&url, "agent").await?;
    // Warm the connection and the code paths.
    probe(&http, &url, Duration::from_millis(500)).await?;
    let idle_times = probe(&http, &url, idle).await?;
    let floor_times = {
        let hashing = std::sync::Arc::new(AtomicBool::new(true));
        let checks: Vec<_> = (0..8)
            .map(|_| {
                let hashing = hashing.clone();
                tokio::spawn(async move {
                    let hash = parley::passwords::hash_password(PASSWORD.into()).await?;
                    while hashing.load(Ordering::SeqCst) {
                        parley::passwords::verify_password("wrong".into(), Some(hash.clone()))
                            .await;
                    }
                    Ok::<_, String>(())
                })
            })
            .collect();
        tokio::time::sleep(ramp).await;
        let times = probe(&http, &url, idle).await?;
        hashing.store(false, Ordering::SeqCst);
        for check in checks {
            check.await??;
        }
        times
    };
    flood.start.store(true, Ordering::SeqCst);
    tokio::time::sleep(ramp).await;
    let before = flood.counts();
    let flood_times = probe(&http, &url, measure).await?;
    let after = flood.counts();
    Ok(Probed {
        idle: idle_times,
        floor: floor_times,
        flood: flood_times,
        refused: after[0] - before[0],
        throttled: after[1] - before[1],
        other: after[2] - before[2],
    })
}

/// GET /api/me one at a time for `for_how_long`; each answer must be a 200.
async fn probe(http: &reqwest::Client, url: &str, for_how_long: Duration) -> Res<Vec<Duration>> {
    let end = Instant::now() + for_how_long;
    let mut times = Vec::new();
    while Instant::now() < end {
        let sent = Instant::now();
        let res = http.get(format!("{url}/api/me")).send().await?;
        let status = res.status();
        res.bytes().await?;
        times.push(sent.elapsed());
        if status != 200 {
            return Err(format!("GET /api/me answered {status}").into());
        }
        tokio::time::sleep(PROBE_GAP).await;
    }
    Ok(times)
}

struct Summary {
    n: usize,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
}

fn summary(mut times: Vec<Duration>) -> Summary {
    times.sort_unstable();
    Summary {
        n: times.len(),
        p50: percentile(&times, 50.0),
        p95: percentile(&times, 95.0),
        p99: percentile(&times, 99.0),
        max: times.last().copied().unwrap_or_default(),
    }
}
