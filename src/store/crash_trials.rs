//! Crash trials: the store on a simulated disk (`sim_disk.rs`) that fails a write or a sync,
//! or loses power, at a random call, under a random mix of the acknowledged acts: customers'
//! messages (with and without a provider id, and provider retries), agents' replies, consent
//! changes, accepts and terminations. After each fault the store is opened again on what the
//! disk kept, and every act that was acknowledged must be there exactly once, and every other
//! act at most once and whole. The unit test runs 1,000 trials; `cargo bench --bench crash`
//! runs 100,000.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use redb::{ReadTransaction, ReadableTable};

use super::sim_disk::{Fault, SimDisk};
use super::*;
use crate::domain::{ConsentEntry, ConsentSource, E164, EventKind, Message, UserId, WorkitemId};

const AGENT: UserId = UserId(3);

/// 2026-12-05 09:00 UTC plus `step` seconds: each act has its own time.
fn at(step: u64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_796_461_200, 0).unwrap_or_default() + Duration::seconds(step as i64)
}

/// One of five customers.
fn phone(i: u64) -> Result<E164, String> {
    E164::parse(&format!("+1415555{:04}", 100 + i % 5)).map_err(|e| e.to_string())
}

/// What the workload was told, act by act.
#[derive(Default)]
struct Told {
    /// Message bodies: acknowledged, and tried but not acknowledged.
    messages: BTreeSet<String>,
    unsure_messages: BTreeSet<String>,
    /// Consent changes by their time (each act has its own).
    consent: BTreeSet<DateTime<Utc>>,
    unsure_consent: BTreeSet<DateTime<Utc>>,
    /// Routing steps: (workitem, time).
    steps: BTreeSet<(u64, DateTime<Utc>)>,
    unsure_steps: BTreeSet<(u64, DateTime<Utc>)>,
}

/// A snapshot held from one act to the end of the workload, as a backup holds one, with
/// what it held when taken.
struct HeldSnapshot {
    txn: ReadTransaction,
    when_taken: Held,
}

/// Runs `acts` until all are done or the store fails for good; returns what it was told.
/// From act `acts.snapshot_at` on (none if 0) it holds a snapshot; if `check_snapshot`, it
/// fails unless the snapshot still holds at the end what it held when taken (the store's
/// pages it sees were not reused under it).
async fn workload(store: &Store, acts: Acts, check_snapshot: bool) -> Result<Told, String> {
    let snapshot_at = acts.snapshot_at;
    let mut snapshot: Option<HeldSnapshot> = None;
    let mut rng = StdRng::seed_from_u64(acts.seed);
    let told = run_each_act(store, &mut rng, acts.count, |step| {
        if step == snapshot_at {
            let txn = store.snapshot().map_err(|e| e.to_string())?;
            let when_taken = held(&txn).map_err(|e| format!("snapshot: {e}"))?;
            snapshot = Some(HeldSnapshot { txn, when_taken });
        }
        Ok(())
    })
    .await?;
    if let (Some(snapshot), true) = (snapshot, check_snapshot) {
        let now = held(&snapshot.txn).map_err(|e| format!("snapshot at the end: {e}"))?;
        if now != snapshot.when_taken {
            return Err(format!(
                "the snapshot taken at act {snapshot_at} changed under it"
            ));
        }
    }
    Ok(told)
}

