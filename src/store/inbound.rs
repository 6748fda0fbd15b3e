//! Inbound messages, stored in batches: the busiest write in Parley, so each batch opens its
//! tables and reads its id counters once, however many messages it holds.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use redb::{MultimapTable, ReadableTable, Table, WriteTransaction};

use super::campaign_runs::note_lead_message;
use super::changes;
use super::codec::{decode, get_json, put_json};
use super::consent::ConsentTables;
use super::conversations::open_key;
use super::provider_ids::{ProviderIndex, provider_key};
use super::*;
use crate::domain::{
    Campaign, CampaignKind, Contact, ContactId, DeliveryStatus, Direction, E164, Event, EventId,
    EventKind, Keyword, Message, MessageId, Queue, QueueId, Workitem, WorkitemId, WorkitemState,
    preview, segments,
};

mod keywords;

/// A customer's message as a provider handed it to us.
#[derive(Clone, Debug, serde::Serialize)]
pub struct InboundSms {
    /// Provider name, part of the dedup key: one of [`PROVIDERS`].
    pub provider: &'static str,
    /// The provider's message id; a second message with the same id is a retry.
    pub provider_id: Option<String>,
    pub from: E164,
    pub to: E164,
    pub body: String,
    pub received_at: DateTime<Utc>,
}

/// Every provider name an [`InboundSms`] can carry.
pub const PROVIDERS: [&str; 3] = ["twilio", "simulator", "demo"];

/// An [`InboundSms`] read back from the write-ahead log, its provider name not yet matched.
#[derive(serde::Deserialize)]
struct LoggedSms {
    provider: String,
    provider_id: Option<String>,
    from: E164,
    to: E164,
    body: String,
    received_at: DateTime<Utc>,
}

impl<'de> serde::Deserialize<'de> for InboundSms {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<InboundSms, D::Error> {
        let s = LoggedSms::deserialize(d)?;
        let provider = PROVIDERS
            .into_iter()
            .find(|p| *p == s.provider)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("unknown SMS provider {:?}", s.provider))
            })?;
        Ok(InboundSms {
            provider,
            provider_id: s.provider_id,
            from: s.from,
            to: s.to,
            body: s.body,
            received_at: s.received_at,
        })
    }
}

#[cfg(test)]
impl InboundSms {
    /// A simulator text from `from` to the demo support number, for unit tests.
    pub fn texted(from: &str, body: &str, at: DateTime<Utc>) -> InboundSms {
        InboundSms {
            provider: "simulator",
            provider_id: None,
            from: E164::parse(from).unwrap(),
            to: E164::parse("+14155550100").unwrap(),
            body: body.into(),
            received_at: at,
        }
    }
}

#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // made once per message and moved, never stored
pub enum Ingested {
    /// The provider retried a message we already hold.
    Duplicate(MessageId),
    Stored {
        message: Message,
        workitem: Workitem,
        /// The contact, read (or created) when the message opens a conversation; an open one
        /// already names its contact, which is not read again for every message.
        contact: Option<Contact>,
        /// A new conversation the ACD must route (otherwise it continues an open one, or
        /// was a keyword answered automatically).
        new_workitem: bool,
        /// What a compliance keyword did, when the message was one.
        keyword: Option<KeywordOutcome>,
    },
}

/// A keyword message (STOP, START, HELP, …) handled inside the transaction that stored it.
#[derive(Clone, Debug)]
pub struct KeywordOutcome {
    pub keyword: Keyword,
    /// The number's consent changed (an opt-out or opt-in took effect).
    pub consent_changed: bool,
    /// The automatic answer, stored and queued in the outbox.
    pub reply: Option<Message>,
    /// No conversation was open: the keyword got a workitem of its own, closed at once, so it
    /// shows in the history without being routed to an agent.
    pub closed: bool,
}

/// Stores one inbound message; see [`ingest_many`].
pub fn ingest_inbound(txn: &Txn, sms: &InboundSms) -> Result<Ingested, StoreError> {
    let mut out = ingest_many(txn, std::slice::from_ref(sms))?;
    out.pop()
        .ok_or_else(|| StoreError::Redb("ingest returned nothing".into()))
}

