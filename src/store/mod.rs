//! The store: redb, the single source of truth.
//!
//! Writes go through one writer thread that batches whatever is waiting into one transaction
//! (group commit) and answers each caller only after that transaction is durable, so throughput
//! does not stop at the disk's fsync rate. Reads run on the blocking pool.

mod api_tokens;
mod apply_thread;
mod audit;
mod backup;
#[cfg(test)]
mod backup_tests;
mod campaign_runs;
mod changes;
mod check;
mod check_indexes;
#[cfg(test)]
mod check_tests;
mod classes;
mod codec;
mod consent;
mod contacts;
mod conversations;
#[doc(hidden)]
pub mod crash_trials;
mod directory;
mod held;
mod history;
mod inbound;
mod leads;
mod log_thread;
mod logged;
mod notes;
mod open;
#[cfg(test)]
use open::init;
mod outbound;
mod outbox;
mod prefs;
mod presence_log;
mod provider_ids;
mod queues;
mod recent_prints;
mod repair;
#[cfg(test)]
mod repair_tests;
#[cfg(test)]
mod replay_tests;
mod report_rows;
mod response_templates;
mod restore;
mod sessions;
mod settings;
#[doc(hidden)]
pub mod sim_disk;
mod stats;
mod surveys;
mod tables;
mod txn;
#[cfg(test)]
mod upgrade_tests;
mod wal;
mod writeback;
mod writer;
mod writer_stats;

use std::path::Path;
use std::sync::Arc;

use redb::{
    Database, ReadTransaction, ReadableDatabase, ReadableTable, TableHandle, WriteTransaction,
};

pub use api_tokens::{ApiToken, all_api_tokens, api_token, delete_api_token, put_api_token};
pub use audit::{AuditFilter, AuditPage, append_audit, audit_entries};
pub use backup::{Backup, BackupInfo, BackupWritten, backup_info};
pub use campaign_runs::{
    CANCELLED, LeadMessage, LeadSent, campaign_minutes, campaign_run, campaign_stats, change_run,
    count_refused, finish_run, lead_progress, pending_leads, queue_lead_messages,
    running_campaigns, skip_leads,
};
pub use changes::{Change, changes_after, last_change_seq, prune_changes, record_change};
pub use check::{CheckReport, Searchable, check_store};
pub use classes::{SavedClass, all_classes, class, permissions_of, put_class, save_class};
pub use codec::{all_json, decode, get_json, next_id};
pub use consent::{change_consent, consent_ledger, consent_ledger_all, consent_of, opted_out_in};
pub use contacts::{ContactRefused, create_contact, search_contacts, update_contact};
pub use conversations::{
    append_event, events_of, insert_outbound, insert_past_reply, message, messages_of,
    messages_with, open_workitems, route_step, workitem,
};
pub use directory::{
    NewCampaign, NewUser, UserChange, agent_settings, all_agent_settings, all_campaigns,
    all_queues, all_users, campaign, change_user, contact, contact_by_phone, count_users,
    find_or_create_contact, insert_campaign, insert_queue, insert_user, put_agent_settings, queue,
    save_campaign, set_contact_name, user, user_by_name, user_id_by_name,
};
pub use held::{held_sms, hold_sms};
pub use history::{
    HistoryDetail, HistoryEntry, HistoryItem, HistoryKind, HistoryPage, HistoryQuery, HistoryRange,
    WorkitemSummary, history_detail, history_page,
};
pub use inbound::{InboundSms, Ingested, KeywordOutcome, PROVIDERS, ingest_inbound, ingest_many};
pub use leads::{
    Imported, LeadCursor, LeadPage, LeadRow, campaign_leads, count_leads, insert_leads, lead,
    lead_field_names, lead_page,
};
pub use notes::{add_note, note, notes_of};
pub use outbound::{
    OutboundRefusal, StartedOutbound, campaign_in, contact_in, customer_has_written,
    start_outbound, start_past_outbound,
};
pub use outbox::{
    Claim, INTERRUPTED, OPTED_OUT, OutboxEntry, PreparedSend, SendOutcome, claim_send, due_outbox,
    fail_interrupted_sends, next_outbox_due, outbox_backlog, prepare_send, record_delivery_status,
    record_send,
};
pub use prefs::{UserPrefs, update_user_prefs, user_prefs};
pub use presence_log::{close_presence_at_restart, log_presence, presence_log};
pub use queues::{SavedQueue, same_name, save_queue};
pub use repair::SetAside;
pub use report_rows::{
    ORDER_SLACK, first_message_from, first_workitem_from, messages_chunk, survey_responses_of,
    workitems_chunk,
};
pub use response_templates::{
    ResponseTemplateFields, SavedResponseTemplate, all_response_templates,
    delete_response_template, put_response_template, response_template,
};
pub use restore::{Restored, restore};
pub use sessions::{
    Session, any_session, delete_session, delete_sessions_of, expire_sessions, put_session,
    session, touch_sessions,
};
pub use settings::{away_reasons, put_away_reasons};
pub use stats::{TallyFilter, TallyRow, hourly_tallies, sum_per_bucket, sum_per_queue, tallies};
pub use surveys::{
    SavedResponse, all_surveys, campaign_survey, next_survey_id, put_survey, save_survey_response,
    set_campaign_survey, survey, survey_response,
};
pub use tables::{
    AGENT_SETTINGS, API_TOKENS, AUDIT_LOG, CAMPAIGN_LEAD_FIELDS, CAMPAIGN_LEADS, CAMPAIGN_MESSAGES,
    CAMPAIGN_MINUTES, CAMPAIGN_NUMBERS, CAMPAIGN_RUNS, CAMPAIGN_STATS, CAMPAIGNS, CHANGES, CLASSES,
    CONSENT, CONSENT_BY_PHONE, CONSENT_LEDGER, CONTACTS, CONTACTS_BY_PHONE, EVENTS,
    EVENTS_BY_WORKITEM, HELD_SMS, LEAD_PROGRESS, LEADS, LEADS_BY_NUMBER, MESSAGES,
    MESSAGES_BY_WORKITEM, META, NOTES, NOTES_BY_CONTACT, OPEN_WORKITEMS, OUTBOX, PRESENCE_LOG,
    PROVIDER_IDS, PROVIDER_IDS_V1, PROVIDER_PRINTS, PROVIDER_PRINTS_PENDING, QUEUES,
    RESPONSE_TEMPLATES, SESSIONS, SETTINGS, STATS, STATS_HOURLY, SURVEY_RESPONSES, SURVEYS,
    USER_PREFS, USERS, USERS_BY_NAME, WORKITEMS, WORKITEMS_BY_CONTACT,
};
pub use txn::Txn;
pub use wal::LogFile;
pub use writer::{BatchStats, DiskTimings, Pending, Receipt, SLOW_SYNC};

