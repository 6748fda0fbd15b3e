//! Outbound SMS an agent starts: one transaction checks consent and the conversation already
//! open on that number, then stores an active workitem owned by the agent with the message in
//! the outbox.

use chrono::{DateTime, Utc};
use redb::{ReadableMultimapTable, ReadableTable, WriteTransaction};

use super::codec::{get_json, next_id, put_json};
use super::consent::opted_out_in;
use super::conversations::{append_event, insert_outbound, open_key};
use super::*;
use crate::domain::{
    Campaign, Consent, Contact, E164, EventKind, Message, UserId, Workitem, WorkitemId,
    WorkitemState, preview,
};

/// Why an outbound SMS was not stored.
#[derive(Clone, Debug)]
pub enum OutboundRefusal {
    /// The customer opted out of messages.
    OptedOut(Consent),
    /// The customer already has an open conversation on that number that is not this
    /// agent's: waiting in a queue, offered, or with another agent.
    Busy(Workitem),
    /// The campaign owns no number to send from.
    NoNumber,
}

#[derive(Clone, Debug)]
pub struct StartedOutbound {
    pub workitem: Workitem,
    pub message: Message,
    pub contact: Contact,
    /// False when the agent's own open conversation with this customer took the message.
    pub new_workitem: bool,
}

/// Stores an agent's outbound SMS to `to` from `campaign`'s number, queued for sending.
pub fn start_outbound(
    txn: &WriteTransaction,
    agent: UserId,
    campaign: &Campaign,
    to: &E164,
    body: &str,
    at: DateTime<Utc>,
) -> Result<Result<StartedOutbound, OutboundRefusal>, StoreError> {
    start(txn, agent, campaign, to, body, at, false)
}

/// Records an outbound SMS delivered long ago (demo history): stored like one an agent
/// starts now, but never sent.
pub fn start_past_outbound(
    txn: &WriteTransaction,
    agent: UserId,
    campaign: &Campaign,
    to: &E164,
    body: &str,
    at: DateTime<Utc>,
) -> Result<Result<StartedOutbound, OutboundRefusal>, StoreError> {
    start(txn, agent, campaign, to, body, at, true)
}

fn start(
    txn: &WriteTransaction,
    agent: UserId,
    campaign: &Campaign,
    to: &E164,
    body: &str,
    at: DateTime<Utc>,
    past: bool,
) -> Result<Result<StartedOutbound, OutboundRefusal>, StoreError> {
    let Some(from) = campaign.numbers.first() else {
        return Ok(Err(OutboundRefusal::NoNumber));
    };
    if let Some(consent) = opted_out_in(txn, to)? {
        return Ok(Err(OutboundRefusal::OptedOut(consent)));
    }
    let key = open_key(to, from);
    let open = txn
        .open_table(OPEN_WORKITEMS)?
        .get(key.as_str())?
        .map(|v| v.value());
    let existing = match open {
        Some(id) => get_json::<Workitem>(&txn.open_table(WORKITEMS)?, "workitems", id)?,
        None => None,
    };
    let contact = find_or_create_contact(txn, to, at)?;
    let (workitem, new_workitem) = match existing {
        Some(w) if w.state == WorkitemState::Active && w.agent == Some(agent) => (w, false),
        Some(w) => return Ok(Err(OutboundRefusal::Busy(w))),
        None => (
            new_workitem(txn, agent, campaign, &contact, from, body, at)?,
            true,
        ),
    };
    let message = if past {
        super::insert_past_reply(txn, workitem.id, agent, body, at)?
    } else {
        insert_outbound(txn, workitem.id, agent, body, at)?
    };
    Ok(Ok(StartedOutbound {
        workitem,
        message,
        contact,
        new_workitem,
    }))
}

fn new_workitem(
    txn: &WriteTransaction,
    agent: UserId,
    campaign: &Campaign,
    contact: &Contact,
    from: &E164,
    body: &str,
    at: DateTime<Utc>,
) -> Result<Workitem, StoreError> {
    let priority =
        get_json::<crate::domain::Queue>(&txn.open_table(QUEUES)?, "queues", campaign.queue.0)?
            .map_or(0, |q| q.priority);
    let workitem = Workitem {
        id: WorkitemId(next_id(txn, "workitem")?),
        contact: contact.id,
        customer: contact.mobile.clone(),
        our_number: from.clone(),
        campaign: Some(campaign.id),
        queue: campaign.queue,
        priority,
        state: WorkitemState::Active,
        agent: Some(agent),
        created_at: at,
        accepted_at: Some(at),
        terminated_at: None,
        preview: preview(body),
        outbound: true,
        wrap_up: None,
        first_reply_at: None,
    };
    put_json(&mut txn.open_table(WORKITEMS)?, workitem.id.0, &workitem)?;
    txn.open_table(OPEN_WORKITEMS)?.insert(
        open_key(&workitem.customer, &workitem.our_number).as_str(),
        workitem.id.0,
    )?;
    txn.open_multimap_table(WORKITEMS_BY_CONTACT)?
        .insert(contact.id.0, workitem.id.0)?;
    super::stats::count_created(&mut super::stats::StatsTables::open(txn)?, &workitem)?;
    append_event(txn, workitem.id, at, EventKind::Started { agent })?;
    record_change(txn, Change::Workitem(workitem.id))?;
    Ok(workitem)
}

/// A campaign, read inside a write.
pub fn campaign_in(
    txn: &WriteTransaction,
    id: crate::domain::CampaignId,
) -> Result<Option<Campaign>, StoreError> {
    get_json(&txn.open_table(CAMPAIGNS)?, "campaigns", id.0)
}

/// A contact, read inside a write.
pub fn contact_in(
    txn: &WriteTransaction,
    id: crate::domain::ContactId,
) -> Result<Option<Contact>, StoreError> {
    get_json(&txn.open_table(CONTACTS)?, "contacts", id.0)
}

/// Whether the customer sent any message in this workitem.
pub fn customer_has_written(txn: &WriteTransaction, id: WorkitemId) -> Result<bool, StoreError> {
    let messages = txn.open_table(MESSAGES)?;
    for m in txn.open_multimap_table(MESSAGES_BY_WORKITEM)?.get(id.0)? {
        if let Some(m) = get_json::<Message>(&messages, "messages", m?.value())?
            && m.direction == crate::domain::Direction::In
        {
            return Ok(true);
        }
    }
    Ok(false)
}
