//! Predictive campaign runs: start/pause/resume/cancel, each lead's progress, and the counters
//! and per-minute chart data, all changed in the same transactions as the messages they count.
//! A lead's message and its progress are written together, so after a crash a lead is either
//! messaged once or still waiting: never twice, never lost.

use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use super::codec::{encode, get_json, next_id, put_json};
use super::consent::opted_out_in;
use super::conversations::{append_event, insert_reply};
use super::outbox::{SendOutcome, record_send};
use super::*;
use crate::domain::{
    Campaign, CampaignId, CampaignRun, ChannelPreference, DeliveryStatus, E164, EventKind, Lead,
    LeadId, LeadOutcome, LeadProgress, MessageId, MinuteCounts, RunAction, RunState, RunStats,
    SkipReason, Workitem, WorkitemId, WorkitemState, preview,
};

/// The error recorded on a campaign message withdrawn from the outbox by a cancel.
pub const CANCELLED: &str = "not sent: the campaign was cancelled";

pub fn campaign_run(txn: &ReadTransaction, id: CampaignId) -> Result<CampaignRun, StoreError> {
    Ok(get_json(&txn.open_table(CAMPAIGN_RUNS)?, "campaign_runs", id.0)?.unwrap_or_default())
}

pub fn campaign_stats(txn: &ReadTransaction, id: CampaignId) -> Result<RunStats, StoreError> {
    Ok(get_json(&txn.open_table(CAMPAIGN_STATS)?, "campaign_stats", id.0)?.unwrap_or_default())
}

/// The campaign's per-minute counts from minute `since` (Unix minutes) on, oldest first.
pub fn campaign_minutes(
    txn: &ReadTransaction,
    id: CampaignId,
    since: i64,
) -> Result<Vec<(i64, MinuteCounts)>, StoreError> {
    let mut out = Vec::new();
    for row in txn
        .open_table(CAMPAIGN_MINUTES)?
        .range((id.0, since)..=(id.0, i64::MAX))?
    {
        let (k, v) = row?;
        out.push((k.value().1, decode("campaign_minutes", v.value())?));
    }
    Ok(out)
}

/// The campaigns whose run state is Running (what the scheduler works on).
pub fn running_campaigns(
    txn: &ReadTransaction,
) -> Result<Vec<(CampaignId, CampaignRun)>, StoreError> {
    let mut out = Vec::new();
    for row in txn.open_table(CAMPAIGN_RUNS)?.iter()? {
        let (k, v) = row?;
        let run: CampaignRun = decode("campaign_runs", v.value())?;
        if run.state == RunState::Running {
            out.push((CampaignId(k.value()), run));
        }
    }
    Ok(out)
}

/// Applies a person's start/pause/resume/cancel. A cancel also withdraws the campaign's
/// messages still waiting in the outbox. The inner error says why the action is refused.
pub fn change_run(
    txn: &Txn,
    id: CampaignId,
    action: RunAction,
    now: DateTime<Utc>,
) -> Result<Result<CampaignRun, String>, StoreError> {
    let mut table = txn.open_table(CAMPAIGN_RUNS)?;
    let mut run: CampaignRun = get_json(&table, "campaign_runs", id.0)?.unwrap_or_default();
    let state = match action.apply(run.state) {
        Ok(s) => s,
        Err(why) => return Ok(Err(why)),
    };
    if action == RunAction::Start {
        run.started_at = Some(now);
    }
    run.state = state;
    run.changed_at = Some(now);
    put_json(&mut table, id.0, &run)?;
    drop(table);
    if action == RunAction::Cancel {
        withdraw_queued(txn, id, now)?;
    }
    Ok(Ok(run))
}

/// Marks a running campaign finished (every lead reached or skipped, or its end passed).
pub fn finish_run(
    txn: &WriteTransaction,
    id: CampaignId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut table = txn.open_table(CAMPAIGN_RUNS)?;
    let mut run: CampaignRun = get_json(&table, "campaign_runs", id.0)?.unwrap_or_default();
    if run.state == RunState::Running {
        run.state = RunState::Finished;
        run.changed_at = Some(now);
        put_json(&mut table, id.0, &run)?;
    }
    Ok(())
}

