//! The growth bench's load: signed webhooks, as fast as they are answered or at a steady
//! rate, alone or while `parley backup` runs.

use super::*;
use crate::threads::ThreadTimes;

/// The steady rate of the second backup measurement, webhooks a second.
pub(super) const STEADY_RATE: f64 = 2_000.0;

/// Signed webhooks acknowledged in a window, the slowest one, and the longest time in which
/// none was answered: with 64 in flight an answer normally follows the last within a
/// millisecond, so this is how long ingest stood still. At a steady rate, the slowest is
/// timed from when the webhook was due.
pub(super) struct Webhooks {
    /// How long they were counted.
    pub(super) seconds: f64,
    pub(super) slowest: Duration,
    /// When the slowest was sent (or due), from the start of the window.
    pub(super) slowest_at: Duration,
    /// The 99th and 99.9th percentiles of the answers' times, timed as `slowest` is.
    pub(super) p99: Duration,
    pub(super) p999: Duration,
    pub(super) longest_pause: Duration,
    /// When it ended, from the start of the window.
    pub(super) longest_pause_at: Duration,
    /// How many pauses lasted at least each of [`PAUSES_OVER`].
    pub(super) pauses: [u64; PAUSES_OVER.len()],
    /// The server's write-ahead-log syncs and checkpoints meanwhile.
    pub(super) log_syncs: DiskWaits,
    pub(super) checkpoints: DiskWaits,
    /// The machine's stalls meanwhile: allocations that waited for the kernel to reclaim
    /// memory, and for it to compact memory (`/proc/vmstat`), which stop whichever thread
    /// allocates, the server's included.
    pub(super) reclaim_stalls: u64,
    pub(super) compaction_stalls: u64,
    /// Webhooks answered in the window, and the server's threads' times meanwhile.
    pub(super) counted: u64,
    pub(super) threads: ThreadTimes,
}

/// The machine's direct-reclaim and compaction stalls since it booted.
fn memory_stalls() -> (u64, u64) {
    let vmstat = std::fs::read_to_string("/proc/vmstat").unwrap_or_default();
    let (mut reclaim, mut compaction) = (0, 0);
    for line in vmstat.lines() {
        let Some((name, n)) = line.split_once(' ') else {
            continue;
        };
        let n: u64 = n.trim().parse().unwrap_or(0);
        if name.starts_with("allocstall_") {
            reclaim += n;
        } else if name == "compact_stall" {
            compaction += n;
        }
    }
    (reclaim, compaction)
}

/// The lengths of pause counted apart: how often ingest stood still, beside how long at most.
pub(super) const PAUSES_OVER: [Duration; 3] = [
    Duration::from_millis(10),
    Duration::from_millis(25),
    Duration::from_millis(50),
];

impl Webhooks {
    /// Webhooks answered a second.
    pub(super) fn per_second(&self) -> f64 {
        self.counted as f64 / self.seconds
    }

    /// How many pauses a minute lasted at least each of [`PAUSES_OVER`], as "a / b / c".
    pub(super) fn pauses(&self) -> String {
        let minutes = self.seconds / 60.0;
        let [a, b, c] = self.pauses.map(|n| n as f64 / minutes);
        format!("{a:.1} / {b:.1} / {c:.1}")
    }

    /// The answers' p99, p99.9 and slowest, as "a / b / c ms".
    pub(super) fn answers(&self) -> String {
        format!(
            "{} / {} / {}",
            ms(self.p99),
            ms(self.p999),
            ms(self.slowest)
        )
    }
}

/// One of the server's histograms of how long the store waited on the disk
/// (`parley_store_log_sync_seconds`, `parley_store_checkpoint_seconds`): its cumulative
/// buckets (upper bound in seconds, waits that took at most that long), its count and its
/// sum in seconds.
#[derive(Clone, Default)]
pub(super) struct DiskWaits {
    pub(super) buckets: Vec<(f64, u64)>,
    pub(super) all: u64,
    pub(super) seconds: f64,
}

/// The quantiles reported of the log syncs and of the checkpoints.
pub(super) const SYNC_SHARES: [f64; 4] = [0.5, 0.99, 0.999, 1.0];
pub(super) const CHECKPOINT_SHARES: [f64; 3] = [0.5, 0.99, 1.0];

/// The server's `/metrics` now, read with the Prometheus text-format parser the tests use.
pub(super) async fn scrape(server: &Process) -> Res<Scraped> {
    let text = reqwest::get(format!("{}/metrics", server.url))
        .await?
        .text()
        .await?;
    let parsed = openmetrics_parser::prometheus::parse_prometheus(&text)
        .map_err(|e| format!("/metrics is not the Prometheus text format: {e:?}"))?;
    Ok(Scraped(parsed))
}

