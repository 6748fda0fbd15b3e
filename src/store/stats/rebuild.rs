//! Fills the statistics from history once, for a data dir written before they were kept:
//! each workitem's stored events are replayed in order, counting what the live writes
//! count. Runs at store open, in the transaction that records it done (`stats_version` in
//! `META`), so a crash leaves either no figures and no marker, or both.

use std::collections::{BTreeMap, HashMap};

use redb::{ReadableMultimapTable, ReadableTable, WriteTransaction};

use super::{StatsTable, count_end, hourly, key_of};
use crate::domain::stats::{Tally, bucket_of};
use crate::domain::{Event, EventKind, Queue, Workitem, WorkitemState};
use crate::store::codec::{all_json, decode, get_json, put_json};
use crate::store::{
    EVENTS, EVENTS_BY_WORKITEM, META, QUEUES, STATS, STATS_HOURLY, StoreError, WORKITEMS,
};

const MARKER: &str = "stats_version";
/// 2: the hourly sums are kept too. 3: keyed by campaign and direction as well, in tables
/// of new names.
const VERSION: u64 = 3;
/// A table of versions 1 and 2, keyed (bucket, queue, agent).
type OldTable = redb::TableDefinition<'static, (i64, u64, u64), &'static [u8]>;
const OLD_TABLES: [OldTable; 2] = [
    redb::TableDefinition::new("stats_15min"),
    redb::TableDefinition::new("stats_hourly"),
];
/// Workitems read at a time, so a large history is not held in memory at once.
const CHUNK: usize = 1000;

type Sums = BTreeMap<crate::store::tables::StatsKey, Tally>;

/// Rebuilds the statistics unless the marker says they are kept already.
pub(in crate::store) fn rebuild_if_missing(txn: &WriteTransaction) -> Result<(), StoreError> {
    if txn.open_table(META)?.get(MARKER)?.map(|v| v.value()) == Some(VERSION) {
        return Ok(());
    }
    // Counted with fewer keys (or never): count again from the events.
    for old in OLD_TABLES {
        txn.delete_table(old)?;
    }
    txn.delete_table(STATS)?;
    txn.delete_table(STATS_HOURLY)?;
    let started = std::time::Instant::now();
    let sla: HashMap<u64, u64> = all_json::<Queue>(&txn.open_table(QUEUES)?, "queues")?
        .into_iter()
        .map(|q| (q.id.0, q.sla_secs))
        .collect();
    let mut sums = Sums::new();
    let mut after = 0u64;
    let mut workitems = 0usize;
    loop {
        let chunk: Vec<Workitem> = {
            let table = txn.open_table(WORKITEMS)?;
            let mut chunk = Vec::new();
            for row in table.range(after + 1..)?.take(CHUNK) {
                chunk.push(decode("workitems", row?.1.value())?);
            }
            chunk
        };
        let Some(last) = chunk.last() else { break };
        after = last.id.0;
        workitems += chunk.len();
        let mut changed = Vec::new();
        {
            let events = txn.open_table(EVENTS)?;
            let by_workitem = txn.open_multimap_table(EVENTS_BY_WORKITEM)?;
            for mut w in chunk {
                let mut history = Vec::new();
                for id in by_workitem.get(w.id.0)? {
                    if let Some(e) = get_json::<Event>(&events, "events", id?.value())? {
                        history.push(e);
                    }
                }
                history.sort_by_key(|e| (e.at, e.id));
                let first_reply = replay(&w, &history, &sla, &mut sums);
                if w.first_reply_at.is_none() && first_reply.is_some() {
                    w.first_reply_at = first_reply;
                    changed.push(w);
                }
            }
        }
        let mut table = txn.open_table(WORKITEMS)?;
        for w in &changed {
            put_json(&mut table, w.id.0, w)?;
        }
    }
    let mut per_hour = Sums::new();
    for (key, tally) in &sums {
        per_hour.entry(hourly(*key)).or_default().merge(tally);
    }
    for (table, rows) in [(STATS, &sums), (STATS_HOURLY, &per_hour)] {
        let mut table: StatsTable<'_> = txn.open_table(table)?;
        for (key, tally) in rows {
            table.insert(*key, crate::store::codec::encode(tally).as_slice())?;
        }
    }
    txn.open_table(META)?.insert(MARKER, VERSION)?;
    if workitems > 0 {
        tracing::info!(
            workitems,
            rows = sums.len(),
            ms = started.elapsed().as_millis() as u64,
            "statistics rebuilt from history"
        );
    }
    Ok(())
}

