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

/// Posts a signed inbound webhook; whether it was acknowledged.
async fn inbound(http: &reqwest::Client, url: &str, sid: &str, from: &str, body: &str) -> bool {
    let params = twilio_params(sid, from, body);
    let sig =
        parley::sms::twilio::signature(TWILIO_TOKEN, &format!("{PUBLIC}{WEBHOOK_PATH}"), &params);
    matches!(
        http.post(format!("{url}{WEBHOOK_PATH}"))
            .header("X-Twilio-Signature", sig)
            .form(&params)
            .send()
            .await,
        Ok(r) if r.status() == 200
    )
}

/// A JSON POST of the agent's; the answer when it was 2xx.
async fn act(
    http: &reqwest::Client,
    csrf: &str,
    url: &str,
    body: serde_json::Value,
) -> Option<serde_json::Value> {
    let res = http
        .post(url)
        .header("X-CSRF-Token", csrf)
        .json(&body)
        .send()
        .await
        .ok()?;
    if !res.status().is_success() {
        return None;
    }
    Some(res.json().await.unwrap_or_default())
}

/// The agent's side: opens the event stream, goes Available, and for each offer accepts,
/// replies and ends it. Runs until the server dies.
async fn agent(
    http: reqwest::Client,
    csrf: String,
    url: String,
    trial: u64,
    acked: Arc<Mutex<Acked>>,
) {
    let Ok(res) = http.get(format!("{url}/api/events")).send().await else {
        return;
    };
    let mut stream = res.bytes_stream();
    let _ = act(
        &http,
        &csrf,
        &format!("{url}/api/presence"),
        serde_json::json!({"presence": "available"}),
    )
    .await;
    let mut buf = String::new();
    let mut event = String::new();
    let mut k = 0u64;
    while let Some(Ok(chunk)) = stream.next().await {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find('\n') {
            let line = buf[..end].trim_end_matches('\r').to_owned();
            buf.drain(..=end);
            if let Some(name) = line.strip_prefix("event:") {
                event = name.trim().to_owned();
                continue;
            }
            let Some(data) = line.strip_prefix("data:") else {
                continue;
            };
            let v: serde_json::Value = serde_json::from_str(data.trim()).unwrap_or_default();
            // Offers now, and work the last run left active (from the opening sync).
            let mut ids = Vec::new();
            if event == "offer" {
                ids.extend(v["workitem"]["id"].as_u64().map(|w| (w, true)));
            } else if event == "sync" {
                for w in v["active"].as_array().into_iter().flatten() {
                    ids.extend(w["id"].as_u64().map(|w| (w, false)));
                }
            }
            for (w, offered) in ids {
                let base = format!("{url}/api/workitems/{w}");
                if offered {
                    if act(
                        &http,
                        &csrf,
                        &format!("{base}/accept"),
                        serde_json::json!({}),
                    )
                    .await
                    .is_none()
                    {
                        continue;
                    }
                    lock(&acked).accepted.insert(w);
                }
                k += 1;
                let body = format!("re-{trial}-{k}");
                if act(
                    &http,
                    &csrf,
                    &format!("{base}/messages"),
                    serde_json::json!({"body": body}),
                )
                .await
                .is_some()
                {
                    lock(&acked).bodies.insert(body);
                }
                if act(
                    &http,
                    &csrf,
                    &format!("{base}/terminate"),
                    // The demo's queue requires a wrap-up code.
                    serde_json::json!({"wrap_up": "Resolved"}),
                )
                .await
                .is_some()
                {
                    lock(&acked).terminated.insert(w);
                }
            }
        }
    }
}

/// Customers texting in, one after another about 10 ms apart, until the server dies.
async fn customers(url: String, trial: u64, acked: Arc<Mutex<Acked>>) {
    let http = reqwest::Client::new();
    for i in 0u64.. {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let body = format!("in-{trial}-{i}");
        let from = format!("+1415556{:04}", (trial * 7 + i) % 40);
        if inbound(
            &http,
            &url,
            &message_sid((trial % 200) as u8, trial << 20 | i),
            &from,
            &body,
        )
        .await
        {
            lock(&acked).bodies.insert(body);
        } else {
            return;
        }
    }
}