pub(super) struct Scraped(
    openmetrics_parser::MetricsExposition<
        openmetrics_parser::PrometheusType,
        openmetrics_parser::PrometheusValue,
    >,
);

impl Scraped {
    /// The value of `family`'s first sample (the families read here have no labels).
    pub(super) fn value(&self, family: &str) -> Res<&openmetrics_parser::PrometheusValue> {
        let sample = (self.0.families.get(family))
            .and_then(|f| f.iter_samples().next())
            .ok_or_else(|| format!("no {family} in /metrics"))?;
        Ok(&sample.value)
    }

    /// The value of the gauge `family`.
    pub(super) fn gauge(&self, family: &str) -> Res<f64> {
        match self.value(family)? {
            openmetrics_parser::PrometheusValue::Gauge(g) => Ok(g.as_f64()),
            other => Err(format!("{family} is {other:?}, not a gauge").into()),
        }
    }
}

/// The bytes the store's page cache holds now, as `/metrics` says.
pub(super) async fn page_cache(server: &Process) -> Res<u64> {
    Ok(scrape(server)
        .await?
        .gauge("parley_store_page_cache_bytes")? as u64)
}

impl DiskWaits {
    /// The log syncs and the checkpoints, as `/metrics` has them now.
    async fn read(server: &Process) -> Res<(DiskWaits, DiskWaits)> {
        let scraped = scrape(server).await?;
        Ok((
            DiskWaits::of(&scraped, "parley_store_log_sync_seconds")?,
            DiskWaits::of(&scraped, "parley_store_checkpoint_seconds")?,
        ))
    }

    fn of(scraped: &Scraped, family: &str) -> Res<DiskWaits> {
        let openmetrics_parser::PrometheusValue::Histogram(h) = scraped.value(family)? else {
            return Err(format!("{family} is not a histogram").into());
        };
        Ok(DiskWaits {
            buckets: (h.buckets.iter())
                .filter(|b| b.upper_bound.is_finite())
                .map(|b| (b.upper_bound, b.count.as_f64() as u64))
                .collect(),
            all: h.count.ok_or_else(|| format!("{family} has no count"))?,
            seconds: h.sum.as_ref().map_or(0.0, |n| n.as_f64()),
        })
    }

    fn since(&self, before: &DiskWaits) -> DiskWaits {
        DiskWaits {
            buckets: (self.buckets.iter().zip(&before.buckets))
                .map(|(&(le, n), &(_, m))| (le, n - m))
                .collect(),
            all: self.all - before.all,
            seconds: self.seconds - before.seconds,
        }
    }

    /// Waits that took longer than `seconds` (one of the bucket bounds).
    pub(super) fn over(&self, seconds: f64) -> u64 {
        let within = self.buckets.iter().find(|(le, _)| *le >= seconds);
        self.all - within.map_or(self.all, |&(_, n)| n)
    }

    /// [`quantile`](Self::quantile) at each of `shares`, joined by " / ".
    pub(super) fn quantiles(&self, shares: &[f64]) -> String {
        let each: Vec<String> = shares.iter().map(|&q| self.quantile(q)).collect();
        each.join(" / ")
    }

    /// The bucket bound under which a share `q` of the waits took, in ms ("> last" past it).
    pub(super) fn quantile(&self, q: f64) -> String {
        let wanted = (self.all as f64 * q).ceil() as u64;
        match self.buckets.iter().find(|(_, n)| *n >= wanted) {
            Some((le, _)) => format!("≤ {} ms", le * 1e3),
            None => format!("> {} ms", self.buckets.last().map_or(0.0, |b| b.0) * 1e3),
        }
    }
}

/// `parley backup` taken through the running server while webhooks keep arriving.
pub(super) struct BackupUnderLoad {
    pub(super) seconds: f64,
    pub(super) bytes: u64,
    /// The server's resident memory just before, its highest while the backup ran, and
    /// once it had ended...
    pub(super) rss: [u64; 3],
    /// ... and the same apart: anonymous (the heap) and file-backed (mapped files, such as
    /// the search index's segments), each with its own highest.
    pub(super) anon: [u64; 3],
    pub(super) file: [u64; 3],
    pub(super) webhooks: Webhooks,
}

/// How long saturated webhooks are counted: long enough that, at any rate above 7,700 a
/// second, a generation of fingerprints (229,376) is gathered and written within it, as a
/// loaded server does over and over; a shorter window may hold no such write, or only one.
const SATURATED_WINDOW: Duration = Duration::from_secs(30);

/// Signed inbound webhooks, 64 connections in a closed loop, 2 s of warm-up then
/// [`SATURATED_WINDOW`] counted.
pub(super) async fn ingest(server: &Process, customers: &[String], phase: u8) -> Res<Webhooks> {
    ingest_for(server, customers, phase, None, SATURATED_WINDOW).await
}

