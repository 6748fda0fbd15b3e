//! The statistics aggregates of `domain::stats`, one [`Tally`] per (15-minute bucket of the
//! workitem's creation, queue, agent, campaign, direction) in [`STATS`]. The writes that create, answer, transfer
//! and end workitems update them in their own transaction (one get and one put each), so the
//! figures are exactly as durable as the workitems they count. Reports read ranges of rows
//! with [`tallies`] and sum them with [`sum_per_queue`] or [`sum_per_bucket`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableTable, Table, WriteTransaction};

use super::codec::{decode, encode, get_json};
use super::tables::StatsKey;
use super::{QUEUES, STATS, STATS_HOURLY, StoreError};
use crate::domain::stats::{NO_AGENT, NO_CAMPAIGN, Tally, bucket_of};
use crate::domain::{
    CampaignId, DEFAULT_SLA_SECS, Direction, EventKind, Queue, QueueId, UserId, Workitem,
};

mod rebuild;
pub(super) use rebuild::rebuild_if_missing;

pub(super) type StatsTable<'t> = Table<'t, StatsKey, &'static [u8]>;

/// The quarter-hour tallies and their hourly sums, updated together.
pub(super) struct StatsTables<'t> {
    quarter: StatsTable<'t>,
    hour: StatsTable<'t>,
}

