//! The outbox: every outbound message waits here from the transaction that stored it until a
//! provider took it or refused it for good. A send is claimed in the store before the provider
//! is called, so a send interrupted by a crash is known at the next start and never repeated.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::campaign_runs::note_campaign_status;
use super::codec::{decode, get_json, put_json};
use super::consent::opted_out_in;
use super::*;
use crate::domain::{
    Campaign, ConsentEntry, ConsentSource, DeliveryStatus, Direction, E164, Message, MessageId,
    Workitem, carrier_code_blocks, default_send_rate,
};

/// A pending send.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    /// An automatic answer to a keyword: the one message a number that opted out still gets.
    #[serde(default)]
    pub keyword_reply: bool,
    /// Set while the provider is being called; still set at start means the send was
    /// interrupted and may or may not have reached the provider.
    #[serde(default)]
    pub claimed: Option<DateTime<Utc>>,
    /// Our number it goes out from (rate limits are per number); `None` on entries stored
    /// before this was recorded, which then read it from their workitem.
    #[serde(default)]
    pub from: Option<E164>,
}

impl OutboxEntry {
    pub fn new(at: DateTime<Utc>, from: Option<E164>, keyword_reply: bool) -> OutboxEntry {
        OutboxEntry {
            attempts: 0,
            next_attempt_at: at,
            keyword_reply,
            claimed: None,
            from,
        }
    }
}

/// Unclaimed entries due at `now`, oldest first, at most `limit`, leaving out those from the
/// numbers in `held` (their rate is used up for now).
pub fn due_outbox(
    txn: &ReadTransaction,
    now: DateTime<Utc>,
    limit: usize,
    held: &HashSet<E164>,
) -> Result<Vec<(MessageId, OutboxEntry)>, StoreError> {
    let mut out = Vec::new();
    for row in txn.open_table(OUTBOX)?.iter()? {
        let (k, v) = row?;
        let entry: OutboxEntry = decode("outbox", v.value())?;
        let is_held = entry.from.as_ref().is_some_and(|f| held.contains(f));
        if entry.claimed.is_none() && entry.next_attempt_at <= now && !is_held {
            out.push((MessageId(k.value()), entry));
            if out.len() == limit {
                break;
            }
        }
    }
    Ok(out)
}

/// The earliest time an unclaimed entry not from a `held` number falls due, if any.
pub fn next_outbox_due(
    txn: &ReadTransaction,
    held: &HashSet<E164>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let mut next: Option<DateTime<Utc>> = None;
    for row in txn.open_table(OUTBOX)?.iter()? {
        let (_, v) = row?;
        let entry: OutboxEntry = decode("outbox", v.value())?;
        if entry.claimed.is_some() || entry.from.as_ref().is_some_and(|f| held.contains(f)) {
            continue;
        }
        next = Some(next.map_or(entry.next_attempt_at, |n| n.min(entry.next_attempt_at)));
    }
    Ok(next)
}

/// How many messages wait in the outbox (in flight ones included), and when the oldest of
/// them was stored. Ids rise with time, so the oldest is the first row.
pub fn outbox_backlog(txn: &ReadTransaction) -> Result<(u64, Option<DateTime<Utc>>), StoreError> {
    let outbox = txn.open_table(OUTBOX)?;
    let waiting = outbox.len()?;
    let Some((first, _)) = outbox.first()? else {
        return Ok((waiting, None));
    };
    let oldest: Option<Message> = get_json(&txn.open_table(MESSAGES)?, "messages", first.value())?;
    Ok((waiting, oldest.map(|m| m.at)))
}

/// Everything the sender needs to hand one message to a provider.
#[derive(Clone, Debug)]
pub struct PreparedSend {
    pub message: Message,
    pub workitem: Workitem,
    /// Messages per second allowed on `workitem.our_number`.
    pub rate: f64,
    /// The provider the number's campaign sends through (`None`: the server's default).
    pub provider: Option<String>,
}

