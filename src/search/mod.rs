//! Full-text search over messages, notes, survey answers and contacts (tantivy).
//!
//! The store stays the only source of truth: the index is derived from it and can always be
//! rebuilt. One indexer task owns the single `IndexWriter`; it follows the store's change log
//! (`store::changes`) and commits at most every `search.commit_interval_ms`, recording in each
//! commit the store sequence it reached, so after a crash it catches up from there. A missing,
//! unreadable or out-of-step index is rebuilt at start.

mod counts;
mod documents;
mod indexer;
mod query;
mod rebuild;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy};

pub use counts::{IndexCheck, check_index};
pub use documents::{IndexDoc, contact_text, survey_text};
pub use indexer::spawn as spawn_indexer;
pub use query::{
    Highlighted, Hit, MAX_QUERY_CHARS, MAX_RESULT_DEPTH, RawHit, SearchPage, SearchRequest, Sort,
    direction_code,
};
pub use rebuild::{rebuild, reindex};
pub use schema::{DocKind, Fields, SCHEMA_VERSION};

use crate::store::{Store, StoreError};

/// The index's folder inside the data dir.
pub const INDEX_DIR: &str = "index";

/// Memory the writer may buffer before it flushes a segment (split over its threads).
const WRITER_MEMORY: usize = 128 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The person's query cannot be run; the text says why, for them.
    #[error("{0}")]
    BadQuery(String),
    #[error("search index error: {0}")]
    Index(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Index(e.to_string())
    }
}

/// What each index commit records: how far into the store's change log it is.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    schema: u32,
    seq: u64,
    /// The highest contact id the index may hold (absent from older indexes).
    #[serde(default)]
    contacts: Option<u64>,
}

/// How far the index has come: the store sequence it holds, and the highest contact id it
/// may hold. Contact ids only grow, so a contact past that mark is new to the index and is
/// added without first deleting an older copy; each such delete would otherwise cost
/// memory until the next commit, and work at it, for every new customer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reached {
    pub seq: u64,
    pub contacts: u64,
}

/// A cloneable handle for queries; the indexer task owns the writer.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

struct Inner {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    store: Store,
    /// The store sequence the latest commit reached (what queries see); 0 while a pending
    /// rebuild makes the old index's sequence meaningless.
    indexed: AtomicU64,
}

/// An opened index and what the indexer must do first.
pub struct Opened {
    pub search: SearchIndex,
    pub writer: IndexWriter,
    /// How far the index has come.
    pub reached: Reached,
    /// Why the index must be rebuilt before it is followed, if it must.
    pub rebuild: Option<String>,
}

