//! Fills a data dir with generated conversations straight through the store (no HTTP), and
//! caches it under `target/bench-data/` so later runs skip the fill.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Duration as Span, TimeZone as _, Utc};
use parley::domain::{
    CampaignKind, ContactId, E164, EventKind, Note, NoteId, QueueId, Role, UserId, WorkitemId,
};
use parley::store::{InboundSms, Ingested, Pending, Store, StoreError};

use super::corpus::{Rng, TOPICS, Vocabulary};
use crate::common::{PASSWORD, Res, say};

/// The instant the generated history ends; every run generates the same data.
pub fn history_end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Days of history before [`history_end`].
pub const HISTORY_DAYS: i64 = 400;
/// The admin the bench logs in as.
pub const ADMIN: &str = "benchadmin";
/// Agents writing the replies (each serves one of the queues).
const AGENTS: usize = 48;
/// Messages per store write.
const BATCH_MESSAGES: usize = 1000;
/// Bump when the generator's output, or what the store keeps as it is filled, changes, so
/// cached data dirs are rebuilt (2: statistics with their hourly sums; 3: statistics keyed
/// by campaign and direction too).
const FORMAT: u32 = 3;
/// Our numbers and the queue each campaign routes to; live webhooks go to the first.
pub const LINES: [(&str, &str, &str); 3] = [
    ("Support line", "+14155550100", "Support"),
    ("Billing line", "+14155550101", "Billing"),
    ("Sales line", "+14155550102", "Sales"),
];

#[derive(Clone, Copy)]
pub struct Plan {
    pub messages: u64,
    pub contacts: u64,
    pub seed: u64,
    /// Whether every message carries a provider's message id, as Twilio's do (inbound: the
    /// webhook's `MessageSid`; replies: the id the provider answered with).
    pub provider_ids: bool,
}

/// The cache folder of a plan, and the pristine data dir inside it.
pub fn cache_dir(plan: &Plan) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-data").join(format!(
        "search-{}-{}{}",
        plan.messages,
        plan.seed,
        if plan.provider_ids { "-ids" } else { "" }
    ))
}

/// Makes sure the cached data dir for `plan` is complete (filling it if not); returns its path
/// and whether it was reused.
pub async fn ensure_filled(plan: Plan, numbers: &[String]) -> Res<(PathBuf, bool)> {
    let dir = cache_dir(&plan).join("store");
    let marker = cache_dir(&plan).join("COMPLETE");
    let expected = marker_text(&plan);
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == expected) {
        return Ok((dir, true));
    }
    if dir.exists() {
        say(&format!(
            "discarding the incomplete or outdated {}",
            dir.display()
        ));
        std::fs::remove_dir_all(&dir)?;
    }
    let _ = std::fs::remove_file(&marker);
    std::fs::create_dir_all(&dir)?;
    let (store, writer) = Store::open(&dir.join(parley::DB_FILE))?;
    let cast = cast(&store).await?;
    let numbers = numbers.to_vec();
    let filler = store.clone();
    tokio::task::spawn_blocking(move || fill(&filler, plan, &numbers, &cast)).await??;
    drop(store);
    tokio::task::spawn_blocking(move || writer.join())
        .await?
        .map_err(|_| "the store writer panicked")?;
    std::fs::write(&marker, expected)?;
    Ok((dir, false))
}