/// Signed inbound webhooks as [`webhooks_during`] sends them (as fast as answered, or at
/// `rate`), counted for `window` after the warm-up.
pub(super) async fn ingest_for(
    server: &Process,
    customers: &[String],
    phase: u8,
    rate: Option<f64>,
    window: Duration,
) -> Res<Webhooks> {
    // An async block, so the window starts when it is first polled, after the warm-up.
    let window = async { tokio::time::sleep(window).await };
    Ok(webhooks_during(server, customers, phase, rate, window)
        .await?
        .0)
}

/// How long the load runs without a backup, just before one, as fast as answered and at
/// [`STEADY_RATE`]: about as long as a backup at 5 million messages takes under each (155–200
/// and 90–173 s in the runs of 2026-12-07), since a window's longest pause grows with its
/// length (a disk that now and then takes tens of milliseconds to sync does so more often in
/// three minutes than in thirty seconds). How often ingest paused is compared per minute.
pub(super) const BEFORE_SATURATED: Duration = Duration::from_secs(180);
pub(super) const BEFORE_STEADY: Duration = Duration::from_secs(100);

/// Where the webhooks go, and the number of their first id: one no earlier run on the same
/// cached store sent, so none is a retry.
fn target_and_first_id(server: &Process) -> Res<(Target, u64)> {
    let target = Target {
        addr: server.addr()?,
        webhook_url: format!("{PUBLIC}{WEBHOOK_PATH}"),
    };
    let first = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos() as u64
        & ((1 << 56) - 1);
    Ok((target, first))
}

/// Signed inbound webhooks on 64 connections, as fast as they are answered or, with `rate`,
/// each at its due time (a connection free by then sends it): 2 s of warm-up, then counted
/// while `window` runs (it is first polled after the warm-up); stopped when it ends.
pub(super) async fn webhooks_during<T>(
    server: &Process,
    customers: &[String],
    phase: u8,
    rate: Option<f64>,
    window: impl Future<Output = T>,
) -> Res<(Webhooks, T)> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
    let (target, first) = target_and_first_id(server)?;
    let next = Arc::new(AtomicU64::new(first));
    let (stop, counting) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let counted = Arc::new(AtomicU64::new(0));
    // Nanoseconds since `clock` of the last answer.
    let clock = Instant::now();
    let last_answer = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (target, next, customers) = (target.clone(), next.clone(), customers.to_vec());
        let (stop, counting) = (stop.clone(), counting.clone());
        let counted = counted.clone();
        let last_answer = last_answer.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(target.addr).await?;
            // Microseconds each counted answer took, and the slowest: how long, and when
            // it was sent (from `clock`).
            let mut took = Vec::new();
            let mut slowest = (Duration::ZERO, Duration::ZERO);
            // The longest gap this task saw between an answer and the one before (in any
            // task), and when it ended (from `clock`), in nanoseconds.
            let mut longest_pause = (0, 0);
            let mut pauses = [0; PAUSES_OVER.len()];
            while !stop.load(Relaxed) {
                let i = next.fetch_add(1, Relaxed);
                let from = &customers[i as usize % customers.len()];
                let request = webhook_request(&target, &message_sid(phase, i), from, "hello");
                let sent = match rate {
                    Some(rate) => {
                        let due = clock + Duration::from_secs_f64((i - first) as f64 / rate);
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    None => Instant::now(),
                };
                let (status, _) = conn.round_trip(&request).await?;
                if status != 200 {
                    return Err::<_, BoxError>(format!("a webhook got {status}").into());
                }
                let now = clock.elapsed().as_nanos() as u64;
                let previous = last_answer.fetch_max(now, Relaxed);
                if counting.load(Relaxed) {
                    counted.fetch_add(1, Relaxed);
                    let elapsed = sent.elapsed();
                    slowest = slowest.max((elapsed, sent - clock));
                    took.push(elapsed.as_micros() as u32);
                    let pause = now.saturating_sub(previous);
                    longest_pause = longest_pause.max((pause, now));
                    for (count, over) in pauses.iter_mut().zip(PAUSES_OVER) {
                        *count += u64::from(pause >= over.as_nanos() as u64);
                    }
                }
            }
            Ok((took, slowest, longest_pause, pauses))
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    counting.store(true, Relaxed);
    let started = Instant::now();
    let window_from = started - clock;
    let (syncs_before, checkpoints_before) = DiskWaits::read(server).await?;
    let stalls_before = memory_stalls();
    let threads_before = ThreadTimes::of(&server.pid());
    let out = window.await;
    let threads = ThreadTimes::of(&server.pid()).since(&threads_before);
    let stalls = memory_stalls();
    counting.store(false, Relaxed);
    let elapsed = started.elapsed();
    let (log_syncs, checkpoints) = DiskWaits::read(server).await?;
    let (log_syncs, checkpoints) = (
        log_syncs.since(&syncs_before),
        checkpoints.since(&checkpoints_before),
    );
    stop.store(true, Relaxed);
    let (mut took, mut slowest, mut longest_pause) =
        (Vec::new(), (Duration::ZERO, Duration::ZERO), (0, 0));
    let mut pauses = [0; PAUSES_OVER.len()];
    for task in tasks {
        let (times, its_slowest, its_longest_pause, its_pauses) = task.await??;
        took.extend(times);
        slowest = slowest.max(its_slowest);
        longest_pause = longest_pause.max(its_longest_pause);
        for (all, its) in pauses.iter_mut().zip(its_pauses) {
            *all += its;
        }
    }
    took.sort_unstable();
    let quantile = |q: f64| match took.len() {
        0 => Duration::ZERO,
        n => Duration::from_micros(took[((n - 1) as f64 * q).round() as usize] as u64),
    };
    let webhooks = Webhooks {
        seconds: elapsed.as_secs_f64(),
        slowest: slowest.0,
        slowest_at: slowest.1.saturating_sub(window_from),
        p99: quantile(0.99),
        p999: quantile(0.999),
        longest_pause: Duration::from_nanos(longest_pause.0),
        longest_pause_at: Duration::from_nanos(longest_pause.1).saturating_sub(window_from),
        pauses,
        log_syncs,
        checkpoints,
        reclaim_stalls: stalls.0 - stalls_before.0,
        compaction_stalls: stalls.1 - stalls_before.1,
        counted: counted.load(Relaxed),
        threads,
    };
    Ok((webhooks, out))
}

