//! Workitems, their messages and events, and the outbox: the transactions of the core loop.

use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use super::codec::{get_json, next_id, put_json};
use super::*;
use crate::domain::{
    DeliveryStatus, Direction, E164, Event, EventId, EventKind, Message, MessageId, UserId,
    Workitem, WorkitemId, WorkitemState, segments,
};

pub(super) fn open_key(customer: &E164, our_number: &E164) -> String {
    format!("{customer} {our_number}")
}

fn insert_message(txn: &WriteTransaction, message: &Message) -> Result<(), StoreError> {
    put_json(&mut txn.open_table(MESSAGES)?, message.id.0, message)?;
    txn.open_multimap_table(MESSAGES_BY_WORKITEM)?
        .insert(message.workitem.0, message.id.0)?;
    record_change(txn, Change::Message(message.id))?;
    Ok(())
}

pub fn append_event(
    txn: &WriteTransaction,
    workitem: WorkitemId,
    at: DateTime<Utc>,
    kind: EventKind,
) -> Result<Event, StoreError> {
    let id = next_id(txn, "event")?;
    let event = Event {
        id: Some(EventId(id)),
        workitem,
        at,
        kind,
    };
    put_json(&mut txn.open_table(EVENTS)?, id, &event)?;
    txn.open_multimap_table(EVENTS_BY_WORKITEM)?
        .insert(workitem.0, id)?;
    Ok(event)
}

/// Applies a routing step to a stored workitem and records its event. Returns `None` when the
/// workitem does not exist.
pub fn route_step(
    txn: &WriteTransaction,
    id: WorkitemId,
    at: DateTime<Utc>,
    kind: EventKind,
) -> Result<Option<Workitem>, StoreError> {
    let mut table = txn.open_table(WORKITEMS)?;
    let Some(mut w): Option<Workitem> = get_json(&table, "workitems", id.0)? else {
        return Ok(None);
    };
    stats::count_step(txn, &w, at, &kind)?;
    match &kind {
        EventKind::Queued { .. } => {}
        EventKind::Offered { agent } => {
            w.state = WorkitemState::Offered;
            w.agent = Some(*agent);
        }
        EventKind::Rejected { .. } | EventKind::TimedOut { .. } | EventKind::Withdrawn { .. } => {
            w.state = WorkitemState::Queued;
            w.agent = None;
        }
        EventKind::Accepted { agent } => {
            w.state = WorkitemState::Active;
            w.agent = Some(*agent);
            w.accepted_at = Some(at);
            // Its messages are indexed with the agent who handles it.
            record_change(txn, Change::Workitem(id))?;
        }
        EventKind::Terminated { wrap_up, .. } => {
            w.state = WorkitemState::Terminated;
            w.terminated_at = Some(at);
            w.wrap_up = wrap_up.clone();
            if w.wrap_up.is_some() {
                // Its messages are found by their wrap-up code.
                record_change(txn, Change::Workitem(id))?;
            }
            txn.open_table(OPEN_WORKITEMS)?
                .remove(open_key(&w.customer, &w.our_number).as_str())?;
        }
        EventKind::Transferred { queue, .. } => {
            w.state = WorkitemState::Queued;
            w.agent = None;
            w.queue = *queue;
        }
        EventKind::TakenOver { by, .. } => {
            w.agent = Some(*by);
            record_change(txn, Change::Workitem(id))?;
        }
        EventKind::MessageIn { .. }
        | EventKind::MessageOut { .. }
        | EventKind::Started { .. }
        | EventKind::Campaign { .. }
        | EventKind::Keyword { .. }
        | EventKind::Whisper { .. } => {}
    }
    put_json(&mut table, id.0, &w)?;
    append_event(txn, id, at, kind)?;
    Ok(Some(w))
}

/// Stores an agent's reply and puts it in the outbox, in one transaction.
pub fn insert_outbound(
    txn: &WriteTransaction,
    workitem: WorkitemId,
    agent: UserId,
    body: &str,
    at: DateTime<Utc>,
) -> Result<Message, StoreError> {
    let message = insert_reply(txn, workitem, Some(agent), body, at, DeliveryStatus::Queued)?;
    let from = get_json::<Workitem>(&txn.open_table(WORKITEMS)?, "workitems", workitem.0)?
        .map(|w| w.our_number);
    put_json(
        &mut txn.open_table(OUTBOX)?,
        message.id.0,
        &OutboxEntry::new(at, from, false),
    )?;
    Ok(message)
}

/// Records a reply that was delivered long ago (demo history, imports): stored like any
/// reply, but never sent.
pub fn insert_past_reply(
    txn: &WriteTransaction,
    workitem: WorkitemId,
    agent: UserId,
    body: &str,
    at: DateTime<Utc>,
) -> Result<Message, StoreError> {
    insert_reply(
        txn,
        workitem,
        Some(agent),
        body,
        at,
        DeliveryStatus::Delivered,
    )
}