/// Stores inbound messages in order: dedups by provider id (also within the batch), finds or
/// creates each contact, continues the conversation's open workitem or opens a new one in the
/// queue of the campaign owning the number.
pub fn ingest_many(txn: &Txn, batch: &[InboundSms]) -> Result<Vec<Ingested>, StoreError> {
    let mut t = Tables::open(txn)?;
    let mut ids = Counters::load(&t.meta)?;
    let out = batch
        .iter()
        .map(|sms| t.ingest(sms, &mut ids))
        .collect::<Result<Vec<_>, _>>()?;
    ids.save(&mut t.meta)?;
    Ok(out)
}

/// Next free ids, read once per batch and written back at its end (same keys as `next_id`).
struct Counters {
    contact: u64,
    workitem: u64,
    message: u64,
    event: u64,
    change: u64,
    consent: u64,
}

impl Counters {
    const KEYS: [&'static str; 6] = [
        "next_contact",
        "next_workitem",
        "next_message",
        "next_event",
        changes::NEXT_CHANGE,
        "next_consent",
    ];

    fn load(meta: &Table<&'static str, u64>) -> Result<Counters, StoreError> {
        let mut v = [1u64; 6];
        for (slot, key) in v.iter_mut().zip(Self::KEYS) {
            if let Some(n) = meta.get(key)? {
                *slot = n.value();
            }
        }
        Ok(Counters {
            contact: v[0],
            workitem: v[1],
            message: v[2],
            event: v[3],
            change: v[4],
            consent: v[5],
        })
    }

    fn save(&self, meta: &mut Table<&'static str, u64>) -> Result<(), StoreError> {
        let v = [
            self.contact,
            self.workitem,
            self.message,
            self.event,
            self.change,
            self.consent,
        ];
        for (n, key) in v.into_iter().zip(Self::KEYS) {
            meta.insert(key, n)?;
        }
        Ok(())
    }
}

fn take(counter: &mut u64) -> u64 {
    let id = *counter;
    *counter += 1;
    id
}

struct Tables<'t> {
    txn: &'t WriteTransaction,
    /// The campaign owning each of our numbers seen in this batch.
    owners: HashMap<E164, Option<Arc<Campaign>>>,
    meta: Table<'t, &'static str, u64>,
    provider_ids: ProviderIndex<'t>,
    contacts: Table<'t, u64, &'static [u8]>,
    contacts_by_phone: Table<'t, &'static str, u64>,
    open: Table<'t, &'static str, u64>,
    workitems: Table<'t, u64, &'static [u8]>,
    workitems_by_contact: MultimapTable<'t, u64, u64>,
    messages: Table<'t, u64, &'static [u8]>,
    messages_by_workitem: MultimapTable<'t, u64, u64>,
    events: Table<'t, u64, &'static [u8]>,
    events_by_workitem: MultimapTable<'t, u64, u64>,
    campaign_numbers: Table<'t, &'static str, u64>,
    campaigns: Table<'t, u64, &'static [u8]>,
    queues: Table<'t, u64, &'static [u8]>,
    changes: Table<'t, u64, &'static [u8]>,
    outbox: Table<'t, u64, &'static [u8]>,
    stats: super::stats::StatsTables<'t>,
    consent: ConsentTables<'t>,
}

