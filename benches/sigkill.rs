//! The SIGKILL crash-trial benchmark: `cargo bench --bench sigkill` (`--trials N`, default
//! 1,000; `PARLEY_BENCH=quick` for 50).
//!
//! The real binary on one data dir (the demo's, plus a predictive campaign sending to 100,000
//! leads throughout), under mixed load: signed inbound webhooks from a pool of customers (one
//! about every 10 ms), an agent accepting each offer, replying and ending it, and the same agent
//! texting customers from the outbound campaign (also about every 10 ms). The pace keeps a
//! thousand trials' history small enough to check in full after every restart. Each trial kills the process with SIGKILL at a random moment
//! (0.2–2 s into the load), starts it again, and checks through the HTTP API (the CSV
//! exports, as an admin):
//! - every acknowledged inbound message, reply and outbound message is stored exactly once,
//!   and nothing was stored twice;
//! - every acknowledged accept left its workitem past the queue, every acknowledged
//!   termination left it terminated;
//! - no lead of the predictive campaign got two messages.
//!
//! Reports the trials, the acts acknowledged before the kills, and the time to serve again.

#[path = "common/mod.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt as _;
use parley::domain::{
    Campaign, CampaignId, CampaignKind, ChannelPreference, ContactId, E164, Lead, LeadId,
    PredictiveSettings, RunAction, SendingHours,
};
use parley::store;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

#[path = "sigkill/checks.rs"]
mod checks;
#[path = "sigkill/load.rs"]
mod load;
use checks::*;
use load::*;

const PUBLIC: &str = "http://parley.bench";
const LEADS: usize = 100_000;
const PREDICTIVE_NUMBER: &str = "+14155550109";

struct Settings {
    trials: u64,
}

impl Settings {
    fn from_args() -> Res<Settings> {
        let quick = std::env::var("PARLEY_BENCH").is_ok_and(|v| v == "quick");
        let mut s = Settings {
            trials: if quick { 50 } else { 1000 },
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            if arg == "--trials" {
                s.trials = args.next().ok_or("--trials N")?.parse()?;
            }
        }
        Ok(s)
    }
}

fn main() -> std::process::ExitCode {
    bench_main("sigkill", Settings::from_args(), run)
}

/// What the load was told, over all trials.
#[derive(Default)]
struct Acked {
    bodies: BTreeSet<String>,
    accepted: BTreeSet<u64>,
    terminated: BTreeSet<u64>,
}

/// The demo's data, every login's password set, and a running predictive campaign.
async fn prepare(dir: &Path) -> Res<()> {
    let config = parley::config::Config {
        data_dir: dir.to_owned(),
        ..parley::config::Config::default()
    };
    let (store, writer) = parley::open_store(&config)?;
    for login in parley::bootstrap::first_run(&store, true).await? {
        parley::bootstrap::set_password(&store, &login.username, PASSWORD).await?;
    }
    let queue = parley::bootstrap::ensure_default_queue(&store).await?;
    let now = chrono::Utc::now();
    store
        .write(move |txn| {
            let mut c = Campaign::new(
                CampaignId(0),
                "Crash trials",
                CampaignKind::Predictive,
                queue,
            );
            c.numbers = vec![
                E164::parse(PREDICTIVE_NUMBER)
                    .map_err(|e| store::StoreError::Redb(e.to_string()))?,
            ];
            c.send_rate = 50.0;
            c.quiet_hours = None;
            let mut p = PredictiveSettings::new();
            p.message = "Offer for {first_name}".into();
            p.per_minute = 600.0;
            p.hours = SendingHours::parse("00:00", "23:59").map_err(store::StoreError::Redb)?;
            c.predictive = Some(p);
            let store::NewCampaign::Created(c) = store::save_campaign(txn, c)? else {
                return Err(store::StoreError::Redb(
                    "the bench's number is taken".into(),
                ));
            };
            let mut leads = Vec::with_capacity(LEADS);
            for i in 0..LEADS {
                leads.push(Lead {
                    id: LeadId(0),
                    campaign: c.id,
                    phone: E164::parse(&format!("+1212{}{:04}", 200 + i / 10_000, i % 10_000))
                        .map_err(|e| store::StoreError::Redb(e.to_string()))?,
                    contact: ContactId(0),
                    first_name: format!("Lead{i}"),
                    last_name: String::new(),
                    time_zone: String::new(),
                    channel: ChannelPreference::Sms,
                    fields: Vec::new(),
                    imported_at: now,
                });
            }
            store::insert_leads(txn, leads, now)?;
            store::change_run(txn, c.id, RunAction::Start, now)?
                .map_err(store::StoreError::Redb)?;
            Ok(())
        })
        .await?;
    drop(store);
    writer.join().map_err(|_| "the store writer panicked")?;
    Ok(())
}