/// The acts of [`workload`], calling `before_act` with each act's number first.
async fn run_each_act(
    store: &Store,
    rng: &mut StdRng,
    count: u64,
    mut before_act: impl FnMut(u64) -> Result<(), String>,
) -> Result<Told, String> {
    let mut told = Told::default();
    // Workitems acknowledged, with how far they got: 0 queued, 1 accepted, 2 ended.
    let mut open: BTreeMap<u64, u8> = BTreeMap::new();
    let mut sids: Vec<String> = Vec::new();
    let mut inbound: Vec<QueuedInbound> = Vec::new();
    for step in 1..=count {
        before_act(step)?;
        let when = at(step);
        let act = rng.random_range(0..10);
        if act > 3 {
            for queued in inbound.drain(..) {
                queued.outcome(&mut told, &mut open, &mut sids).await;
            }
        }
        match act {
            0..=3 => {
                let body = format!("in-{step}");
                let retry = !sids.is_empty() && rng.random_bool(0.2);
                let provider_id = if retry {
                    Some(sids[rng.random_range(0..sids.len())].clone())
                } else if rng.random_bool(0.5) {
                    Some(format!("SM{step}"))
                } else {
                    None
                };
                let sms = InboundSms {
                    provider: "simulator",
                    provider_id: provider_id.clone(),
                    from: phone(step)?,
                    to: E164::parse("+14155550100").map_err(|e| e.to_string())?,
                    body: body.clone(),
                    received_at: when,
                };
                // As a provider's webhook is answered: once the message is in the log. The
                // next messages go on meanwhile; their outcomes are read before other acts.
                let queued = store.ingest_logged(vec![sms]).await;
                let (logged, answer) = match queued {
                    Ok((logged, answer)) => (logged, Some(answer)),
                    Err(_) => (false, None),
                };
                inbound.push(QueuedInbound {
                    body,
                    provider_id,
                    retry,
                    logged,
                    answer,
                });
                continue;
            }
            4 | 5 => {
                let Some((&w, _)) = open.iter().find(|(_, s)| **s < 2) else {
                    continue;
                };
                let body = format!("out-{step}");
                let b = body.clone();
                let written = store
                    .write(move |txn| insert_outbound(txn, WorkitemId(w), AGENT, &b, when))
                    .await;
                match written {
                    Ok(_) => told.messages.insert(body),
                    Err(_) => told.unsure_messages.insert(body),
                };
            }
            6 => {
                let entry = ConsentEntry {
                    phone: phone(step)?,
                    at: when,
                    opted_out: rng.random_bool(0.5),
                    source: ConsentSource::Api,
                    campaign: None,
                };
                match store.write(move |txn| change_consent(txn, &entry)).await {
                    Ok(true) => {
                        told.consent.insert(when);
                    }
                    Ok(false) => {}
                    Err(_) => {
                        told.unsure_consent.insert(when);
                    }
                }
            }
            _ => {
                let Some((&w, &stage)) = open.iter().find(|(_, s)| **s < 2) else {
                    continue;
                };
                let kind = if stage == 0 {
                    EventKind::Accepted { agent: AGENT }
                } else {
                    EventKind::Terminated {
                        agent: Some(AGENT),
                        wrap_up: None,
                    }
                };
                let acked = match store.submit_route_step(WorkitemId(w), when, kind) {
                    Ok(pending) => matches!(pending.await, Ok(Ok(()))),
                    Err(_) => false,
                };
                if acked {
                    told.steps.insert((w, when));
                    open.insert(w, stage + 1);
                } else {
                    told.unsure_steps.insert((w, when));
                    // Its outcome is unknown: leave the workitem alone from now on.
                    open.insert(w, 2);
                }
            }
        }
    }
    for queued in inbound.drain(..) {
        queued.outcome(&mut told, &mut open, &mut sids).await;
    }
    Ok(told)
}

/// A customer's message handed in, answered once it was in the log (`logged`) or not.
struct QueuedInbound {
    body: String,
    provider_id: Option<String>,
    retry: bool,
    logged: bool,
    answer: Option<Pending<(Vec<Ingested>, Vec<InboundSms>)>>,
}

impl QueuedInbound {
    /// Waits for its outcome and records what the workload was told.
    async fn outcome(self, told: &mut Told, open: &mut BTreeMap<u64, u8>, sids: &mut Vec<String>) {
        let applied = match self.answer {
            Some(answer) => answer.await.ok().and_then(|r| r.ok()),
            None => None,
        };
        match applied {
            Some((ingested, _)) => {
                if let Some(Ingested::Stored { workitem, .. }) = ingested.first() {
                    told.messages.insert(self.body);
                    open.entry(workitem.id.0).or_insert(0);
                    sids.extend(self.provider_id);
                }
            }
            // Acknowledged, and not a retry: stored once the log is applied.
            None if self.logged && !self.retry => {
                told.messages.insert(self.body);
            }
            None => {
                if !self.retry {
                    told.unsure_messages.insert(self.body);
                }
            }
        }
    }
}