impl<'t> Tables<'t> {
    fn open(txn: &'t Txn<'t>) -> Result<Tables<'t>, StoreError> {
        Ok(Tables {
            txn,
            owners: HashMap::new(),
            meta: txn.open_table(META)?,
            provider_ids: txn.provider_index()?,
            contacts: txn.open_table(CONTACTS)?,
            contacts_by_phone: txn.open_table(CONTACTS_BY_PHONE)?,
            open: txn.open_table(OPEN_WORKITEMS)?,
            workitems: txn.open_table(WORKITEMS)?,
            workitems_by_contact: txn.open_multimap_table(WORKITEMS_BY_CONTACT)?,
            messages: txn.open_table(MESSAGES)?,
            messages_by_workitem: txn.open_multimap_table(MESSAGES_BY_WORKITEM)?,
            events: txn.open_table(EVENTS)?,
            events_by_workitem: txn.open_multimap_table(EVENTS_BY_WORKITEM)?,
            campaign_numbers: txn.open_table(CAMPAIGN_NUMBERS)?,
            campaigns: txn.open_table(CAMPAIGNS)?,
            queues: txn.open_table(QUEUES)?,
            changes: txn.open_table(CHANGES)?,
            outbox: txn.open_table(OUTBOX)?,
            stats: super::stats::StatsTables::open(txn)?,
            consent: ConsentTables::open(txn)?,
        })
    }

    fn ingest(&mut self, sms: &InboundSms, ids: &mut Counters) -> Result<Ingested, StoreError> {
        let dedup_key = sms
            .provider_id
            .as_ref()
            .map(|id| provider_key(sms.provider, id));
        if let Some(key) = &dedup_key
            && let Some(existing) = self.provider_ids.find(key)?
        {
            return Ok(Ingested::Duplicate(existing));
        }
        let key = open_key(&sms.from, &sms.to);
        let existing = match self.open.get(key.as_str())?.map(|v| v.value()) {
            Some(id) => get_json::<Workitem>(&self.workitems, "workitems", id)?,
            None => None,
        };
        let opted_out = self.consent.get(&sms.from)?.is_some_and(|c| c.opted_out);
        // START/UNSTOP/YES only mean something to a number that opted out; otherwise they
        // are ordinary words in a conversation.
        let keyword =
            Keyword::of(&sms.body).filter(|k| !matches!(k, Keyword::OptIn(_)) || opted_out);
        // A keyword outside a conversation is answered automatically, not routed.
        let closes = keyword.is_some() && existing.is_none();
        // An open conversation keeps its contact, even if an agent just moved the contact to
        // another mobile number; only a new conversation looks the number up.
        let (workitem, contact, new_workitem) = match existing {
            Some(w) => (w, None, false),
            None => {
                let contact = self.contact_for(&sms.from, sms.received_at, ids)?;
                let (campaign, queue) = self.route_for(&sms.to)?;
                let workitem = Workitem {
                    id: WorkitemId(take(&mut ids.workitem)),
                    contact: contact.id,
                    customer: sms.from.clone(),
                    our_number: sms.to.clone(),
                    campaign: campaign.map(|c| c.id),
                    queue: queue.id,
                    priority: queue.priority,
                    state: if closes {
                        WorkitemState::Terminated
                    } else {
                        WorkitemState::Queued
                    },
                    agent: None,
                    created_at: sms.received_at,
                    accepted_at: None,
                    terminated_at: closes.then_some(sms.received_at),
                    preview: preview(&sms.body),
                    outbound: false,
                    wrap_up: None,
                    first_reply_at: None,
                };
                put_json(&mut self.workitems, workitem.id.0, &workitem)?;
                self.workitems_by_contact
                    .insert(contact.id.0, workitem.id.0)?;
                if !closes {
                    self.open.insert(key.as_str(), workitem.id.0)?;
                    super::stats::count_created(&mut self.stats, &workitem)?;
                    self.event(
                        ids,
                        workitem.id,
                        sms.received_at,
                        EventKind::Queued { queue: queue.id },
                    )?;
                }
                (workitem, Some(contact), !closes)
            }
        };
        let size = segments::count(&sms.body);
        let message = Message {
            id: MessageId(take(&mut ids.message)),
            workitem: workitem.id,
            direction: Direction::In,
            body: sms.body.clone(),
            at: sms.received_at,
            agent: None,
            status: DeliveryStatus::Received,
            provider_id: sms.provider_id.clone(),
            error: None,
            segments: size.segments,
            encoding: Some(size.encoding),
        };
        put_json(&mut self.messages, message.id.0, &message)?;
        self.messages_by_workitem
            .insert(workitem.id.0, message.id.0)?;
        if let Some(key) = &dedup_key {
            // `ingest` found no message under this key above.
            self.provider_ids.insert_new(key, message.id)?;
        }
        changes::append(
            &mut self.changes,
            &mut ids.change,
            Change::Message(message.id),
        )?;
        // No `MessageIn` event: the message is its own (see `events_of`).
        let keyword = match keyword {
            Some(k) => Some(self.answer_keyword(k, &workitem, closes, sms, ids)?),
            None => None,
        };
        if let Some(c) = self.owner(&sms.to)?
            && c.kind == CampaignKind::Predictive
        {
            let opts_out = keyword
                .as_ref()
                .is_some_and(|k| matches!(k.keyword, Keyword::OptOut(_)));
            note_lead_message(self.txn, c.id, &sms.from, opts_out, sms.received_at)?;
        }
        Ok(Ingested::Stored {
            message,
            workitem,
            contact,
            new_workitem,
            keyword,
        })
    }

    fn contact_for(
        &mut self,
        phone: &E164,
        now: DateTime<Utc>,
        ids: &mut Counters,
    ) -> Result<Contact, StoreError> {
        if let Some(id) = self
            .contacts_by_phone
            .get(phone.as_str())?
            .map(|v| v.value())
            && let Some(existing) = get_json(&self.contacts, "contacts", id)?
        {
            return Ok(existing);
        }
        let contact = Contact::new(ContactId(take(&mut ids.contact)), phone.clone(), now);
        self.contacts_by_phone
            .insert(phone.as_str(), contact.id.0)?;
        put_json(&mut self.contacts, contact.id.0, &contact)?;
        changes::append(
            &mut self.changes,
            &mut ids.change,
            Change::Contact(contact.id),
        )?;
        Ok(contact)
    }

    /// The campaign owning `our_number`, read once per batch.
    fn owner(&mut self, our_number: &E164) -> Result<Option<Arc<Campaign>>, StoreError> {
        if let Some(known) = self.owners.get(our_number) {
            return Ok(known.clone());
        }
        let campaign: Option<Arc<Campaign>> = match self
            .campaign_numbers
            .get(our_number.as_str())?
            .map(|v| v.value())
        {
            Some(id) => get_json(&self.campaigns, "campaigns", id)?.map(Arc::new),
            None => None,
        };
        self.owners.insert(our_number.clone(), campaign.clone());
        Ok(campaign)
    }

    /// The campaign a new conversation on `our_number` belongs to, and its queue: the
    /// number's owner, or for a predictive campaign the inbound campaign its replies go to.
    /// Numbers nobody owns go to the first queue.
    fn route_for(
        &mut self,
        our_number: &E164,
    ) -> Result<(Option<Arc<Campaign>>, Queue), StoreError> {
        let mut campaign = self.owner(our_number)?;
        if let Some(replies_to) = campaign
            .as_ref()
            .and_then(|c| c.predictive.as_ref())
            .and_then(|p| p.replies_to)
            && let Some(inbound) = get_json(&self.campaigns, "campaigns", replies_to.0)?
        {
            campaign = Some(Arc::new(inbound));
        }
        let queue: Option<Queue> = match &campaign {
            Some(c) => get_json(&self.queues, "queues", c.queue.0)?,
            None => None,
        };
        let queue = match queue {
            Some(q) => q,
            None => match self.queues.first()? {
                Some((_, v)) => decode("queues", v.value())?,
                None => Queue {
                    id: QueueId(0),
                    name: "Unrouted".into(),
                    priority: 0,
                    offer_timeout_secs: 20,
                    sla_secs: crate::domain::DEFAULT_SLA_SECS,
                    wrap_up: Default::default(),
                },
            },
        };
        Ok((campaign, queue))
    }

    fn event(
        &mut self,
        ids: &mut Counters,
        workitem: WorkitemId,
        at: DateTime<Utc>,
        kind: EventKind,
    ) -> Result<(), StoreError> {
        let id = take(&mut ids.event);
        let event = Event {
            id: Some(EventId(id)),
            workitem,
            at,
            kind,
        };
        put_json(&mut self.events, id, &event)?;
        self.events_by_workitem.insert(workitem.0, id)?;
        Ok(())
    }
}