/// Fails the campaign's unclaimed outbox entries (the outbox holds at most a few seconds of
/// a campaign's messages, so this scan is short).
fn withdraw_queued(txn: &Txn, id: CampaignId, now: DateTime<Utc>) -> Result<(), StoreError> {
    let mut withdraw = Vec::new();
    {
        let outbox = txn.open_table(OUTBOX)?;
        let messages = txn.open_table(CAMPAIGN_MESSAGES)?;
        let leads = txn.open_table(LEADS)?;
        for row in outbox.iter()? {
            let (k, v) = row?;
            let entry: OutboxEntry = decode("outbox", v.value())?;
            if entry.claimed.is_some() {
                continue;
            }
            let Some(lead) = messages.get(k.value())?.map(|v| v.value()) else {
                continue;
            };
            if get_json::<Lead>(&leads, "leads", lead)?.is_some_and(|l| l.campaign == id) {
                withdraw.push(MessageId(k.value()));
            }
        }
    }
    for m in withdraw {
        let outcome = SendOutcome::Failed {
            error: CANCELLED.into(),
            code: None,
        };
        record_send(txn, m, &outcome, now)?;
    }
    Ok(())
}

/// The campaign's leads nobody has reached yet, in import order.
pub fn pending_leads(txn: &ReadTransaction, id: CampaignId) -> Result<Vec<Lead>, StoreError> {
    let leads = txn.open_table(LEADS)?;
    let progress = txn.open_table(LEAD_PROGRESS)?;
    let mut out = Vec::new();
    for lead in txn.open_multimap_table(CAMPAIGN_LEADS)?.get(id.0)? {
        let lead = lead?.value();
        if progress.get(lead)?.is_some() {
            continue;
        }
        if let Some(l) = get_json(&leads, "leads", lead)? {
            out.push(l);
        }
    }
    Ok(out)
}

pub fn lead_progress(
    txn: &ReadTransaction,
    id: LeadId,
) -> Result<Option<LeadProgress>, StoreError> {
    get_json(&txn.open_table(LEAD_PROGRESS)?, "lead_progress", id.0)
}

/// Records leads that get no message; leads already reached are left as they are.
pub fn skip_leads(
    txn: &WriteTransaction,
    campaign: CampaignId,
    skips: &[(LeadId, SkipReason)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut stats = stats_in(txn, campaign)?;
    {
        let mut progress = txn.open_table(LEAD_PROGRESS)?;
        for (lead, reason) in skips {
            if progress.get(lead.0)?.is_some() {
                continue;
            }
            skip_one(&mut progress, &mut stats, *lead, *reason, now)?;
        }
    }
    put_stats(txn, campaign, &stats)
}

fn skip_one(
    progress: &mut redb::Table<u64, &'static [u8]>,
    stats: &mut RunStats,
    lead: LeadId,
    reason: SkipReason,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let opted_out = reason == SkipReason::OptedOut;
    let entry = LeadProgress {
        at: now,
        outcome: LeadOutcome::Skipped(reason),
        replied: false,
        opted_out,
    };
    put_json(progress, lead.0, &entry)?;
    *stats.skipped.entry(reason.label()).or_default() += 1;
    if opted_out {
        stats.opted_out += 1;
    }
    Ok(())
}

/// One lead's message, as the scheduler composed it.
#[derive(Clone, Debug)]
pub struct LeadMessage {
    pub lead: LeadId,
    /// The campaign's number it goes out from.
    pub from: E164,
    pub body: String,
}

/// What became of one [`LeadMessage`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeadSent {
    Queued(MessageId),
    /// The number opted out: skipped, counted.
    OptedOut,
    /// Reached before (a repeat after a restart), or the lead is gone: nothing stored.
    AlreadyDone,
    /// The run changed since the scheduler read it (paused, resumed or cancelled
    /// meanwhile): nothing stored.
    Stale,
}

