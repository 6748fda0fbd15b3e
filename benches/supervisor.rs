//! The supervisor's benchmark: `cargo bench --bench supervisor` (`PARLEY_BENCH=quick` for a
//! shorter run).
//!
//! Wallboard update latency: the real server in-process (127.0.0.1:0, a fresh data dir),
//! `--agents N` agents (default 200) each logged in with their workspace stream open, and a
//! supervisor's wallboard stream. One agent at a time changes state (Available ⇄ Away) with
//! `POST /api/presence`; the time from sending that request to the next `floor` event on the
//! wallboard stream is the update latency (target p99 < 10 ms). The same run's baseline is
//! the request's own round trip (the ACD has the new state when it answers), so the ratio
//! shows what drawing and sending the board adds.

use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use parley::domain::{AgentSettings, Role};
use tokio::sync::mpsc;

mod common;
use common::*;

struct Settings {
    agents: usize,
    changes: usize,
}

impl Settings {
    fn from_env() -> Res<Settings> {
        let quick = std::env::var("PARLEY_BENCH").as_deref() == Ok("quick");
        let mut s = Settings {
            agents: 200,
            changes: if quick { 300 } else { 1000 },
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--agents" => s.agents = args.next().ok_or("--agents N")?.parse()?,
                "--changes" => s.changes = args.next().ok_or("--changes N")?.parse()?,
                "--quick" => s.changes = 300,
                "--bench" => {}
                other => return Err(format!("unknown option {other}").into()),
            }
        }
        Ok(s)
    }
}

fn main() -> std::process::ExitCode {
    bench_main("supervisor", Settings::from_env(), run)
}

/// Reads an SSE body, sending the arrival time of each event named `wanted` to `tx`.
fn watch_events(
    res: reqwest::Response,
    wanted: Option<&'static str>,
    tx: Option<mpsc::UnboundedSender<(Instant, usize)>>,
) {
    tokio::spawn(async move {
        let mut body = res.bytes_stream();
        let mut buf = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let named = block
                    .lines()
                    .find_map(|l| l.strip_prefix("event:"))
                    .map(str::trim);
                if let (Some(tx), Some(w)) = (&tx, wanted)
                    && named == Some(w)
                {
                    let _ = tx.send((Instant::now(), block.len()));
                }
            }
        }
    });
}

async fn run(s: Settings) -> Res<bool> {
    let dir = tempfile::tempdir()?;
    let server = boot(dir.path()).await?;
    let queue = parley::bootstrap::ensure_default_queue(&server.state.store).await?;
    parley::bootstrap::add_user(
        &server.state.store,
        "sup",
        "Supervisor",
        Role::Supervisor,
        PASSWORD,
    )
    .await?;
    say(&format!(
        "logging in {} agents and opening their workspaces…",
        s.agents
    ));
    let mut agents = Vec::new();
    for i in 0..s.agents {
        let name = format!("agent{i:03}");
        let user =
            parley::bootstrap::add_user(&server.state.store, &name, &name, Role::Agent, PASSWORD)
                .await?;
        let settings = AgentSettings {
            queues: vec![queue],
            ..Default::default()
        };
        let stored = settings.clone();
        server
            .state
            .store
            .write(move |txn| parley::store::put_agent_settings(txn, user.id, &stored))
            .await?;
        server.state.acd.configure(user.id, settings);
        let (http, csrf) = login(&server.url, &name).await?;
        let stream = http
            .get(format!("{}/api/events", server.url))
            .send()
            .await?;
        watch_events(stream, None, None);
        agents.push((http, csrf));
    }
    let (sup, _) = login(&server.url, "sup").await?;
    let (tx, mut boards) = mpsc::unbounded_channel();
    let stream = sup
        .get(format!("{}/api/supervisor/events", server.url))
        .send()
        .await?;
    watch_events(stream, Some("floor"), Some(tx));
    boards.recv().await.ok_or("no first board")?;

    let mut latency = Vec::with_capacity(s.changes);
    let mut round_trip = Vec::with_capacity(s.changes);
    let mut board_bytes = 0;
    let warmup = 50;
    for i in 0..s.changes + warmup {
        let (http, csrf) = &agents[i % agents.len()];
        let presence = if (i / agents.len()) % 2 == 0 {
            "available"
        } else {
            "away"
        };
        while boards.try_recv().is_ok() {}
        let sent = Instant::now();
        let res = http
            .post(format!("{}/api/presence", server.url))
            .header("X-CSRF-Token", csrf)
            .json(&serde_json::json!({ "presence": presence, "reason": "Break" }))
            .send()
            .await?;
        let answered = Instant::now();
        if !res.status().is_success() {
            return Err(format!("presence refused: {}", res.status()).into());
        }
        let (at, bytes) = tokio::time::timeout(Duration::from_secs(5), boards.recv())
            .await
            .map_err(|_| "no board within 5 s of a state change")?
            .ok_or("the wallboard stream ended")?;
        if i >= warmup {
            latency.push(at - sent);
            round_trip.push(answered - sent);
            board_bytes = bytes;
        }
    }
    latency.sort();
    round_trip.sort();
    let p = |v: &[Duration], q: f64| percentile(v, q);
    println!();
    println!(
        "Wallboard update latency: {} agents connected, {} state changes one at a time, board {} KiB",
        s.agents,
        latency.len(),
        board_bytes / 1024
    );
    println!("| measure | p50 | p95 | p99 | max |");
    println!("|---|---|---|---|---|");
    for (name, v) in [
        (
            "state change → `floor` event on the wallboard stream",
            &latency,
        ),
        ("baseline: the state change's own round trip", &round_trip),
    ] {
        println!(
            "| {name} | {} | {} | {} | {} |",
            ms(p(v, 50.0)),
            ms(p(v, 95.0)),
            ms(p(v, 99.0)),
            ms(p(v, 100.0))
        );
    }
    let ratio = p(&latency, 99.0).as_secs_f64() / p(&round_trip, 99.0).as_secs_f64().max(1e-9);
    let met = p(&latency, 99.0) < Duration::from_millis(10);
    println!(
        "p99 ÷ baseline p99: {ratio:.1}×; target p99 < 10 ms: {}",
        verdict(met)
    );
    server.stop().await?;
    Ok(true)
}