impl<'t> StatsTables<'t> {
    pub(super) fn open(txn: &'t WriteTransaction) -> Result<StatsTables<'t>, StoreError> {
        Ok(StatsTables {
            quarter: txn.open_table(STATS)?,
            hour: txn.open_table(STATS_HOURLY)?,
        })
    }
}

/// The hour (Unix seconds / 3600) of a quarter-hour bucket.
fn hour_of(bucket: i64) -> i64 {
    bucket.div_euclid(4)
}

/// The key of `w`'s counts under `agent` in quarter-hour `bucket`.
fn key_of(bucket: i64, w: &Workitem, agent: Option<UserId>) -> StatsKey {
    (
        bucket,
        w.queue.0,
        agent.map_or(NO_AGENT, |a| a.0),
        w.campaign.map_or(NO_CAMPAIGN, |c| c.0),
        w.outbound,
    )
}

/// The same key in the hourly table.
fn hourly((bucket, queue, agent, campaign, outbound): StatsKey) -> StatsKey {
    (hour_of(bucket), queue, agent, campaign, outbound)
}

fn add_to(
    table: &mut StatsTable<'_>,
    key: StatsKey,
    f: impl FnOnce(&mut Tally),
) -> Result<(), StoreError> {
    let mut tally: Tally = match table.get(key)? {
        Some(v) => decode("stats", v.value())?,
        None => Tally::default(),
    };
    f(&mut tally);
    table.insert(key, encode(&tally).as_slice())?;
    Ok(())
}

/// Adds to the tally of `w`'s creation bucket, queue, campaign and direction under `agent`,
/// and to its hour's.
pub(super) fn bump(
    tables: &mut StatsTables<'_>,
    w: &Workitem,
    agent: Option<UserId>,
    f: impl Fn(&mut Tally),
) -> Result<(), StoreError> {
    let key = key_of(bucket_of(w.created_at), w, agent);
    add_to(&mut tables.quarter, key, &f)?;
    add_to(&mut tables.hour, hourly(key), &f)
}

/// A new workitem: received when a customer started it, outbound when an agent or a campaign
/// did. Conversations opened only to answer a keyword are not counted (see `Tally`).
pub(super) fn count_created(table: &mut StatsTables<'_>, w: &Workitem) -> Result<(), StoreError> {
    bump(table, w, None, |t| {
        if w.outbound {
            t.outbound += 1;
        } else {
            t.received += 1;
        }
    })
}

/// An agent's reply in `w`: the first one sets `first_reply_at` and, in a workitem the
/// customer started, counts it answered, with its first-response time from the customer's
/// first message (the workitem's creation) and whether that is within the queue's service
/// level. Outbound workitems get `first_reply_at` but no response time: the agent spoke
/// first. Returns whether `w` changed and must be stored.
pub(super) fn count_reply(
    txn: &WriteTransaction,
    w: &mut Workitem,
    agent: UserId,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if w.first_reply_at.is_some() {
        return Ok(false);
    }
    w.first_reply_at = Some(at);
    if !w.outbound {
        let sla = get_json::<Queue>(&txn.open_table(QUEUES)?, "queues", w.queue.0)?
            .map_or(DEFAULT_SLA_SECS, |q| q.sla_secs);
        let frt = (at - w.created_at).num_seconds();
        bump(&mut StatsTables::open(txn)?, w, Some(agent), |t| {
            t.answered += 1;
            if frt <= sla as i64 {
                t.answered_in_sla += 1;
            }
            t.first_response.record(frt);
        })?;
    }
    Ok(true)
}

/// A routing step about to be applied to `w` (still as it was before the step): endings
/// and transfers are counted under the agent who held it.
pub(super) fn count_step(
    txn: &WriteTransaction,
    w: &Workitem,
    at: DateTime<Utc>,
    kind: &EventKind,
) -> Result<(), StoreError> {
    match kind {
        EventKind::Terminated { agent, wrap_up } if w.state.is_open() => {
            bump(&mut StatsTables::open(txn)?, w, w.agent.or(*agent), |t| {
                count_end(t, w, at, wrap_up.as_deref());
            })
        }
        EventKind::Transferred { from, .. } => bump(
            &mut StatsTables::open(txn)?,
            w,
            w.agent.or(Some(*from)),
            |t| {
                t.transfers += 1;
            },
        ),
        _ => Ok(()),
    }
}

/// The counts of one ending, shared with the rebuild.
fn count_end(t: &mut Tally, w: &Workitem, at: DateTime<Utc>, wrap_up: Option<&str>) {
    t.terminated += 1;
    if w.first_reply_at.is_none() && !w.outbound {
        t.terminated_unanswered += 1;
    }
    if let Some(accepted) = w.accepted_at {
        t.handle_time.record((at - accepted).num_seconds());
    }
    if let Some(code) = wrap_up {
        *t.wrap_up.entry(code.to_owned()).or_default() += 1;
    }
}

/// Which rows [`tallies`] returns.
#[derive(Clone, Copy, Debug, Default)]
pub struct TallyFilter {
    pub queue: Option<QueueId>,
    /// One agent's rows; `Some(None)` for the rows of no agent (received, outbound).
    pub agent: Option<Option<UserId>>,
    pub campaign: Option<CampaignId>,
    pub direction: Option<Direction>,
}

impl TallyFilter {
    fn passes(&self, row: &TallyRow) -> bool {
        self.queue.is_none_or(|q| q == row.queue)
            && self.agent.is_none_or(|a| a == row.agent)
            && self.campaign.is_none_or(|c| Some(c) == row.campaign)
            && self
                .direction
                .is_none_or(|d| (d == Direction::Out) == row.outbound)
    }
}

/// One stored tally and its key.
#[derive(Clone, Debug, PartialEq)]
pub struct TallyRow {
    /// Unix seconds / 900 of the counted workitems' creation.
    pub bucket: i64,
    pub queue: QueueId,
    /// `None`: counts of no agent.
    pub agent: Option<UserId>,
    pub campaign: Option<CampaignId>,
    /// Counts of workitems we started (an agent's outbound SMS or a campaign).
    pub outbound: bool,
    pub tally: Tally,
}

/// The rows of buckets `from..to` (Unix seconds / 900, `to` excluded) passing `filter`, in
/// key order (bucket, queue, agent). Reads only that range: a day is at most 96 buckets
/// times the queues and agents that had work in them.
pub fn tallies(
    txn: &ReadTransaction,
    from: i64,
    to: i64,
    filter: TallyFilter,
) -> Result<Vec<TallyRow>, StoreError> {
    read_rows(txn, STATS, from, to, filter, 1)
}

/// The same as [`tallies`] from the hourly sums, for a range of whole hours: `from..to` are
/// quarter-hour buckets on hour boundaries (multiples of 4). Each row's `bucket` is its
/// hour's first quarter. A quarter of the rows of [`tallies`], for long ranges.
pub fn hourly_tallies(
    txn: &ReadTransaction,
    from: i64,
    to: i64,
    filter: TallyFilter,
) -> Result<Vec<TallyRow>, StoreError> {
    read_rows(txn, STATS_HOURLY, hour_of(from), hour_of(to), filter, 4)
}

fn read_rows(
    txn: &ReadTransaction,
    table: redb::TableDefinition<StatsKey, &[u8]>,
    from: i64,
    to: i64,
    filter: TallyFilter,
    quarters: i64,
) -> Result<Vec<TallyRow>, StoreError> {
    let mut out = Vec::new();
    if from >= to {
        return Ok(out);
    }
    let table = txn.open_table(table)?;
    for row in table.range((from, 0, 0, 0, false)..(to, 0, 0, 0, false))? {
        let (key, value) = row?;
        let (bucket, queue, agent, campaign, outbound) = key.value();
        let mut row = TallyRow {
            bucket: bucket * quarters,
            queue: QueueId(queue),
            agent: (agent != NO_AGENT).then_some(UserId(agent)),
            campaign: (campaign != NO_CAMPAIGN).then_some(CampaignId(campaign)),
            outbound,
            tally: Tally::default(),
        };
        if filter.passes(&row) {
            row.tally = decode("stats", value.value())?;
            out.push(row);
        }
    }
    Ok(out)
}

/// The rows summed per queue.
pub fn sum_per_queue(rows: &[TallyRow]) -> BTreeMap<QueueId, Tally> {
    let mut out: BTreeMap<QueueId, Tally> = BTreeMap::new();
    for r in rows {
        out.entry(r.queue).or_default().merge(&r.tally);
    }
    out
}

/// The rows summed per bucket.
pub fn sum_per_bucket(rows: &[TallyRow]) -> BTreeMap<i64, Tally> {
    let mut out: BTreeMap<i64, Tally> = BTreeMap::new();
    for r in rows {
        out.entry(r.bucket).or_default().merge(&r.tally);
    }
    out
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