/// Stores an outgoing message (`agent`: `None` for one Parley sends on its own).
pub(super) fn insert_reply(
    txn: &WriteTransaction,
    workitem: WorkitemId,
    agent: Option<UserId>,
    body: &str,
    at: DateTime<Utc>,
    status: DeliveryStatus,
) -> Result<Message, StoreError> {
    let size = segments::count(body);
    let message = Message {
        id: MessageId(next_id(txn, "message")?),
        workitem,
        direction: Direction::Out,
        body: body.to_owned(),
        at,
        agent,
        status,
        provider_id: None,
        error: None,
        segments: size.segments,
        encoding: Some(size.encoding),
    };
    insert_message(txn, &message)?;
    if let Some(agent) = agent {
        let mut workitems = txn.open_table(WORKITEMS)?;
        if let Some(mut w) = get_json::<Workitem>(&workitems, "workitems", workitem.0)?
            && stats::count_reply(txn, &mut w, agent, at)?
        {
            put_json(&mut workitems, w.id.0, &w)?;
        }
    }
    append_event(
        txn,
        workitem,
        at,
        EventKind::MessageOut {
            message: message.id,
            agent,
        },
    )?;
    Ok(message)
}

pub fn workitem(txn: &ReadTransaction, id: WorkitemId) -> Result<Option<Workitem>, StoreError> {
    get_json(&txn.open_table(WORKITEMS)?, "workitems", id.0)
}

/// Every workitem that is not terminated: what the ACD rebuilds its state from.
pub fn open_workitems(txn: &ReadTransaction) -> Result<Vec<Workitem>, StoreError> {
    let table = txn.open_table(WORKITEMS)?;
    let mut out = Vec::new();
    for row in txn.open_table(OPEN_WORKITEMS)?.iter()? {
        let (_, id) = row?;
        if let Some(w) = get_json::<Workitem>(&table, "workitems", id.value())? {
            out.push(w);
        }
    }
    out.sort_by_key(|w| w.id);
    Ok(out)
}

pub fn messages_of(txn: &ReadTransaction, id: WorkitemId) -> Result<Vec<Message>, StoreError> {
    let table = txn.open_table(MESSAGES)?;
    let mut out = Vec::new();
    for mid in txn.open_multimap_table(MESSAGES_BY_WORKITEM)?.get(id.0)? {
        if let Some(m) = get_json(&table, "messages", mid?.value())? {
            out.push(m);
        }
    }
    Ok(out)
}

/// A workitem's events, oldest first. A customer message is an event read from the message
/// itself: storing an event as well would write every inbound message twice on the busiest
/// path. (Older data dirs hold such events; they are skipped so none shows twice.)
pub fn events_of(txn: &ReadTransaction, id: WorkitemId) -> Result<Vec<Event>, StoreError> {
    let table = txn.open_table(EVENTS)?;
    let mut out = Vec::new();
    for eid in txn.open_multimap_table(EVENTS_BY_WORKITEM)?.get(id.0)? {
        if let Some(e) = get_json::<Event>(&table, "events", eid?.value())?
            && !matches!(e.kind, EventKind::MessageIn { .. })
        {
            out.push(e);
        }
    }
    out.extend(
        messages_of(txn, id)?
            .into_iter()
            .filter(|m| m.direction == Direction::In)
            .map(|m| Event {
                id: None,
                workitem: id,
                at: m.at,
                kind: EventKind::MessageIn { message: m.id },
            }),
    );
    // Stable: stored events keep their order. At one instant a conversation opens, then
    // its message arrives, then whatever that message caused.
    out.sort_by_key(|e| {
        let rank = match e.kind {
            EventKind::Queued { .. } | EventKind::Started { .. } | EventKind::Campaign { .. } => 0,
            EventKind::MessageIn { .. } => 1,
            _ => 2,
        };
        (e.at, rank)
    });
    Ok(out)
}

/// Every message exchanged with one customer, oldest first (the simulator's phone screen).
pub fn messages_with(
    txn: &ReadTransaction,
    customer: &E164,
) -> Result<Vec<(Workitem, Message)>, StoreError> {
    let Some(contact) = super::directory::contact_by_phone(txn, customer)? else {
        return Ok(Vec::new());
    };
    let workitems = txn.open_table(WORKITEMS)?;
    let mut out = Vec::new();
    for wid in txn
        .open_multimap_table(WORKITEMS_BY_CONTACT)?
        .get(contact.id.0)?
    {
        let Some(w) = get_json::<Workitem>(&workitems, "workitems", wid?.value())? else {
            continue;
        };
        for m in messages_of(txn, w.id)? {
            out.push((w.clone(), m));
        }
    }
    out.sort_by_key(|(_, m)| m.id);
    Ok(out)
}

pub fn message(txn: &ReadTransaction, id: MessageId) -> Result<Option<Message>, StoreError> {
    get_json(&txn.open_table(MESSAGES)?, "messages", id.0)
}

#[cfg(test)]
#[path = "conversations_tests.rs"]
mod tests;