/// The agent texting customers from the outbound campaign, about 10 ms apart, until the server
/// dies.
async fn outbound(
    http: reqwest::Client,
    csrf: String,
    url: String,
    trial: u64,
    campaign: u64,
    acked: Arc<Mutex<Acked>>,
) {
    for i in 0u64.. {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let body = format!("ob-{trial}-{i}");
        let to = format!("+1415557{:04}", (trial * 3 + i) % 40);
        let sent = act(
            &http,
            &csrf,
            &format!("{url}/api/outbound"),
            serde_json::json!({"to": to, "body": body, "campaign": campaign}),
        )
        .await;
        match sent {
            Some(started) => {
                lock(&acked).bodies.insert(body);
                // Ended at once, so the agent's room goes to the customers' offers.
                if let Some(w) = started["workitem"]["id"].as_u64() {
                    let ended = act(
                        &http,
                        &csrf,
                        &format!("{url}/api/workitems/{w}/terminate"),
                        serde_json::json!({"wrap_up": "Resolved"}),
                    )
                    .await;
                    if ended.is_some() {
                        lock(&acked).terminated.insert(w);
                    }
                }
            }
            // Refused (the customer has an open conversation with someone) or the server died.
            None => tokio::time::sleep(Duration::from_millis(20)).await,
        }
        if http.get(format!("{url}/healthz")).send().await.is_err() {
            return;
        }
    }
}

/// Reads an export: for each row, the cells of the named `columns`, in that order. Only those
/// are kept, so a check late in a long run does not build a map per row of a large export.
async fn export<const N: usize>(
    http: &reqwest::Client,
    url: &str,
    columns: [&str; N],
) -> Res<Vec<[String; N]>> {
    let text = http
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers()?.clone();
    let mut at = [0; N];
    for (i, name) in columns.iter().enumerate() {
        at[i] = headers
            .iter()
            .position(|h| h == *name)
            .ok_or_else(|| format!("{url} has no column {name:?}"))?;
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        rows.push(at.map(|i| record.get(i).unwrap_or_default().to_owned()));
    }
    Ok(rows)
}

/// Checks the invariants through the API; the first that fails, or how many leads the
/// predictive campaign has messaged so far.
async fn check(url: &str, admin: &reqwest::Client, acked: &Acked) -> Res<usize> {
    let today = chrono::Utc::now().date_naive();
    let range = format!("from={}&to={}", today - chrono::Duration::days(1), today);
    let messages = export(
        admin,
        &format!("{url}/reports/messages.csv?{range}"),
        ["body", "customer"],
    )
    .await?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_lead: BTreeMap<&str, usize> = BTreeMap::new();
    for [body, customer] in &messages {
        *counts.entry(body).or_default() += 1;
        if body.starts_with("Offer for Lead") {
            *per_lead.entry(customer).or_default() += 1;
        }
    }
    for b in &acked.bodies {
        let n = counts.get(b.as_str()).copied().unwrap_or(0);
        if n != 1 {
            return Err(format!("acknowledged message {b:?} stored {n} times").into());
        }
    }
    for (b, n) in &counts {
        let ours = ["in-", "re-", "ob-"].iter().any(|p| b.starts_with(p));
        if ours && *n > 1 {
            return Err(format!("message {b:?} stored {n} times").into());
        }
    }
    if let Some((lead, n)) = per_lead.iter().find(|(_, n)| **n > 1) {
        return Err(format!("lead {lead} messaged {n} times").into());
    }
    let workitems = export(
        admin,
        &format!("{url}/reports/workitems.csv?{range}"),
        ["id", "state"],
    )
    .await?;
    let state: BTreeMap<u64, &str> = workitems
        .iter()
        .filter_map(|[id, state]| Some((id.parse().ok()?, state.as_str())))
        .collect();
    for w in &acked.accepted {
        if matches!(state.get(w), None | Some(&"queued") | Some(&"offered")) {
            return Err(format!("accepted workitem {w} is {:?}", state.get(w)).into());
        }
    }
    for w in &acked.terminated {
        if state.get(w) != Some(&"terminated") {
            return Err(format!("terminated workitem {w} is {:?}", state.get(w)).into());
        }
    }
    Ok(per_lead.len())
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
