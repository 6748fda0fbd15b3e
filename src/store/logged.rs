//! The writes that go through the write-ahead log (`wal.rs`): each is data, not a closure,
//! so after a crash the same code applies it again to the same state and reaches the same
//! result (ids, events, changes).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{InboundSms, Ingested, StoreError, Txn, ingest_many, prune_changes, route_step};
use crate::domain::{EventKind, WorkitemId};

#[derive(Debug, Serialize, Deserialize)]
pub enum Logged {
    /// Customers' messages, stored by [`ingest_many`].
    Inbound(Vec<InboundSms>),
    /// One routing step, applied by [`route_step`].
    RouteStep {
        workitem: WorkitemId,
        at: DateTime<Utc>,
        kind: EventKind,
    },
    /// The search index holds the change log up to `through` (see [`prune_changes`]).
    PruneChanges { through: u64 },
}

/// What applying a [`Logged`] write returned, for its caller.
pub enum Applied {
    /// The messages' outcomes, and the messages themselves handed back.
    Inbound(Vec<Ingested>, Vec<InboundSms>),
    RouteStep,
    PruneChanges,
}

impl Logged {
    /// What it stores, as the apply thread counts a transaction (see `writer.rs`).
    pub fn weight(&self) -> usize {
        match self {
            Logged::Inbound(batch) => batch.len().max(1),
            Logged::RouteStep { .. } | Logged::PruneChanges { .. } => 1,
        }
    }

    pub fn encode(&self) -> Result<Vec<u8>, StoreError> {
        serde_json::to_vec(self).map_err(|e| StoreError::Redb(format!("cannot log a write: {e}")))
    }

    pub fn decode(bytes: &[u8]) -> Result<Logged, StoreError> {
        serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
            table: "write-ahead log",
            detail: e.to_string(),
        })
    }

    pub fn apply(self, txn: &Txn) -> Result<Applied, StoreError> {
        match self {
            Logged::Inbound(batch) => Ok(Applied::Inbound(ingest_many(txn, &batch)?, batch)),
            Logged::RouteStep { workitem, at, kind } => {
                // A workitem that is gone has nothing to step; that is not an error.
                route_step(txn, workitem, at, kind)?;
                Ok(Applied::RouteStep)
            }
            Logged::PruneChanges { through } => {
                prune_changes(txn, through)?;
                Ok(Applied::PruneChanges)
            }
        }
    }
}