/// Stores each lead's message in a closed workitem of its own (so it shows in the contact's
/// history, and a reply starts a new conversation that is routed) and puts it in the outbox.
/// Only while the run the scheduler read (`run_changed_at`) still runs, and only for leads
/// not reached yet: the lead's progress is written in this same transaction.
pub fn queue_lead_messages(
    txn: &WriteTransaction,
    campaign: &Campaign,
    run_changed_at: Option<DateTime<Utc>>,
    batch: &[LeadMessage],
    now: DateTime<Utc>,
) -> Result<Vec<LeadSent>, StoreError> {
    let run: CampaignRun = get_json(
        &txn.open_table(CAMPAIGN_RUNS)?,
        "campaign_runs",
        campaign.id.0,
    )?
    .unwrap_or_default();
    if run.state != RunState::Running || run.changed_at != run_changed_at {
        return Ok(vec![LeadSent::Stale; batch.len()]);
    }
    let mut stats = stats_in(txn, campaign.id)?;
    let mut out = Vec::with_capacity(batch.len());
    for one in batch {
        out.push(queue_one(txn, campaign, one, &mut stats, now)?);
    }
    put_stats(txn, campaign.id, &stats)?;
    Ok(out)
}

fn queue_one(
    txn: &WriteTransaction,
    campaign: &Campaign,
    one: &LeadMessage,
    stats: &mut RunStats,
    now: DateTime<Utc>,
) -> Result<LeadSent, StoreError> {
    let mut progress = txn.open_table(LEAD_PROGRESS)?;
    if progress.get(one.lead.0)?.is_some() {
        return Ok(LeadSent::AlreadyDone);
    }
    let Some(lead) = get_json::<Lead>(&txn.open_table(LEADS)?, "leads", one.lead.0)? else {
        return Ok(LeadSent::AlreadyDone);
    };
    if opted_out_in(txn, &lead.phone)?.is_some() {
        skip_one(&mut progress, stats, lead.id, SkipReason::OptedOut, now)?;
        return Ok(LeadSent::OptedOut);
    }
    drop(progress);
    let queue_priority =
        get_json::<crate::domain::Queue>(&txn.open_table(QUEUES)?, "queues", campaign.queue.0)?
            .map_or(0, |q| q.priority);
    let workitem = Workitem {
        id: WorkitemId(next_id(txn, "workitem")?),
        contact: lead.contact,
        customer: lead.phone.clone(),
        our_number: one.from.clone(),
        campaign: Some(campaign.id),
        queue: campaign.queue,
        priority: queue_priority,
        state: WorkitemState::Terminated,
        agent: None,
        created_at: now,
        accepted_at: None,
        terminated_at: Some(now),
        preview: preview(&one.body),
        outbound: true,
        wrap_up: None,
        first_reply_at: None,
    };
    put_json(&mut txn.open_table(WORKITEMS)?, workitem.id.0, &workitem)?;
    super::stats::count_created(&mut super::stats::StatsTables::open(txn)?, &workitem)?;
    txn.open_multimap_table(WORKITEMS_BY_CONTACT)?
        .insert(lead.contact.0, workitem.id.0)?;
    append_event(
        txn,
        workitem.id,
        now,
        EventKind::Campaign {
            campaign: campaign.id,
        },
    )?;
    let message = insert_reply(
        txn,
        workitem.id,
        None,
        &one.body,
        now,
        DeliveryStatus::Queued,
    )?;
    put_json(
        &mut txn.open_table(OUTBOX)?,
        message.id.0,
        &OutboxEntry::new(now, Some(one.from.clone()), false),
    )?;
    record_change(txn, Change::Workitem(workitem.id))?;
    txn.open_table(CAMPAIGN_MESSAGES)?
        .insert(message.id.0, lead.id.0)?;
    put_json(
        &mut txn.open_table(LEAD_PROGRESS)?,
        lead.id.0,
        &LeadProgress {
            at: now,
            outcome: LeadOutcome::Messaged(message.id),
            replied: false,
            opted_out: false,
        },
    )?;
    stats.messaged += 1;
    stats.queued += 1;
    Ok(LeadSent::Queued(message.id))
}