/// Reads the message, its workitem and its number's rate; `None` if the message is gone.
pub fn prepare_send(
    txn: &ReadTransaction,
    id: MessageId,
) -> Result<Option<PreparedSend>, StoreError> {
    let Some(message) = get_json::<Message>(&txn.open_table(MESSAGES)?, "messages", id.0)? else {
        return Ok(None);
    };
    let Some(workitem) =
        get_json::<Workitem>(&txn.open_table(WORKITEMS)?, "workitems", message.workitem.0)?
    else {
        return Ok(None);
    };
    let owner = txn
        .open_table(CAMPAIGN_NUMBERS)?
        .get(workitem.our_number.as_str())?
        .map(|v| v.value());
    let campaign = match owner {
        Some(id) => get_json::<Campaign>(&txn.open_table(CAMPAIGNS)?, "campaigns", id)?,
        None => None,
    };
    Ok(Some(PreparedSend {
        message,
        workitem,
        rate: campaign
            .as_ref()
            .map_or_else(default_send_rate, |c| c.send_rate),
        provider: campaign.and_then(|c| c.provider),
    }))
}

/// What claiming a send found.
#[derive(Debug)]
pub enum Claim {
    /// Claimed: call the provider, then [`record_send`].
    Go,
    /// The number opted out since the message was queued: recorded as failed, not sent.
    OptedOut(Message),
    /// Already sent, claimed or gone.
    Skip,
}

/// Marks a send as in flight, after checking (in the same transaction) that the recipient
/// has not opted out since the message was queued.
pub fn claim_send(
    txn: &Txn,
    id: MessageId,
    to: &E164,
    now: DateTime<Utc>,
) -> Result<Claim, StoreError> {
    let mut outbox = txn.open_table(OUTBOX)?;
    let Some(mut entry) = get_json::<OutboxEntry>(&outbox, "outbox", id.0)? else {
        return Ok(Claim::Skip);
    };
    if entry.claimed.is_some() {
        return Ok(Claim::Skip);
    }
    if !entry.keyword_reply && opted_out_in(txn, to)?.is_some() {
        drop(outbox);
        let failed = record_send(
            txn,
            id,
            &SendOutcome::Failed {
                error: OPTED_OUT.into(),
                code: None,
            },
            now,
        )?;
        return Ok(failed.map_or(Claim::Skip, Claim::OptedOut));
    }
    entry.claimed = Some(now);
    put_json(&mut outbox, id.0, &entry)?;
    Ok(Claim::Go)
}

/// The error recorded on a message not sent because its recipient opted out.
pub const OPTED_OUT: &str = "not sent: the customer opted out of messages";
/// The error recorded on a send a crash interrupted.
pub const INTERRUPTED: &str =
    "interrupted while sending; not sent again so the customer cannot get it twice";

/// Ends every send a crash left claimed: each is recorded as failed (it may have reached the
/// provider, so sending it again could deliver it twice). Run once at start.
pub fn fail_interrupted_sends(txn: &Txn, now: DateTime<Utc>) -> Result<Vec<Message>, StoreError> {
    let claimed: Vec<MessageId> = {
        let outbox = txn.open_table(OUTBOX)?;
        let mut ids = Vec::new();
        for row in outbox.iter()? {
            let (k, v) = row?;
            if decode::<OutboxEntry>("outbox", v.value())?
                .claimed
                .is_some()
            {
                ids.push(MessageId(k.value()));
            }
        }
        ids
    };
    let mut failed = Vec::new();
    for id in claimed {
        let outcome = SendOutcome::Failed {
            error: INTERRUPTED.into(),
            code: None,
        };
        failed.extend(record_send(txn, id, &outcome, now)?);
    }
    Ok(failed)
}

/// What happened to one send attempt.
#[derive(Clone, Debug)]
pub enum SendOutcome {
    Sent {
        provider: &'static str,
        provider_id: String,
        status: DeliveryStatus,
    },
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    Failed {
        error: String,
        /// The provider's error code, when it gave one.
        code: Option<String>,
    },
}