/// Starts the binary on `dir`; returns it and its URL once it serves.
fn start(dir: &Path) -> Res<(Child, String)> {
    let (child, url, _) = spawn_serving(
        Command::new(env!("CARGO_BIN_EXE_parley"))
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir)
            .env("PARLEY_SMS__TWILIO__AUTH_TOKEN", TWILIO_TOKEN)
            .env("PARLEY_PUBLIC_URL", PUBLIC),
    )?;
    Ok((child, url))
}

async fn run(s: Settings) -> Res<bool> {
    let dir = tempfile::tempdir()?;
    say(&format!("Parley SIGKILL crash trials: {}", s.trials));
    prepare(dir.path()).await?;
    let acked = Arc::new(Mutex::new(Acked::default()));
    let mut rng = StdRng::seed_from_u64(1);
    let (mut child, mut url) = start(dir.path())?;
    let mut restarts = Vec::new();
    let mut leads_messaged = 0;
    for trial in 0..s.trials {
        let (alice, csrf) = login(&url, "alice").await?;
        let (admin, _) = login(&url, "admin").await?;
        let campaigns: serde_json::Value = alice
            .get(format!("{url}/api/outbound/options"))
            .send()
            .await?
            .json()
            .await?;
        let follow_ups = campaigns["campaigns"]
            .as_array()
            .and_then(|c| c.iter().find_map(|c| c["id"].as_u64()))
            .ok_or("no outbound campaign")?;
        let load = [
            tokio::spawn(agent(
                alice.clone(),
                csrf.clone(),
                url.clone(),
                trial,
                acked.clone(),
            )),
            tokio::spawn(customers(url.clone(), trial, acked.clone())),
            tokio::spawn(outbound(
                alice.clone(),
                csrf.clone(),
                url.clone(),
                trial,
                follow_ups,
                acked.clone(),
            )),
        ];
        tokio::time::sleep(Duration::from_millis(rng.random_range(200..2000))).await;
        child.kill()?;
        child.wait()?;
        for task in load {
            let _ = tokio::time::timeout(Duration::from_secs(30), task).await;
        }
        let restarted = Instant::now();
        (child, url) = start(dir.path())?;
        restarts.push(restarted.elapsed());
        // Everything acknowledged so far, in this trial and every one before.
        let so_far = {
            let a = lock(&acked);
            Acked {
                bodies: a.bodies.clone(),
                accepted: a.accepted.clone(),
                terminated: a.terminated.clone(),
            }
        };
        match check(&url, &admin, &so_far).await {
            Ok(n) => leads_messaged = n,
            Err(e) => {
                let _ = child.kill();
                return Err(format!("trial {trial}: {e}").into());
            }
        }
        let all = so_far;
        if (trial + 1) % 50 == 0 {
            say(&format!(
                "  {} trials, {} acts acknowledged",
                trial + 1,
                all.bodies.len() + all.accepted.len() + all.terminated.len()
            ));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    restarts.sort();
    let all = lock(&acked);
    println!(
        "{} SIGKILL trials: every check held; {} messages, {} accepts and {} terminations acknowledged before the kills, \
         {} leads messaged once each by the predictive campaign; \
         restart to serving p50 {} p99 {}",
        s.trials,
        thousands(all.bodies.len() as f64),
        thousands(all.accepted.len() as f64),
        thousands(all.terminated.len() as f64),
        thousands(leads_messaged as f64),
        ms(percentile(&restarts, 50.0)),
        ms(percentile(&restarts, 99.0)),
    );
    Ok(true)
}