/// What the marker holds: the plan and a fingerprint of the generator, so a changed generator
/// never reuses stale data.
fn marker_text(plan: &Plan) -> String {
    let vocab = Vocabulary::new();
    let mut rng = Rng::new(plan.seed);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a
    for i in 0..2000 {
        for b in vocab
            .message(&mut rng, i % TOPICS.len(), i % 2 == 0)
            .bytes()
        {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!(
        "format {FORMAT}\nmessages {}\ncontacts {}\nseed {}\n{}generator {hash:016x}\n",
        plan.messages,
        plan.contacts,
        plan.seed,
        if plan.provider_ids {
            "provider ids\n"
        } else {
            ""
        }
    )
}

/// The users, queues and campaigns the conversations refer to.
struct Cast {
    /// Per line: our number, and the agents serving its queue (id, display name).
    lines: Vec<(E164, Vec<(UserId, String)>)>,
}

async fn cast(store: &Store) -> Res<Cast> {
    parley::bootstrap::add_user(store, ADMIN, "Bench Admin", Role::Admin, PASSWORD).await?;
    let first = parley::bootstrap::ensure_default_queue(store).await?;
    let mut lines = Vec::new();
    for (k, (campaign, number, queue)) in LINES.iter().enumerate() {
        let number = E164::parse(number)?;
        let (campaign, queue_name) = ((*campaign).to_owned(), (*queue).to_owned());
        let n = number.clone();
        let created = store
            .write(move |txn| {
                let queue = if k == 0 {
                    first
                } else {
                    parley::store::insert_queue(txn, &queue_name, 0, 20)?.id
                };
                parley::store::insert_campaign(
                    txn,
                    &campaign,
                    CampaignKind::Inbound,
                    queue,
                    vec![n],
                )
                .map(|c| (queue, c))
            })
            .await?;
        let queue: QueueId = match created {
            (q, parley::store::NewCampaign::Created(_)) => q,
            (_, parley::store::NewCampaign::NumberTaken(n)) => {
                return Err(format!("{n} already belongs to a campaign").into());
            }
        };
        let mut agents = Vec::new();
        for a in (k..AGENTS).step_by(LINES.len()) {
            let name = format!("agent{a:02}");
            let display = format!("Agent {a:02}");
            let user =
                parley::bootstrap::add_user(store, &name, &display, Role::Agent, PASSWORD).await?;
            let settings = parley::domain::AgentSettings {
                queues: vec![queue],
                ..Default::default()
            };
            store
                .write(move |txn| parley::store::put_agent_settings(txn, user.id, &settings))
                .await?;
            agents.push((user.id, display));
        }
        lines.push((number, agents));
    }
    Ok(Cast { lines })
}

/// One generated conversation, ready to write.
struct Conversation {
    from: E164,
    line: usize,
    agent: (UserId, String),
    /// (customer?, text, time) in order.
    messages: Vec<(bool, String, DateTime<Utc>)>,
    /// Each message's provider id, when the plan has them.
    sids: Vec<String>,
    accepted_at: DateTime<Utc>,
    note: Option<(String, DateTime<Utc>)>,
    terminated_at: DateTime<Utc>,
}

/// Messages per conversation: 1–10, mostly 3–6.
const LENGTHS: [(usize, f64); 10] = [
    (1, 0.05),
    (2, 0.10),
    (3, 0.15),
    (4, 0.18),
    (5, 0.15),
    (6, 0.12),
    (7, 0.09),
    (8, 0.07),
    (9, 0.05),
    (10, 0.04),
];

fn conversation_length(rng: &mut Rng) -> usize {
    let mut x = rng.unit();
    for (n, p) in LENGTHS {
        if x < p {
            return n;
        }
        x -= p;
    }
    10
}

/// The fill itself, on a blocking thread: generates batches and keeps two writes in flight
/// so generation overlaps the store's commits.
fn fill(store: &Store, plan: Plan, numbers: &[String], cast: &Cast) -> Res<()> {
    let vocab = Vocabulary::new();
    let mut rng = Rng::new(plan.seed);
    let contacts = plan.contacts.min(numbers.len() as u64);
    let phones = numbers[..contacts as usize]
        .iter()
        .map(|n| E164::parse(n))
        .collect::<Result<Vec<_>, _>>()?;
    // A stride coprime to the contact count visits every contact once in the first pass.
    let stride = (7919..).find(|s| gcd(*s, contacts) == 1).unwrap_or(1);
    let start = history_end() - Span::days(HISTORY_DAYS);
    let (mut written, mut conversations, mut notes) = (0u64, 0u64, 0u64);
    let mut in_flight: VecDeque<Pending<()>> = VecDeque::new();
    // Its own generator, so the history is the same with or without provider ids.
    let mut sid_rng = Rng::new(plan.seed ^ 0x5349_4453);
    let t0 = Instant::now();
    let mut last_report = Instant::now();
    while written < plan.messages {
        let mut batch = Vec::new();
        let mut batch_messages = 0;
        while batch_messages < BATCH_MESSAGES && written < plan.messages {
            let contact = if conversations < contacts {
                (conversations * stride) % contacts
            } else {
                // Some customers text far more often than others.
                let u = rng.unit();
                ((contacts as f64) * u * u) as u64
            };
            // Conversations start in order over the history, 08:00–20:00 UTC each day, so
            // ids grow with time as they would in production.
            let p = written as f64 / plan.messages as f64 * HISTORY_DAYS as f64;
            let day_start = start + Span::days(p.floor() as i64);
            let at = day_start + Span::seconds(8 * 3600 + (p.fract() * 12.0 * 3600.0) as i64);
            let remaining = (plan.messages - written) as usize;
            let mut c = conversation(
                &vocab,
                &mut rng,
                cast,
                &phones[contact as usize],
                at,
                remaining,
            );
            if plan.provider_ids {
                c.sids = (0..c.messages.len())
                    .map(|_| format!("SM{:016x}{:016x}", sid_rng.next_u64(), sid_rng.next_u64()))
                    .collect();
            }
            batch_messages += c.messages.len();
            written += c.messages.len() as u64;
            notes += u64::from(c.note.is_some());
            conversations += 1;
            batch.push(c);
        }
        let ours: Vec<E164> = cast.lines.iter().map(|l| l.0.clone()).collect();
        in_flight.push_back(store.submit(move |txn| write_batch(txn, &batch, &ours))?);
        if in_flight.len() > 2
            && let Some(p) = in_flight.pop_front()
        {
            p.blocking_recv().map_err(|_| StoreError::Closed)??;
        }
        if last_report.elapsed().as_secs() >= 5 || written == plan.messages {
            last_report = Instant::now();
            let secs = t0.elapsed().as_secs_f64();
            say(&format!(
                "    {written} of {} messages ({:.0}%), {conversations} conversations, {notes} notes, {:.0} msg/s",
                plan.messages,
                written as f64 * 100.0 / plan.messages as f64,
                written as f64 / secs.max(1e-9)
            ));
        }
    }
    for p in in_flight {
        p.blocking_recv().map_err(|_| StoreError::Closed)??;
    }
    say(&format!(
        "    filled {written} messages in {conversations} conversations ({notes} notes) in {:.0} s",
        t0.elapsed().as_secs_f64()
    ));
    Ok(())
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn conversation(
    vocab: &Vocabulary,
    rng: &mut Rng,
    cast: &Cast,
    from: &E164,
    start: DateTime<Utc>,
    remaining: usize,
) -> Conversation {
    let topic = vocab.topic(rng);
    let line = match TOPICS[topic].name {
        "refund" | "billing" => 1,
        "product" => 2,
        _ => 0,
    };
    let agent = rng.pick(&cast.lines[line].1).clone();
    let n = conversation_length(rng).min(remaining);
    let mut at = start;
    let mut customer = true;
    let mut messages = Vec::with_capacity(n);
    let mut accepted_at = start + Span::seconds(rng.between(5, 90) as i64);
    for k in 0..n {
        if k > 0 {
            // Customers take longer to answer than agents; sometimes one side sends twice.
            let gap = if customer {
                rng.between(20, 1200)
            } else {
                rng.between(10, 180)
            };
            at += Span::seconds(gap as i64);
            if k == 1 && !customer {
                accepted_at = at - Span::seconds(rng.between(1, 9) as i64);
            }
        }
        messages.push((customer, vocab.message(rng, topic, customer), at));
        customer = if rng.chance(0.25) {
            customer
        } else {
            !customer
        };
    }
    accepted_at = accepted_at.min(messages.get(1).map_or(accepted_at, |m| m.2));
    let note = rng.chance(0.15).then(|| {
        let text = format!("Note: {}", vocab.message(rng, topic, false));
        (text, at + Span::seconds(rng.between(5, 120) as i64))
    });
    let terminated_at = at + Span::seconds(rng.between(60, 900) as i64);
    Conversation {
        from: from.clone(),
        line,
        agent,
        messages,
        sids: Vec::new(),
        accepted_at,
        note,
        terminated_at,
    }
}

/// Writes whole conversations: each opens, is accepted, gets its replies (whose outbox rows
/// are removed at once, so the server never sends history), maybe a note, and is terminated.
fn write_batch(
    txn: &parley::store::Txn,
    batch: &[Conversation],
    lines: &[E164],
) -> Result<(), StoreError> {
    for c in batch {
        let (agent, agent_name) = (&c.agent.0, &c.agent.1);
        let mut workitem: Option<(WorkitemId, ContactId)> = None;
        let mut accepted = false;
        for (k, (customer, text, at)) in c.messages.iter().enumerate() {
            let sid = c.sids.get(k);
            if *customer {
                let sms = InboundSms {
                    provider: "twilio",
                    provider_id: sid.cloned(),
                    from: c.from.clone(),
                    to: lines[c.line].clone(),
                    body: text.clone(),
                    received_at: *at,
                };
                for ingested in parley::store::ingest_many(txn, std::slice::from_ref(&sms))? {
                    if let Ingested::Stored { workitem: w, .. } = ingested {
                        workitem.get_or_insert((w.id, w.contact));
                    }
                }
                continue;
            }
            let Some((id, _)) = workitem else {
                continue; // an agent never writes first in generated history
            };
            if !accepted {
                let kind = EventKind::Accepted { agent: *agent };
                parley::store::route_step(txn, id, c.accepted_at, kind)?;
                accepted = true;
            }
            let sent = parley::store::insert_outbound(txn, id, *agent, text, *at)?;
            txn.open_table(parley::store::OUTBOX)?.remove(sent.id.0)?;
            if let Some(sid) = sid {
                txn.record_provider_id("twilio", sid, sent.id)?;
            }
        }
        let Some((id, contact)) = workitem else {
            continue;
        };
        if let Some((body, at)) = &c.note {
            let note = Note {
                id: NoteId(0),
                contact,
                workitem: Some(id),
                author: *agent,
                author_name: agent_name.clone(),
                body: body.clone(),
                at: *at,
            };
            parley::store::add_note(txn, note)?;
        }
        let agent = if accepted { Some(*agent) } else { None };
        parley::store::route_step(
            txn,
            id,
            c.terminated_at,
            EventKind::Terminated {
                agent,
                wrap_up: None,
            },
        )?;
    }
    // A store that grew with Parley running holds no change log for its history: the
    // indexer prunes it as it goes (and the index is rebuilt from the records anyway).
    parley::store::prune_changes(txn, u64::MAX)?;
    Ok(())
}

/// North American numbers in the NPA-555 exchange (the fictional 555-01XX block first within
/// each area), each checked to normalise to itself; none is ever texted.
pub fn customer_numbers(count: usize) -> Res<Vec<String>> {
    let mut out = Vec::with_capacity(count);
    'areas: for area in 201..=999u32 {
        for k in 0..10_000u32 {
            if out.len() == count {
                break 'areas;
            }
            let line = (k + 100) % 10_000; // 0100–0199 first
            let n = format!("+1{area}555{line:04}");
            if E164::parse(&n).is_ok_and(|p| p.as_str() == n) {
                out.push(n);
            }
        }
    }
    if out.len() < count {
        return Err(format!("only {} customer numbers available", out.len()).into());
    }
    Ok(out)
}