/// Bumped when stored data changes shape in a way `#[serde(default)]` cannot absorb.
/// 2: provider ids keyed by message (`PROVIDER_IDS`).
/// 3: the write-ahead log beside the store, which an older build would ignore.
/// 4: provider ids found through their fingerprints (`PROVIDER_PRINTS`), which an older
///    build would not keep up to date.
/// 5: the newest fingerprints reach that table in bulk (`recent_prints.rs`), so it lacks
///    those of the messages from `provider_prints_pending_from` on, which an older build
///    would not look for.
/// 6: those fingerprints are listed by message in `PROVIDER_PRINTS_PENDING`, which a start
///    reads back instead of the ids, and which an older build would leave incomplete.
pub const SCHEMA_VERSION: u64 = 6;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage error: {0}")]
    Redb(String),
    #[error("corrupt record in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
    #[error(
        "the data dir was written by a newer Parley (schema {found}, this build knows {known})"
    )]
    NewerSchema { found: u64, known: u64 },
    #[error("the store is shut down")]
    Closed,
    #[error("the batch this write was part of failed: {0}")]
    BatchFailed(String),
    /// redb's lock: another process (a running Parley, or a command) has the store open.
    #[error("the store is open in another process: is Parley running? Stop it first")]
    InUse,
    /// A record of the write-ahead log passed its checksum but is not a write this build
    /// knows; the store cannot be opened past it without setting it aside.
    #[error(
        "the write-ahead log's record {seq} of epoch {epoch} cannot be decoded ({detail}); \
         `parley check --repair` sets it aside into a file and applies the rest"
    )]
    UndecodableLogRecord {
        epoch: u64,
        seq: u64,
        detail: String,
    },
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Redb(redb::Error::from(e).to_string())
            }
        }
    )*};
}
impl From<redb::DatabaseError> for StoreError {
    fn from(e: redb::DatabaseError) -> Self {
        match e {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::InUse,
            e => StoreError::Redb(redb::Error::from(e).to_string()),
        }
    }
}

from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// redb's own page cache (its default is 1 GiB). Pages it does not hold are read again
/// through the kernel's page cache, which costs microseconds and is not the process's
/// memory, so what the store reads, however much, holds at most this much of it. 64 MiB
/// rather than 16: at 20 million messages it raised the webhooks' rate by a sixth once the
/// newest fingerprints went to their table in bulk (README design notes).
const CACHE_BYTES: usize = 64 << 20;

/// A cloneable handle to the store.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    writer: writer::WriterHandle,
}

impl Store {
    /// Stores customers' messages through the write-ahead log (see [`ingest_many`]) and
    /// hands them back with their outcomes once durable.
    pub async fn ingest(
        &self,
        batch: Vec<InboundSms>,
    ) -> Result<(Vec<Ingested>, Vec<InboundSms>), StoreError> {
        let pending = self
            .writer
            .submit_logged(logged::Logged::Inbound(batch), |applied| match applied {
                logged::Applied::Inbound(ingested, batch) => (ingested, batch),
                _ => unreachable!("an inbound write answers Inbound"),
            })?;
        pending.await.map_err(|_| StoreError::Closed)?
    }