/// What a reopened store holds of the acts.
#[derive(PartialEq)]
struct Held {
    bodies: Vec<String>,
    consent: Vec<DateTime<Utc>>,
    steps: Vec<(u64, DateTime<Utc>)>,
}

/// Every message, consent change and routing step the reopened store holds, checked
/// whole: a message's workitem exists and lists it.
fn held(txn: &ReadTransaction) -> Result<Held, StoreError> {
    let mut bodies = Vec::new();
    for row in txn.open_table(MESSAGES)?.iter()? {
        let m: Message = decode("messages", row?.1.value())?;
        if !messages_of(txn, m.workitem)?.iter().any(|x| x.id == m.id) {
            // Half-applied: reported as a body no act wrote.
            bodies.push(format!("{} (not listed in its workitem)", m.body));
        }
        bodies.push(m.body);
    }
    let consent = consent_ledger_all(txn)?.iter().map(|e| e.at).collect();
    let mut steps = Vec::new();
    for row in txn.open_table(WORKITEMS)?.iter()? {
        let id = row?.0.value();
        for e in events_of(txn, WorkitemId(id))? {
            if matches!(
                e.kind,
                EventKind::Accepted { .. } | EventKind::Terminated { .. }
            ) {
                steps.push((id, e.at));
            }
        }
    }
    Ok(Held {
        bodies,
        consent,
        steps,
    })
}

fn once_each<T: Ord + Clone + std::fmt::Debug>(
    what: &str,
    found: &[T],
    acked: &BTreeSet<T>,
    unsure: &BTreeSet<T>,
) -> Result<(), String> {
    let mut counts: BTreeMap<&T, usize> = BTreeMap::new();
    for f in found {
        *counts.entry(f).or_default() += 1;
    }
    for a in acked {
        if counts.get(a).copied().unwrap_or(0) != 1 {
            return Err(format!(
                "acknowledged {what} {a:?} found {} times",
                counts.get(a).copied().unwrap_or(0)
            ));
        }
    }
    for (f, n) in counts {
        if !acked.contains(f) && !unsure.contains(f) {
            return Err(format!("{what} {f:?} was never written"));
        }
        if n > 1 {
            return Err(format!("{what} {f:?} found {n} times"));
        }
    }
    Ok(())
}

/// Opens the store on `disk` and checks it against what the workload was told.
fn check_after(disk: &SimDisk, told: &Told) -> Result<(), String> {
    let (store, writer) =
        Store::open_on(disk.file(0), Box::new(disk.file(1))).map_err(|e| format!("reopen: {e}"))?;
    let found = store.read_blocking(held);
    drop(store);
    let _ = writer.join();
    let held = found.map_err(|e| format!("read: {e}"))?;
    once_each(
        "message",
        &held.bodies,
        &told.messages,
        &told.unsure_messages,
    )?;
    once_each(
        "consent change",
        &held.consent,
        &told.consent,
        &told.unsure_consent,
    )?;
    once_each("routing step", &held.steps, &told.steps, &told.unsure_steps)
}

/// A disk holding a new store, stopped cleanly. (A store is created under another name and
/// renamed once durable, see `Store::open`, so a crash while creating it leaves no store.)
pub fn new_store_disk() -> Result<SimDisk, String> {
    let disk = SimDisk::new(2, 0);
    // redb assumes powersafe overwrite of its file (its design notes); the log must not.
    disk.without_powersafe_overwrite(1);
    let (store, writer) =
        Store::open_on(disk.file(0), Box::new(disk.file(1))).map_err(|e| e.to_string())?;
    drop(store);
    writer.join().map_err(|_| "the store writer panicked")?;
    Ok(disk)
}

