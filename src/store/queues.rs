//! Saving queues from the admin page: names are unique regardless of case.

use redb::{ReadableTable, WriteTransaction};

use super::codec::{decode, put_json};
use super::directory::insert_queue;
use super::{QUEUES, StoreError};
use crate::domain::{Queue, QueueId, WrapUp};

/// Outcome of saving a queue.
pub enum SavedQueue {
    Saved(Queue),
    /// Another queue has this name (compared without regard to case).
    NameTaken,
    /// The queue to update does not exist.
    Missing,
}

/// Creates a queue (`id: None`) or updates one, after checking the name is free. Nothing is
/// written unless the result is `Saved`.
pub fn save_queue(
    txn: &WriteTransaction,
    id: Option<QueueId>,
    name: &str,
    priority: i32,
    offer_timeout_secs: u64,
    sla_secs: u64,
    wrap_up: WrapUp,
) -> Result<SavedQueue, StoreError> {
    let mut exists = false;
    {
        let table = txn.open_table(QUEUES)?;
        for row in table.iter()? {
            let (_, v) = row?;
            let queue: Queue = decode("queues", v.value())?;
            if Some(queue.id) == id {
                exists = true;
            } else if same_name(&queue.name, name) {
                return Ok(SavedQueue::NameTaken);
            }
        }
    }
    let id = match id {
        Some(_) if !exists => return Ok(SavedQueue::Missing),
        Some(id) => id,
        None => insert_queue(txn, name, priority, offer_timeout_secs)?.id,
    };
    let queue = Queue {
        id,
        sla_secs,
        name: name.to_owned(),
        priority,
        offer_timeout_secs,
        wrap_up,
    };
    put_json(&mut txn.open_table(QUEUES)?, id.0, &queue)?;
    Ok(SavedQueue::Saved(queue))
}

/// Names compare trimmed and without regard to case.
pub fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}
