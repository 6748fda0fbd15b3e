//! The store alone: the webhook's ingest transaction through group commit, without HTTP.

use super::*;

pub(crate) struct StoreOnly {
    /// Latency of one durable ingest at (c)'s rate, open loop: p50, p99, max.
    pub(crate) paced: [Duration; 3],
    pub(crate) paced_rate: u32,
    pub(crate) rate: f64,
    pub(crate) writes_per_commit: f64,
    pub(crate) writer_cpu_percent: Option<f64>,
}

pub(crate) async fn store_only_phase(
    dir: &Path,
    settings: &Settings,
    numbers: &[String],
) -> Res<StoreOnly> {
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