/// Records a send attempt: leaves the outbox on success or permanent failure. A carrier code
/// meaning the recipient opted out or cannot be reached opts the number out in the ledger.
pub fn record_send(
    txn: &Txn,
    id: MessageId,
    outcome: &SendOutcome,
    now: DateTime<Utc>,
) -> Result<Option<Message>, StoreError> {
    let mut outbox = txn.open_table(OUTBOX)?;
    let entry = get_json::<OutboxEntry>(&outbox, "outbox", id.0)?;
    match (outcome, entry) {
        (SendOutcome::Retry { at, .. }, Some(mut entry)) => {
            entry.attempts += 1;
            entry.next_attempt_at = *at;
            entry.claimed = None;
            put_json(&mut outbox, id.0, &entry)?;
        }
        _ => {
            outbox.remove(id.0)?;
        }
    }
    drop(outbox);
    let mut messages = txn.open_table(MESSAGES)?;
    let Some(mut m): Option<Message> = get_json(&messages, "messages", id.0)? else {
        return Ok(None);
    };
    let before = m.status;
    match outcome {
        SendOutcome::Sent {
            provider,
            provider_id,
            status,
        } => {
            // A status callback may have raced ahead of us; never move a status backwards.
            if m.status == DeliveryStatus::Queued {
                m.status = *status;
            }
            m.error = None;
            m.provider_id = Some(provider_id.clone());
            txn.record_provider_id(provider, provider_id, id)?;
        }
        SendOutcome::Retry { error, .. } => m.error = Some(error.clone()),
        SendOutcome::Failed { error, .. } => {
            m.status = DeliveryStatus::Failed;
            m.error = Some(error.clone());
        }
    }
    put_json(&mut messages, id.0, &m)?;
    drop(messages);
    note_campaign_status(txn, id, before, m.status, now)?;
    if let SendOutcome::Failed {
        code: Some(code), ..
    } = outcome
    {
        opt_out_on_carrier_code(txn, &m, code, now)?;
    }
    Ok(Some(m))
}

/// A carrier code that means "opted out" or "unreachable" (see [`carrier_code_blocks`])
/// opts the recipient out, with the code in the ledger.
pub(super) fn opt_out_on_carrier_code(
    txn: &WriteTransaction,
    message: &Message,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if !carrier_code_blocks(code) {
        return Ok(());
    }
    let Some(w) =
        get_json::<Workitem>(&txn.open_table(WORKITEMS)?, "workitems", message.workitem.0)?
    else {
        return Ok(());
    };
    let entry = ConsentEntry {
        phone: w.customer,
        at: now,
        opted_out: true,
        source: ConsentSource::Carrier {
            code: code.trim().to_owned(),
        },
        campaign: w.campaign,
    };
    change_consent(txn, &entry)?;
    Ok(())
}

/// Applies a provider's delivery report to the message it sent; an error code meaning the
/// recipient opted out or cannot be reached also opts the number out.
pub fn record_delivery_status(
    txn: &Txn,
    provider: &str,
    provider_id: &str,
    status: DeliveryStatus,
    error: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<Message>, StoreError> {
    let Some(MessageId(id)) = txn.provider_message(provider, provider_id)? else {
        return Ok(None);
    };
    let mut messages = txn.open_table(MESSAGES)?;
    let Some(mut m): Option<Message> = get_json(&messages, "messages", id)? else {
        return Ok(None);
    };
    if m.direction != Direction::Out {
        return Ok(Some(m));
    }
    let before = m.status;
    m.status = status;
    if error.is_some() {
        m.error = error.clone();
    }
    put_json(&mut messages, id, &m)?;
    drop(messages);
    note_campaign_status(txn, m.id, before, status, now)?;
    if let Some(code) = &error {
        opt_out_on_carrier_code(txn, &m, code, now)?;
    }
    Ok(Some(m))
}
