//! Inbound messages: stored durably first, then handed to the ACD.

use crate::acd::Acd;
use crate::live::{Hub, PhonePush};
use crate::store::{self, InboundSms, Ingested, Store, StoreError};

/// Stores one inbound message (deduplicated by provider id) and routes it. Returns once the
/// message is durable, so a webhook can acknowledge it.
pub async fn receive(
    store: &Store,
    acd: &Acd,
    hub: &Hub,
    sms: InboundSms,
) -> Result<Ingested, StoreError> {
    let ingested = {
        let sms = sms.clone();
        store
            .write(move |txn| store::ingest_inbound(txn, &sms))
            .await?
    };
    if let Ingested::Stored {
        message,
        workitem,
        contact,
        new_workitem,
    } = &ingested
    {
        tracing::debug!(workitem = %workitem.id, message = %message.id, new_workitem, "inbound stored");
        if *new_workitem {
            acd.enqueue(workitem.clone(), contact.display_name());
        } else {
            acd.customer_message(workitem.id, message.clone());
        }
        // Other tabs showing the same simulated phone see what it sent.
        hub.push_phone(
            &sms.from,
            PhonePush {
                direction: message.direction,
                our_number: sms.to.clone(),
                body: message.body.clone(),
                at: message.at,
            },
        );
    }
    Ok(ingested)
}
