//! Agents' replies: each is checked (their workitem, the customer's consent, sending hours)
//! and stored with its outbox entry in one transaction; `sender.rs` sends it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::domain::{Consent, Message, UserId, WorkitemId, WorkitemState};
use crate::store::{self, Store, StoreError};

/// Longest SMS body accepted (10 concatenated segments).
pub const MAX_BODY_CHARS: usize = 1600;

#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is too long ({0} characters; at most {MAX_BODY_CHARS})")]
    TooLong(usize),
    #[error("this workitem is not one of your active workitems")]
    NotYours,
    #[error("no such workitem")]
    UnknownWorkitem,
    #[error("{}", .0.warning().unwrap_or_default())]
    OptedOut(Consent),
    #[error("{0}")]
    QuietHours(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Wakes the outbox task when a new message is stored.
#[derive(Clone, Default)]
pub struct Outbox {
    pub(super) wake: Arc<Notify>,
}

impl Outbox {
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Stores an agent's reply on their active workitem and queues it for sending.
pub async fn send_reply(
    store: &Store,
    outbox: &Outbox,
    clock: &Clock,
    agent: UserId,
    workitem: WorkitemId,
    body: &str,
) -> Result<Message, ReplyError> {
    let body = body.trim_end().to_owned();
    if body.trim().is_empty() {
        return Err(ReplyError::Empty);
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(ReplyError::TooLong(chars));
    }
    let at = clock.now();
    let message = store
        .write(move |txn| {
            // Checked inside the transaction: the workitem cannot be terminated in between.
            let table = txn.open_table(store::WORKITEMS)?;
            let Some(w) =
                store::get_json::<crate::domain::Workitem>(&table, "workitems", workitem.0)?
            else {
                return Ok(Err(ReplyError::UnknownWorkitem));
            };
            drop(table);
            if w.state != WorkitemState::Active || w.agent != Some(agent) {
                return Ok(Err(ReplyError::NotYours));
            }
            if let Some(consent) = store::opted_out_in(txn, &w.customer)? {
                return Ok(Err(ReplyError::OptedOut(consent)));
            }
            if let Err(e) = quiet_hours_for_reply(txn, &w, at)? {
                return Ok(Err(ReplyError::QuietHours(e.to_string())));
            }
            store::insert_outbound(txn, workitem, agent, &body, at).map(Ok)
        })
        .await??;
    outbox.wake();
    Ok(message)
}

/// A conversation we started is held to the campaign's sending hours until the customer
/// answers; a reply to a customer who wrote is never held back.
fn quiet_hours_for_reply(
    txn: &redb::WriteTransaction,
    w: &crate::domain::Workitem,
    at: DateTime<Utc>,
) -> Result<Result<(), super::compose::ComposeError>, StoreError> {
    if !w.outbound {
        return Ok(Ok(()));
    }
    let Some(campaign) = w
        .campaign
        .map(|c| store::campaign_in(txn, c))
        .transpose()?
        .flatten()
    else {
        return Ok(Ok(()));
    };
    if store::customer_has_written(txn, w.id)? {
        return Ok(Ok(()));
    }
    let contact = store::contact_in(txn, w.contact)?;
    Ok(super::compose::check_quiet_hours(
        &campaign,
        contact.as_ref(),
        at,
    ))
}

/// After a carrier's error code that opts a number out (see
/// [`crate::domain::carrier_code_blocks`]): tells every open workspace the consent of the
/// customer of `workitem`, as a keyword or an agent's change does.
pub async fn announce_carrier_opt_out(store: &Store, hub: &crate::live::Hub, workitem: WorkitemId) {
    let found = store
        .read(move |txn| {
            let Some(w) = store::workitem(txn, workitem)? else {
                return Ok(None);
            };
            Ok(store::consent_of(txn, &w.customer)?.map(|c| (w.customer, c)))
        })
        .await;
    match found {
        Ok(Some((phone, consent))) if consent.opted_out => hub.consent_changed(&phone, &consent),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "consent not announced"),
    }
}