/// `parley backup FILE` (the real command, through the server's socket) while webhooks keep
/// arriving; the server's memory is sampled every 50 ms meanwhile.
pub(super) async fn backup_under_load(
    server: &Process,
    dir: &Path,
    customers: &[String],
    phase: u8,
    rate: Option<f64>,
) -> Res<BackupUnderLoad> {
    let file = dir.with_extension("backup.redb");
    let _ = std::fs::remove_file(&file);
    let before = server.memory();
    let window = async {
        let started = Instant::now();
        let mut peak = before;
        let mut backup = tokio::process::Command::new(env!("CARGO_BIN_EXE_parley"))
            .arg("--data-dir")
            .arg(dir)
            .arg("backup")
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        let status = loop {
            for (peak, now) in peak.iter_mut().zip(server.memory()) {
                *peak = (*peak).max(now);
            }
            tokio::select! {
                status = backup.wait() => break status?,
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        };
        let mut said = String::new();
        if let Some(mut stderr) = backup.stderr.take() {
            tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut said).await?;
        }
        Ok::<_, std::io::Error>((status, said, started.elapsed().as_secs_f64(), peak))
    };
    let (webhooks, outcome) = webhooks_during(server, customers, phase, rate, window).await?;
    let (status, said, seconds, peak) = outcome?;
    if !status.success() {
        return Err(format!("`parley backup` failed ({status}): {}", said.trim()).into());
    }
    let after = server.memory();
    let bytes = std::fs::metadata(&file)?.len();
    std::fs::remove_file(&file)?;
    Ok(BackupUnderLoad {
        seconds,
        bytes,
        rss: [before[0], peak[0], after[0]],
        anon: [before[1], peak[1], after[1]],
        file: [before[2], peak[2], after[2]],
        webhooks,
    })
}

/// Signed webhooks on 64 connections, as fast as they are answered, until `answered` of
/// them are; then the server is killed (SIGKILL) with webhooks still in flight. Returns
/// how many were answered in all.
pub(super) async fn crash_under_load(
    server: Process,
    customers: &[String],
    phase: u8,
    answered: u64,
) -> Res<u64> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
    let (target, first) = target_and_first_id(&server)?;
    let next = Arc::new(AtomicU64::new(first));
    let (killed, count) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (target, next, customers) = (target.clone(), next.clone(), customers.to_vec());
        let (killed, count) = (killed.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(target.addr).await?;
            loop {
                let i = next.fetch_add(1, Relaxed);
                let from = &customers[i as usize % customers.len()];
                let request = webhook_request(&target, &message_sid(phase, i), from, "hello");
                match conn.round_trip(&request).await {
                    Ok((200, _)) => count.fetch_add(1, Relaxed),
                    // The connection ends with the server.
                    Err(_) if killed.load(Relaxed) => return Ok(()),
                    Ok((status, _)) => {
                        return Err::<(), BoxError>(format!("a webhook got {status}").into());
                    }
                    Err(e) => return Err(e.into()),
                };
            }
        }));
    }
    while count.load(Relaxed) < answered {
        if tasks.iter().any(|t| t.is_finished()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    killed.store(true, Relaxed);
    // Dropping it kills it.
    drop(server);
    for task in tasks {
        task.await??;
    }
    Ok(count.load(Relaxed))
}