/// Opens the store on `disk` and runs the acts of `seed`: what it was told, or nothing when
/// the store could not even open (applying the log, checkpointing), which loses nothing as
/// nothing was acknowledged yet.
fn run_acts(
    disk: &SimDisk,
    runtime: &tokio::runtime::Runtime,
    acts: Acts,
    check_snapshot: bool,
) -> Result<Told, String> {
    let Ok((store, writer)) = Store::open_on(disk.file(0), Box::new(disk.file(1))) else {
        return Ok(Told::default());
    };
    let told = runtime.block_on(workload(&store, acts, check_snapshot));
    drop(store);
    // A writer that panicked on a failed disk is a process that died: checked as such.
    let _ = writer.join();
    told
}

/// One trial: a store, a fault at a random call, the workload, then the checks. Returns
/// whether the fault happened.
pub fn trial(base: &SimDisk, seed: u64, runtime: &tokio::runtime::Runtime) -> Result<bool, String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let count = rng.random_range(5..60);
    let acts = Acts {
        count,
        seed: rng.random(),
        // Half the trials hold a snapshot from a random act on, as a backup does.
        snapshot_at: if rng.random_bool(0.5) {
            rng.random_range(1..=count)
        } else {
            0
        },
    };
    // The same acts without a fault, to count the calls the fault can fall on (and to check
    // the snapshot, which a fault may leave unreadable). A quarter of the faults fall on the
    // last few, where the store stops.
    let dry = base.restart(seed);
    run_acts(&dry, runtime, acts, true).map_err(|e| format!("seed {seed}, no fault: {e}"))?;
    let calls = dry.calls();
    let call = if rng.random_bool(0.25) {
        calls.saturating_sub(rng.random_range(0..8)).max(1)
    } else {
        rng.random_range(1..=calls.max(1))
    };
    let disk = base.restart(seed);
    let fault = match rng.random_range(0..4) {
        0 => Fault::FailWrite(call),
        1 => Fault::FailSync(call),
        _ => Fault::PowerLoss(call),
    };
    disk.set_fault(fault);
    let told = run_acts(&disk, runtime, acts, false)?;
    let context = |e: String| format!("seed {seed}, {fault:?}, {count} acts: {e}");
    // A process that stops (or dies) with its writes in the kernel's cache...
    if !disk.crashed() {
        check_after(&disk.restart(seed), &told).map_err(context)?;
    }
    // ... and a power loss, now or at the fault.
    let fired = disk.fault_fired();
    check_after(&disk.reboot(seed), &told).map_err(context)?;
    Ok(fired)
}

/// A trial's acts: how many, the seed they are drawn from, and the act from which a
/// snapshot is held (0: none).
#[derive(Clone, Copy)]
struct Acts {
    count: u64,
    seed: u64,
    snapshot_at: u64,
}

/// Runs trials `seeds` on one thread; returns how many faults happened, or the first trial
/// that failed.
pub fn run(seeds: std::ops::Range<u64>) -> Result<u64, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let base = new_store_disk()?;
    let mut fired = 0;
    for seed in seeds {
        fired += u64::from(trial(&base, seed, &runtime)?);
    }
    Ok(fired)
}

#[cfg(test)]
mod tests {
    #[test]
    fn acknowledged_acts_survive_any_fault_exactly_once() {
        // At least 1,000 crash points: trials go on until that many faults happened. A
        // fault that falls after the last call proves nothing, so most must happen: 1,000
        // within 1,250 trials (80 %), judged over the whole run rather than per chunk. The
        // writer's two threads interleave differently from run to run, so a trial can make
        // a few calls fewer than its dry run, and a fault aimed among the last few then
        // misses (89–91 % fired in runs on 2026-12-05 and 2026-12-06).
        let (mut trials, mut fired) = (0, 0);
        while fired < 1000 && trials < 1250 {
            fired += super::run(trials..trials + 50).unwrap_or_else(|e| panic!("{e}"));
            trials += 50;
        }
        assert!(fired >= 1000, "only {fired} of {trials} faults happened");
    }
}
