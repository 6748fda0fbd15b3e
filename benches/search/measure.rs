//! Measuring through HTTP: waiting for the index rebuild, the background webhook ingest, the
//! query latency pass and the webhook-200-to-searchable probes.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::corpus::{Rng, Vocabulary};
use super::queries::Query;
use crate::common::{Conn, Res, Target, lock, message_sid, webhook_request};

/// How the bench authenticates to `/api/search`: a read-only API token (`Authorization:
/// Bearer`, as an API client would), or with `session` a logged-in session cookie (as the
/// search page does).
pub async fn authenticate(
    url: &str,
    store: &parley::store::Store,
    username: &str,
    session: bool,
) -> Res<reqwest::Client> {
    if session {
        let (client, _csrf) = crate::common::login(url, username).await?;
        return Ok(client);
    }
    let name = username.to_owned();
    let user = store
        .read(move |txn| parley::store::user_by_name(txn, &name))
        .await?
        .ok_or_else(|| format!("no user {username}"))?;
    let token =
        parley::web::auth::create_api_token(store, user.id, "search bench", chrono::Utc::now())
            .await?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .build()?)
}

/// One search through HTTP: its status, the `total` it reported, and its latency (request
/// sent to body read).
pub async fn search(
    client: &reqwest::Client,
    url: &str,
    path: &str,
) -> Res<(u16, u64, Duration, String)> {
    let t = Instant::now();
    let res = client.get(format!("{url}{path}")).send().await?;
    let status = res.status().as_u16();
    let body = res.bytes().await?;
    let elapsed = t.elapsed();
    let text = String::from_utf8_lossy(&body).into_owned();
    let total = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["total"].as_u64())
        .unwrap_or(0);
    Ok((status, total, elapsed, text))
}