    /// Queues customers' messages as [`ingest`](Self::ingest) does, and returns as soon as
    /// they are durable in the log (true), or once they could not be logged (false: then
    /// only the answer says whether they are stored). A provider can be acknowledged at
    /// true, while the store applies them (during a checkpoint, a little later).
    pub async fn ingest_logged(
        &self,
        batch: Vec<InboundSms>,
    ) -> Result<(bool, Pending<(Vec<Ingested>, Vec<InboundSms>)>), StoreError> {
        let (receipt, pending) =
            self.writer
                .submit_logged_with_receipt(
                    logged::Logged::Inbound(batch),
                    |applied| match applied {
                        logged::Applied::Inbound(ingested, batch) => (ingested, batch),
                        _ => unreachable!("an inbound write answers Inbound"),
                    },
                )?;
        Ok((receipt.await.is_ok(), pending))
    }

    /// Queues a routing step (see [`route_step`]) through the write-ahead log.
    pub fn submit_route_step(
        &self,
        workitem: crate::domain::WorkitemId,
        at: chrono::DateTime<chrono::Utc>,
        kind: crate::domain::EventKind,
    ) -> Result<Pending<()>, StoreError> {
        self.writer
            .submit_logged(logged::Logged::RouteStep { workitem, at, kind }, |_| ())
    }

    /// Queues dropping the change log up to `through` (see [`prune_changes`]) through the
    /// write-ahead log.
    pub fn submit_prune_changes(&self, through: u64) -> Result<Pending<()>, StoreError> {
        self.writer
            .submit_logged(logged::Logged::PruneChanges { through }, |_| ())
    }

    /// Runs `f` inside the next group-commit transaction and returns its result once the
    /// transaction is durable. `f` must return `Err` only for storage failures: an `Err` aborts
    /// the whole batch, so checks that can fail must run before anything is written.
    pub async fn write<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&Txn) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        self.writer
            .submit(f)?
            .await
            .map_err(|_| StoreError::Closed)?
    }

    /// Queues a write without waiting: it commits in order with every write queued before
    /// and after it. The receiver tells when it is durable, for callers that care.
    pub fn submit<R, F>(&self, f: F) -> Result<Pending<R>, StoreError>
    where
        F: FnOnce(&Txn) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        self.writer.submit(f)
    }

    /// Runs `f` in a read transaction on the blocking pool.
    pub async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&ReadTransaction) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_read()?;
            f(&txn)
        })
        .await
        .map_err(|e| StoreError::Redb(format!("read task failed: {e}")))?
    }

    /// Returns once every write acknowledged so far is applied: a read then sees it. (An
    /// inbound message is acknowledged once it is in the write-ahead log, a moment before
    /// the store applies it.)
    pub async fn applied(&self) -> Result<(), StoreError> {
        self.writer.applied()?.await.map_err(|_| StoreError::Closed)
    }

    /// [`applied`](Self::applied) for blocking code.
    pub fn applied_blocking(&self) -> Result<(), StoreError> {
        self.writer
            .applied()?
            .blocking_recv()
            .map_err(|_| StoreError::Closed)
    }

    /// A read transaction held by the caller (a consistent snapshot for long reads, such as
    /// rebuilding the search index); blocking code only.
    pub fn snapshot(&self) -> Result<ReadTransaction, StoreError> {
        Ok(self.db.begin_read()?)
    }

    /// Synchronous read, for start-up and the CLI.
    pub fn read_blocking<R>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let txn = self.db.begin_read()?;
        f(&txn)
    }

    /// Signalled after every commit; the search indexer waits on it for new changes.
    pub fn commit_signal(&self) -> Arc<tokio::sync::Notify> {
        self.writer.committed()
    }

    /// Group-commit statistics since start.
    pub fn batch_stats(&self) -> BatchStats {
        self.writer.stats()
    }

    /// The writer's waits on the disk since start, bucketed (for `/metrics`).
    pub fn disk_timings(&self) -> DiskTimings {
        self.writer.disk_timings()
    }

    /// Empties redb's page cache (reads go on, from the file). The cache's pages belong to
    /// the allocator heap of the thread that read them, and only that thread takes back what
    /// another frees: a thread about to go idle empties the cache itself, then hands its
    /// freed memory back (`crate::allocator`).
    pub fn empty_page_cache(&self) {
        self.db.clear_read_cache();
    }

    /// What redb's page cache holds now, and how its reads have fared since start (for
    /// `/metrics`: it is most of what a busy server holds beyond a fresh one).
    pub fn page_cache(&self) -> PageCache {
        let stats = self.db.cache_stats();
        PageCache {
            bytes: stats.used_bytes() as u64,
            read_hits: stats.read_hits(),
            read_misses: stats.read_misses(),
            evictions: stats.evictions(),
        }
    }
}

/// See [`Store::page_cache`]; at most [`CACHE_BYTES`].
#[derive(Debug, Clone, Copy)]
pub struct PageCache {
    pub bytes: u64,
    pub read_hits: u64,
    pub read_misses: u64,
    pub evictions: u64,
}