/// Counts a status change of `message` when it is a campaign's (called wherever a message's
/// status changes).
pub(super) fn note_campaign_status(
    txn: &WriteTransaction,
    message: MessageId,
    from: DeliveryStatus,
    to: DeliveryStatus,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if from == to {
        return Ok(());
    }
    let Some(lead) = txn
        .open_table(CAMPAIGN_MESSAGES)?
        .get(message.0)?
        .map(|v| v.value())
    else {
        return Ok(());
    };
    let Some(lead) = get_json::<Lead>(&txn.open_table(LEADS)?, "leads", lead)? else {
        return Ok(());
    };
    let mut stats = stats_in(txn, lead.campaign)?;
    stats.status_moved(from, to);
    put_stats(txn, lead.campaign, &stats)?;
    let sent = from == DeliveryStatus::Queued
        && matches!(to, DeliveryStatus::Sent | DeliveryStatus::Delivered);
    let delivered = to == DeliveryStatus::Delivered;
    if sent || delivered {
        bump_minute(txn, lead.campaign, now, |m| {
            m.sent += u32::from(sent);
            m.delivered += u32::from(delivered);
        })?;
    }
    Ok(())
}

/// Counts a message from `from` to one of `campaign`'s numbers: the lead's first reply, or
/// its opting out by keyword. Messages from numbers that are not the campaign's leads, or
/// leads it never messaged, count nothing.
pub(super) fn note_lead_message(
    txn: &WriteTransaction,
    campaign: CampaignId,
    from: &E164,
    opted_out: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let key = format!("{campaign} {from}");
    let Some(lead) = txn
        .open_table(LEADS_BY_NUMBER)?
        .get(key.as_str())?
        .map(|v| v.value())
    else {
        return Ok(());
    };
    let mut table = txn.open_table(LEAD_PROGRESS)?;
    let Some(mut progress) = get_json::<LeadProgress>(&table, "lead_progress", lead)? else {
        return Ok(());
    };
    if !matches!(progress.outcome, LeadOutcome::Messaged(_)) {
        return Ok(());
    }
    let mut stats = stats_in(txn, campaign)?;
    let mut replied = false;
    if opted_out && !progress.opted_out {
        progress.opted_out = true;
        stats.opted_out += 1;
    } else if !opted_out && !progress.replied {
        progress.replied = true;
        stats.replied += 1;
        replied = true;
    } else {
        return Ok(());
    }
    put_json(&mut table, lead, &progress)?;
    drop(table);
    put_stats(txn, campaign, &stats)?;
    if replied {
        bump_minute(txn, campaign, now, |m| m.replied += 1)?;
    }
    Ok(())
}

/// Adds an import's refused rows, by kind, to the campaign's counters.
pub fn count_refused(
    txn: &WriteTransaction,
    campaign: CampaignId,
    refused: &[(String, u64)],
) -> Result<(), StoreError> {
    let mut stats = stats_in(txn, campaign)?;
    for (kind, n) in refused {
        *stats.refused.entry(kind.clone()).or_default() += n;
    }
    put_stats(txn, campaign, &stats)
}

/// Counts newly stored leads by channel preference.
pub(super) fn count_lead_channels(
    txn: &WriteTransaction,
    campaign: CampaignId,
    added: &[ChannelPreference],
) -> Result<(), StoreError> {
    if added.is_empty() {
        return Ok(());
    }
    let mut stats = stats_in(txn, campaign)?;
    for c in added {
        *stats.channels.entry(c.as_str().to_owned()).or_default() += 1;
    }
    put_stats(txn, campaign, &stats)
}

fn stats_in(txn: &WriteTransaction, campaign: CampaignId) -> Result<RunStats, StoreError> {
    Ok(get_json(
        &txn.open_table(CAMPAIGN_STATS)?,
        "campaign_stats",
        campaign.0,
    )?
    .unwrap_or_default())
}

fn put_stats(
    txn: &WriteTransaction,
    campaign: CampaignId,
    stats: &RunStats,
) -> Result<(), StoreError> {
    put_json(&mut txn.open_table(CAMPAIGN_STATS)?, campaign.0, stats)
}

fn bump_minute(
    txn: &WriteTransaction,
    campaign: CampaignId,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut MinuteCounts),
) -> Result<(), StoreError> {
    let key = (campaign.0, now.timestamp().div_euclid(60));
    let mut table = txn.open_table(CAMPAIGN_MINUTES)?;
    let mut counts: MinuteCounts = match table.get(key)? {
        Some(v) => decode("campaign_minutes", v.value())?,
        None => MinuteCounts::default(),
    };
    change(&mut counts);
    table.insert(key, encode(&counts).as_slice())?;
    Ok(())
}
