//! (b): durable, signed webhooks through the real server, closed loop; then the reopened
//! store must hold exactly the acknowledged messages.

use super::*;

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) next: AtomicU64,
    pub(crate) sent: AtomicU64,
    pub(crate) acked: AtomicU64,
    pub(crate) io_errors: AtomicU64,
    pub(crate) stop: AtomicBool,
    pub(crate) other: Mutex<BTreeMap<u16, u64>>,
    pub(crate) first_error: Mutex<Option<String>>,
}

pub(crate) struct Throughput {
    /// GET /healthz through the same client and server: the HTTP ceiling on this machine.
    pub(crate) health_rate: f64,
    pub(crate) rate: f64,
    pub(crate) window: Duration,
    pub(crate) window_acked: u64,
    pub(crate) writes_per_commit: f64,
    pub(crate) commits_per_sec: f64,
    pub(crate) cpu_percent: f64,
    pub(crate) writer_cpu_percent: Option<f64>,
    pub(crate) sent: u64,
    pub(crate) acked: u64,
    pub(crate) refused: BTreeMap<u16, u64>,
    pub(crate) io_errors: u64,
    pub(crate) first_error: Option<String>,
    pub(crate) stored: u64,
    pub(crate) stored_ids: u64,
    /// How long `Store::open` took on the full data dir.
    pub(crate) reopen: Duration,
    pub(crate) data_problem: Option<String>,
    /// From the first webhook sent to the last answered, warm-up included.
    pub(crate) run_time: Duration,
    pub(crate) index: IndexCatchUp,
}

pub(crate) struct Snapshot {
    pub(crate) at: Instant,
    pub(crate) acked: u64,
    pub(crate) batches: BatchStats,
    pub(crate) cpu: Option<Duration>,
    pub(crate) writer_cpu: Option<Duration>,
}

pub(crate) fn snapshot(
    counters: &Counters,
    state: &AppState,
    writer_stat: Option<&str>,
) -> Snapshot {
    Snapshot {
        at: Instant::now(),
        acked: counters.acked.load(Ordering::Relaxed),
        batches: state.store.batch_stats(),
        cpu: cpu_time("/proc/self/stat"),
        writer_cpu: writer_stat.and_then(cpu_time),
    }
}

pub(crate) type MakeRequest = Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>;

pub(crate) async fn closed_loop_worker(target: Target, counters: Arc<Counters>, make: MakeRequest) {
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

pub(crate) async fn throughput_phase(
    dir: &Path,
    settings: &Settings,
    numbers: &[String],
) -> Res<Throughput> {
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
pub(crate) struct IndexCatchUp {
    pub(crate) behind: u64,
    pub(crate) took: Duration,
}

/// The longest the index may take to catch up before the bench calls it stuck.
pub(crate) const CATCH_UP_DEADLINE: Duration = Duration::from_secs(300);

pub(crate) async fn index_catch_up(state: &AppState) -> Res<IndexCatchUp> {
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
