//! (c): webhook → `offer` on an agent's SSE stream at a fixed open-loop pace.

use super::*;

pub(crate) fn latency_messages(settings: &Settings) -> usize {
    let secs = (settings.latency_warmup + settings.latency).as_secs_f64();
    (secs * f64::from(settings.rate)).ceil() as usize
}

pub(crate) struct Latency {
    pub(crate) rate: u32,
    pub(crate) agents: usize,
    pub(crate) sent: usize,
    pub(crate) measured: usize,
    pub(crate) warmup_messages: usize,
    pub(crate) offers_arrived: usize,
    pub(crate) offer_events: u64,
    pub(crate) p50: Duration,
    pub(crate) p95: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
    pub(crate) ack_p50: Duration,
    pub(crate) ack_p99: Duration,
    pub(crate) lag_max: Duration,
    pub(crate) extra_connections: u64,
    pub(crate) achieved_rate: f64,
    /// What the store's writer waited for on the disk during (c), warm-up included.
    pub(crate) disk: BatchStats,
    pub(crate) floor: floor::Floor,
    pub(crate) problem: Option<String>,
}

/// What the agents' SSE readers saw: the first offer per customer, and how many offers.
#[derive(Default)]
pub(crate) struct Offers {
    pub(crate) first: Mutex<HashMap<String, Instant>>,
    pub(crate) events: AtomicU64,
}

/// A browser-like agent: logs in, opens its live stream, goes Available.
pub(crate) async fn agent_session(
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
pub(crate) async fn read_offers(
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

pub(crate) struct Sent {
    pub(crate) scheduled: Instant,
    pub(crate) start: Instant,
    pub(crate) done: Instant,
    pub(crate) outcome: Result<u16, String>,
}

pub(crate) async fn latency_phase(
    dir: &Path,
    settings: &Settings,
    numbers: &[String],
) -> Res<Latency> {
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
pub(crate) fn spread(samples: &mut [Duration]) -> [Duration; 3] {
    samples.sort();
    [
        percentile(samples, 50.0),
        percentile(samples, 99.0),
        samples.last().copied().unwrap_or_default(),
    ]
}