/// Polls `path` until it reports hits; returns how long that took.
pub async fn wait_for_hits(
    client: &reqwest::Client,
    url: &str,
    path: &str,
    deadline: Duration,
) -> Res<Duration> {
    let t = Instant::now();
    let mut last = String::new();
    while t.elapsed() < deadline {
        let (status, total, _, body) = search(client, url, path).await?;
        if status == 200 && total > 0 {
            return Ok(t.elapsed());
        }
        last = format!(
            "HTTP {status}: {}",
            body.chars().take(200).collect::<String>()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(format!("{path} found nothing within {deadline:?} (last answer {last})").into())
}

/// One timed query of the latency pass.
pub struct Timed {
    pub class: usize,
    pub latency: Duration,
    pub total: u64,
}

/// Runs every query once with `clients` in flight; fails on the first non-200 answer.
pub async fn latency_pass(
    client: &reqwest::Client,
    url: &str,
    queries: &[Query],
    clients: usize,
) -> Res<Vec<Timed>> {
    let queries: Arc<Vec<(usize, String)>> =
        Arc::new(queries.iter().map(|q| (q.class, q.path())).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..clients.max(1) {
        let (client, url, queries, next) = (
            client.clone(),
            url.to_owned(),
            queries.clone(),
            next.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((class, path)) = queries.get(i) else {
                    return Ok::<_, String>(out);
                };
                let (status, total, latency, body) = search(&client, &url, path)
                    .await
                    .map_err(|e| e.to_string())?;
                if status != 200 {
                    return Err(format!("{path}: HTTP {status}: {body}"));
                }
                out.push((
                    i,
                    Timed {
                        class: *class,
                        latency,
                        total,
                    },
                ));
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await??);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, t)| t).collect())
}

/// The background load: signed webhooks at a fixed rate from existing customers.
pub struct Ingest {
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub failed: AtomicU64,
    pub first_error: Mutex<Option<String>>,
    stop: AtomicBool,
}

impl Ingest {
    /// Starts sending `rate` msg/s until [`Ingest::stop`].
    pub fn start(
        target: Target,
        numbers: Vec<String>,
        rate: u32,
        seed: u64,
    ) -> (Arc<Ingest>, tokio::task::JoinHandle<Duration>) {
        let ingest = Arc::new(Ingest {
            sent: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            first_error: Mutex::new(None),
            stop: AtomicBool::new(false),
        });
        let me = ingest.clone();
        let task = tokio::spawn(async move {
            let vocab = Vocabulary::new();
            let mut rng = Rng::new(seed ^ 0x1e57);
            let pool: Arc<Mutex<Vec<Conn>>> = Arc::new(Mutex::new(Vec::new()));
            let interval = Duration::from_secs(1) / rate.max(1);
            let t0 = Instant::now();
            let mut i = 0u64;
            while !me.stop.load(Ordering::Relaxed) {
                tokio::time::sleep_until((t0 + interval * i as u32).into()).await;
                let from = &numbers[rng.below(numbers.len() as u64) as usize];
                let topic = vocab.topic(&mut rng);
                let body = vocab.message(&mut rng, topic, true);
                let request = webhook_request(&target, &message_sid(0x5e, i), from, &body);
                let (me, pool, addr) = (me.clone(), pool.clone(), target.addr);
                tokio::spawn(async move {
                    me.sent.fetch_add(1, Ordering::Relaxed);
                    match send(&pool, addr, &request).await {
                        Ok(200) => me.acked.fetch_add(1, Ordering::Relaxed),
                        outcome => {
                            lock(&me.first_error).get_or_insert(format!("{outcome:?}"));
                            me.failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                });
                i += 1;
            }
            t0.elapsed()
        });
        (ingest, task)
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Sends one request on a pooled keep-alive connection (or a new one); returns its status.
pub async fn send(pool: &Mutex<Vec<Conn>>, addr: std::net::SocketAddr, request: &[u8]) -> Res<u16> {
    let pooled = lock(pool).pop();
    let mut conn = match pooled {
        Some(c) => c,
        None => Conn::open(addr).await?,
    };
    let (status, keep) = conn.round_trip(request).await?;
    if keep {
        lock(pool).push(conn);
    }
    Ok(status)
}

/// How long each probe took from its webhook's 200 to its first hit (`None`: not within the
/// deadline).
pub async fn searchable_probes(
    client: &reqwest::Client,
    url: &str,
    target: &Target,
    numbers: &[String],
    probes: usize,
    workers: usize,
) -> Res<Vec<Option<Duration>>> {
    const POLL: Duration = Duration::from_millis(5);
    const DEADLINE: Duration = Duration::from_secs(10);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..workers.max(1) {
        let (client, url, target, next) =
            (client.clone(), url.to_owned(), target.clone(), next.clone());
        let numbers = numbers.to_vec();
        tasks.push(tokio::spawn(async move {
            let pool = Mutex::new(Vec::new());
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= probes {
                    return Ok::<_, String>(out);
                }
                // One token nothing else contains.
                let word = format!("zqprobe{i:05}");
                let body = format!("Any news on my order? Reference {word}, thanks");
                let from = &numbers[(i * 7919) % numbers.len()];
                let request = webhook_request(&target, &message_sid(0x9b, i as u64), from, &body);
                let status = send(&pool, target.addr, &request)
                    .await
                    .map_err(|e| format!("probe {i}: {e}"))?;
                if status != 200 {
                    return Err(format!("probe {i}: webhook answered HTTP {status}"));
                }
                let acked = Instant::now();
                let path = format!("/api/search?q={word}&per_page=1");
                let mut found = None;
                while acked.elapsed() < DEADLINE {
                    let (status, total, _, body) = search(&client, &url, &path)
                        .await
                        .map_err(|e| e.to_string())?;
                    if status != 200 {
                        return Err(format!("{path}: HTTP {status}: {body}"));
                    }
                    if total > 0 {
                        found = Some(acked.elapsed());
                        break;
                    }
                    tokio::time::sleep(POLL).await;
                }
                out.push((i, found));
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, d)| d).collect())
}

/// Checks `/api/search`'s answers against the contract the bench was written to; returns
/// what differs (empty when nothing does).
pub async fn contract_problems(client: &reqwest::Client, url: &str) -> Res<Vec<String>> {
    let mut problems = Vec::new();
    let (status, _, _, body) = search(client, url, "/api/search?q=refund&per_page=5").await?;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    if status != 200 {
        problems.push(format!("a plain query answered HTTP {status}"));
    }
    for (key, want) in [("page", 1), ("per_page", 5)] {
        if v[key].as_u64() != Some(want) {
            problems.push(format!("`{key}` is {} (expected {want})", v[key]));
        }
    }
    if v["total"].as_u64().is_none() {
        problems.push("no numeric `total`".into());
    }
    let hits = v["hits"].as_array().cloned().unwrap_or_default();
    if hits.is_empty() || hits.len() > 5 {
        problems.push(format!(
            "{} hits for a common word on a page of 5",
            hits.len()
        ));
    }
    for h in hits.iter().take(1) {
        if !matches!(
            h["kind"].as_str(),
            Some("message" | "note" | "survey" | "contact")
        ) {
            problems.push(format!("hit kind {}", h["kind"]));
        }
        for key in ["id", "contact"] {
            if h[key].as_u64().is_none() {
                problems.push(format!("hit `{key}` is {}", h[key]));
            }
        }
        if !(h["workitem"].is_u64() || h["workitem"].is_null()) {
            problems.push(format!("hit `workitem` is {}", h["workitem"]));
        }
        let at = h["at"].as_str().unwrap_or_default();
        if chrono::DateTime::parse_from_rfc3339(at).is_err() {
            problems.push(format!("hit `at` {at:?} is not RFC 3339"));
        }
        if !matches!(h["direction"].as_str(), Some("in" | "out")) && !h["direction"].is_null() {
            problems.push(format!("hit `direction` is {}", h["direction"]));
        }
        if !h["snippet_html"]
            .as_str()
            .unwrap_or_default()
            .contains("<mark>")
        {
            problems.push(format!(
                "hit `snippet_html` marks nothing: {}",
                h["snippet_html"]
            ));
        }
    }
    let (status, _, _, body) = search(client, url, "/api/search?q=%20").await?;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    if status != 400 || !v["error"].is_string() {
        problems.push(format!("an empty query answered HTTP {status}: {body}"));
    }
    Ok(problems)
}