/// Counts one workitem's history into `sums`, following its queue and agent through the
/// events as the live writes see them; returns when an agent first wrote in it.
fn replay(
    w: &Workitem,
    history: &[Event],
    sla: &HashMap<u64, u64>,
    sums: &mut Sums,
) -> Option<chrono::DateTime<chrono::Utc>> {
    // The workitem as it was when created; the events move it on.
    let mut sim = Workitem {
        state: WorkitemState::Queued,
        agent: None,
        accepted_at: None,
        first_reply_at: None,
        ..w.clone()
    };
    let mut add = |sim: &Workitem, agent: Option<crate::domain::UserId>, f: &dyn Fn(&mut Tally)| {
        f(sums
            .entry(key_of(bucket_of(sim.created_at), sim, agent))
            .or_default());
    };
    let mut queued = false;
    for e in history {
        match &e.kind {
            EventKind::Queued { queue } if !queued => {
                queued = true;
                sim.queue = *queue;
                if !sim.outbound {
                    add(&sim, None, &|t| t.received += 1);
                }
            }
            EventKind::Started { agent } => {
                sim.agent = Some(*agent);
                sim.accepted_at = Some(e.at);
                sim.state = WorkitemState::Active;
                add(&sim, None, &|t| t.outbound += 1);
            }
            EventKind::Campaign { .. } => {
                // A campaign's message is sent from a workitem that is closed at once.
                add(&sim, None, &|t| t.outbound += 1);
                sim.state = WorkitemState::Terminated;
            }
            EventKind::Offered { agent } => sim.agent = Some(*agent),
            EventKind::Rejected { .. }
            | EventKind::TimedOut { .. }
            | EventKind::Withdrawn { .. } => sim.agent = None,
            EventKind::Accepted { agent } => {
                sim.agent = Some(*agent);
                sim.accepted_at = Some(e.at);
                sim.state = WorkitemState::Active;
            }
            EventKind::TakenOver { by, .. } => sim.agent = Some(*by),
            EventKind::MessageOut {
                agent: Some(agent), ..
            } if sim.first_reply_at.is_none() => {
                sim.first_reply_at = Some(e.at);
                if !sim.outbound {
                    let limit = sla
                        .get(&sim.queue.0)
                        .copied()
                        .unwrap_or(crate::domain::DEFAULT_SLA_SECS);
                    let frt = (e.at - sim.created_at).num_seconds();
                    add(&sim, Some(*agent), &|t| {
                        t.answered += 1;
                        if frt <= limit as i64 {
                            t.answered_in_sla += 1;
                        }
                        t.first_response.record(frt);
                    });
                }
            }
            EventKind::Transferred { from, queue, .. } => {
                add(&sim, sim.agent.or(Some(*from)), &|t| t.transfers += 1);
                sim.queue = *queue;
                sim.agent = None;
                sim.state = WorkitemState::Queued;
            }
            EventKind::Terminated { agent, wrap_up }
                if sim.state.is_open() && queued_or_out(&sim, queued) =>
            {
                let at = e.at;
                let ended = sim.clone();
                add(&sim, sim.agent.or(*agent), &|t| {
                    count_end(t, &ended, at, wrap_up.as_deref())
                });
                sim.state = WorkitemState::Terminated;
            }
            _ => {}
        }
    }
    sim.first_reply_at
}

/// Whether an ending counts: a conversation opened only to answer a keyword (never queued)
/// is not counted, as live.
fn queued_or_out(sim: &Workitem, queued: bool) -> bool {
    queued || sim.outbound
}