impl SearchIndex {
    /// Opens the index in `dir`, or creates an empty one there when it is missing, unreadable,
    /// of another schema, or out of step with `store` (then `rebuild` says why).
    pub fn open(dir: &Path, store: &Store) -> Result<Opened, SearchError> {
        let (last_seq, first_kept, last_contact) = store.read_blocking(|txn| {
            Ok((
                crate::store::last_change_seq(txn)?,
                crate::store::changes_after(txn, 0, 1)?.first().map(|c| c.0),
                last_contact(txn)?,
            ))
        })?;
        let (index, reached, rebuild) = match open_existing(dir) {
            Ok((index, payload)) => {
                let rebuild = if payload.seq > last_seq {
                    Some(format!(
                        "the index is ahead of the store (sequence {} > {last_seq})",
                        payload.seq
                    ))
                } else if first_kept.is_some_and(|first| first > payload.seq + 1) {
                    Some(format!(
                        "the store no longer holds the changes after sequence {}",
                        payload.seq
                    ))
                } else {
                    None
                };
                // An index from before the mark may hold any contact stored now.
                let contacts = payload.contacts.unwrap_or(last_contact);
                let reached = Reached {
                    seq: payload.seq,
                    contacts,
                };
                (index, reached, rebuild)
            }
            Err(reason) => {
                let reached = Reached {
                    seq: 0,
                    contacts: last_contact,
                };
                (create_fresh(dir)?, reached, Some(reason))
            }
        };
        let fields = Fields::of(&index.schema())
            .ok_or_else(|| SearchError::Index("the new index lacks its fields".into()))?;
        let threads = std::thread::available_parallelism()
            .map(|n| n.get().min(2))
            .unwrap_or(1);
        // Started from a background thread, so its indexing and merge threads run lower.
        let writer = crate::background::run_as("parley-index", || {
            index.writer_with_num_threads(threads, WRITER_MEMORY)
        })?;
        // Segments are searched in parallel: a query matching most of a large index (a
        // common phrase) then takes about half as long on two cores.
        let mut index = index;
        index.set_multithread_executor(threads)?;
        // Reloaded by each commit (`commit`), so that a query sees it at once, and by
        // tantivy's watch of the index's meta file, so that segments merged away after the
        // last commit leave the reader: it maps each segment it holds, so the pages a merge
        // read of them, and their deleted files, would otherwise stay until the next commit.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(Opened {
            search: SearchIndex {
                inner: Arc::new(Inner {
                    index,
                    reader,
                    fields,
                    store: store.clone(),
                    indexed: AtomicU64::new(if rebuild.is_none() { reached.seq } else { 0 }),
                }),
            },
            writer,
            reached,
            rebuild,
        })
    }

    pub fn fields(&self) -> &Fields {
        &self.inner.fields
    }

    pub fn index(&self) -> &Index {
        &self.inner.index
    }

    pub fn reader(&self) -> &IndexReader {
        &self.inner.reader
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Makes the latest commit visible to queries.
    pub fn reload(&self) -> Result<(), SearchError> {
        Ok(self.inner.reader.reload()?)
    }

    /// How far into the store's change log queries see: the index is behind by the changes
    /// after this (see `store::last_change_seq`).
    pub fn indexed_seq(&self) -> u64 {
        self.inner.indexed.load(Ordering::Acquire)
    }

    /// How many documents queries see now.
    pub fn num_docs(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }
}

/// Opens an index that is ours and was committed at least once; `Err` says why not.
fn open_existing(dir: &Path) -> Result<(Index, Payload), String> {
    if !dir.join("meta.json").exists() {
        return Err(format!("there is no search index in {}", dir.display()));
    }
    let index =
        Index::open_in_dir(dir).map_err(|e| format!("the search index is unreadable: {e}"))?;
    if Fields::of(&index.schema()).is_none() {
        return Err("the search index has other fields than this build's".into());
    }
    let metas = index
        .load_metas()
        .map_err(|e| format!("the search index is unreadable: {e}"))?;
    let payload: Payload = metas
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or("the search index was never completely built")?;
    if payload.schema != SCHEMA_VERSION {
        return Err(format!(
            "the search index has schema {}, this build uses {SCHEMA_VERSION}",
            payload.schema
        ));
    }
    Ok((index, payload))
}

/// The highest contact id stored (0 when there is none).
fn last_contact(txn: &redb::ReadTransaction) -> Result<u64, StoreError> {
    use redb::ReadableTable as _;
    let contacts = txn.open_table(crate::store::CONTACTS)?;
    Ok(contacts.last()?.map_or(0, |(id, _)| id.value()))
}

/// Replaces whatever is in `dir` with an empty index.
fn create_fresh(dir: &Path) -> Result<Index, SearchError> {
    let io = |e: std::io::Error| SearchError::Index(format!("{}: {e}", dir.display()));
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io)?;
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    let (schema, _) = Fields::schema();
    Ok(Index::create_in_dir(dir, schema)?)
}

/// Commits what `writer` holds, recording how far it has come, and makes it visible.
fn commit(
    writer: &mut IndexWriter,
    search: &SearchIndex,
    reached: Reached,
) -> Result<(), SearchError> {
    let payload = serde_json::to_string(&Payload {
        schema: SCHEMA_VERSION,
        seq: reached.seq,
        contacts: Some(reached.contacts),
    })
    .map_err(|e| SearchError::Index(e.to_string()))?;
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&payload);
    prepared.commit()?;
    search.reload()?;
    search.inner.indexed.store(reached.seq, Ordering::Release);
    Ok(())
}

/// The index folder for a data dir.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(INDEX_DIR)
}
