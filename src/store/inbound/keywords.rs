//! Compliance keywords inside the inbound batch: a STOP, START or HELP changes the number's
//! consent (a ledger entry) and queues its automatic answer in the same transaction that
//! stores the message, so a crash can never keep one without the other.

use chrono::{DateTime, Utc};

use super::{Counters, InboundSms, KeywordOutcome, Tables, take};
use crate::domain::{
    Campaign, ConsentEntry, ConsentSource, DeliveryStatus, Direction, E164, EventKind, Keyword,
    Message, MessageId, Workitem, WorkitemId, keyword_answer, segments,
};
use crate::store::changes::{self, Change};
use crate::store::codec::{get_json, put_json};
use crate::store::{OutboxEntry, StoreError};

impl Tables<'_> {
    /// Applies a keyword: changes the number's consent (ledger entry) and queues the answer:
    /// one confirmation when an opt-out or opt-in takes effect, the help text for HELP.
    pub(super) fn answer_keyword(
        &mut self,
        keyword: Keyword,
        workitem: &Workitem,
        closes: bool,
        sms: &InboundSms,
        ids: &mut Counters,
    ) -> Result<KeywordOutcome, StoreError> {
        let campaign = match workitem.campaign {
            Some(id) => get_json::<Campaign>(&self.campaigns, "campaigns", id.0)?,
            None => None,
        };
        let consent_to = match keyword {
            Keyword::OptOut(_) => Some(true),
            Keyword::OptIn(_) => Some(false),
            Keyword::Help(_) => None,
        };
        let consent_changed = match consent_to {
            Some(opted_out) => {
                let entry = ConsentEntry {
                    phone: sms.from.clone(),
                    at: sms.received_at,
                    opted_out,
                    source: ConsentSource::Keyword {
                        word: keyword.word().to_owned(),
                    },
                    campaign: workitem.campaign,
                };
                let id = ids.consent;
                let changed = self.consent.change(id, &entry)?;
                if changed {
                    ids.consent += 1;
                }
                changed
            }
            None => false,
        };
        self.event(
            ids,
            workitem.id,
            sms.received_at,
            EventKind::Keyword {
                word: keyword.word().to_owned(),
                consent_changed,
            },
        )?;
        let text = keyword_answer(keyword, consent_changed, campaign.as_ref());
        let reply = match text {
            Some(body) => Some(self.auto_reply(
                workitem.id,
                &workitem.our_number,
                &body,
                sms.received_at,
                ids,
            )?),
            None => None,
        };
        if closes {
            self.event(
                ids,
                workitem.id,
                sms.received_at,
                EventKind::Terminated {
                    agent: None,
                    wrap_up: None,
                },
            )?;
        }
        Ok(KeywordOutcome {
            keyword,
            consent_changed,
            reply,
            closed: closes,
        })
    }

    /// Stores an automatic answer in the workitem and queues it, marked as a keyword answer:
    /// the one kind of message an opted-out number still gets.
    fn auto_reply(
        &mut self,
        workitem: WorkitemId,
        from: &E164,
        body: &str,
        at: DateTime<Utc>,
        ids: &mut Counters,
    ) -> Result<Message, StoreError> {
        let size = segments::count(body);
        let message = Message {
            id: MessageId(take(&mut ids.message)),
            workitem,
            direction: Direction::Out,
            body: body.to_owned(),
            at,
            agent: None,
            status: DeliveryStatus::Queued,
            provider_id: None,
            error: None,
            segments: size.segments,
            encoding: Some(size.encoding),
        };
        put_json(&mut self.messages, message.id.0, &message)?;
        self.messages_by_workitem.insert(workitem.0, message.id.0)?;
        put_json(
            &mut self.outbox,
            message.id.0,
            &OutboxEntry::new(at, Some(from.clone()), true),
        )?;
        changes::append(
            &mut self.changes,
            &mut ids.change,
            Change::Message(message.id),
        )?;
        self.event(
            ids,
            workitem,
            at,
            EventKind::MessageOut {
                message: message.id,
                agent: None,
            },
        )?;
        Ok(message)
    }
}
