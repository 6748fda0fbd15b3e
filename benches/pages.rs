//! The page render benchmark: `cargo bench --bench pages` (`--times N`, default 500;
//! `PARLEY_BENCH=quick` for 100).
//!
//! The real server in-process on the demo's data (about 30 days of history), an agent logged
//! in: `/workspace` and each tab fragment of the agent's workitem whose customer has the most
//! history, each fetched `--times` times one after another over keep-alive HTTP, after a
//! warm-up: p50/p95/p99 (target p95 < 5 ms). Baseline: `GET /healthz` through the same client,
//! which is what HTTP alone costs.

#[path = "common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::*;
use parley::domain::Role;
use parley::store;

const TABS: [&str; 8] = [
    "contact",
    "notes",
    "survey",
    "insights",
    "data",
    "information",
    "history",
    "events",
];

struct Settings {
    times: usize,
}

impl Settings {
    fn from_args() -> Res<Settings> {
        let quick = std::env::var("PARLEY_BENCH").is_ok_and(|v| v == "quick");
        let mut s = Settings {
            times: if quick { 100 } else { 500 },
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--bench" => {}
                "--times" => s.times = args.next().ok_or("--times N")?.parse()?,
                other => return Err(format!("unknown option {other}").into()),
            }
        }
        Ok(s)
    }
}

fn main() -> std::process::ExitCode {
    bench_main("pages", Settings::from_args(), run)
}

/// The demo's data with every login's password set; returns the first agent's username.
async fn prepare(dir: &std::path::Path) -> Res<String> {
    let config = parley::config::Config {
        data_dir: dir.to_owned(),
        ..parley::config::Config::default()
    };
    let (store, writer) = parley::open_store(&config)?;
    let mut agent = None;
    for login in parley::bootstrap::first_run(&store, true).await? {
        parley::bootstrap::set_password(&store, &login.username, PASSWORD).await?;
        if login.role == Role::Agent && agent.is_none() {
            agent = Some(login.username);
        }
    }
    drop(store);
    writer.join().map_err(|_| "the store writer panicked")?;
    Ok(agent.ok_or("the demo has no agent")?)
}

/// The agent's workitem whose customer has the most workitems of all the agent's customers
/// (the fullest History and Events tabs), and how many that customer has.
async fn fullest_workitem(server: &Server, agent: parley::domain::UserId) -> Res<(u64, usize)> {
    let picked = server
        .state
        .store
        .read(move |txn| {
            let far = chrono::Utc::now() + chrono::Duration::days(1);
            let mut per_contact: HashMap<u64, (usize, u64)> = HashMap::new();
            let mut cursor = store::first_workitem_from(txn, chrono::DateTime::UNIX_EPOCH)?;
            while let Some(start) = cursor {
                let (rows, next) = store::workitems_chunk(txn, start, 1000, far)?;
                for w in rows {
                    let e = per_contact.entry(w.contact.0).or_default();
                    e.0 += 1;
                    if w.agent == Some(agent) {
                        e.1 = e.1.max(w.id.0);
                    }
                }
                cursor = next;
            }
            Ok(per_contact
                .into_values()
                .filter(|(_, id)| *id > 0)
                .max_by_key(|(n, _)| *n))
        })
        .await?;
    let (n, id) = picked.ok_or("the agent has no workitem in the demo's history")?;
    Ok((id, n))
}

/// Fetches `url` `times` times, each read to its end; the sorted times.
async fn time_gets(http: &reqwest::Client, url: &str, times: usize) -> Res<Vec<Duration>> {
    let mut out = Vec::with_capacity(times);
    for _ in 0..times {
        let t = Instant::now();
        let res = http.get(url).send().await?;
        let status = res.status();
        res.bytes().await?;
        if !status.is_success() {
            return Err(format!("{url} answered {status}").into());
        }
        out.push(t.elapsed());
    }
    out.sort();
    Ok(out)
}

async fn run(s: Settings) -> Res<bool> {
    let dir = tempfile::tempdir()?;
    let agent_name = prepare(dir.path()).await?;
    let server = boot(dir.path()).await?;
    let (http, _) = login(&server.url, &agent_name).await?;
    let agent = server
        .state
        .store
        .read(move |txn| store::user_by_name(txn, &agent_name))
        .await?
        .ok_or("the agent vanished")?
        .id;
    let (workitem, contact_workitems) = fullest_workitem(&server, agent).await?;
    say(&format!(
        "Parley page bench: {} fetches each; workitem {workitem}, whose customer has {contact_workitems} workitems",
        s.times
    ));

    let mut pages = vec![("baseline: `/healthz`".to_owned(), "/healthz".to_owned())];
    pages.push(("`/workspace`".to_owned(), "/workspace".to_owned()));
    for tab in TABS {
        pages.push((
            format!("tab: {tab}"),
            format!("/workspace/workitems/{workitem}/tabs/{tab}"),
        ));
    }
    let mut rows = Vec::new();
    for (name, path) in &pages {
        let url = format!("{}{path}", server.url);
        time_gets(&http, &url, s.times / 10 + 1).await?;
        rows.push((name, time_gets(&http, &url, s.times).await?));
    }
    server.stop().await?;

    println!();
    println!("| page | p50 | p95 | p99 | target p95 < 5 ms |");
    println!("|---|---|---|---|---|");
    let mut all_ok = true;
    for (i, (name, times)) in rows.iter().enumerate() {
        let p95 = percentile(times, 95.0);
        let judged = if i == 0 {
            "—"
        } else {
            let ok = p95 < Duration::from_millis(5);
            all_ok &= ok;
            verdict(ok)
        };
        println!(
            "| {name} | {} | {} | {} | {judged} |",
            ms(percentile(times, 50.0)),
            ms(p95),
            ms(percentile(times, 99.0)),
        );
    }
    say(&format!(
        "every page p95 < 5 ms: {}",
        if all_ok { "PASS" } else { "MISS" }
    ));
    Ok(true)
}
