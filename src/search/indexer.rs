//! The indexer task: the one owner of the `IndexWriter`. It follows the store's change log and
//! commits at most once per interval, never on a request's path. Blocking index work runs on
//! the blocking pool, with the writer moved there and back, at a lower CPU priority
//! (`background.rs`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use tantivy::IndexWriter;

use super::documents::{Source, Update, key_term};
use super::{DocKind, Opened, Reached, SearchError, SearchIndex, commit, rebuild};
use crate::store::changes_after;
use crate::tasks::{Shutdown, Tasks};

/// Changes read per read transaction while catching up.
const CHUNK: usize = 10_000;

/// Least time between two looks at the change log, so a stream of commits that change nothing
/// searchable (sessions, presence) does not keep the indexer spinning.
const MIN_GAP: Duration = Duration::from_millis(20);

/// Starts the indexer. It first rebuilds the index when `opened.rebuild` says so, then
/// catches up with the change log, then follows it.
pub fn spawn(opened: Opened, interval: Duration, shutdown: Shutdown, tasks: &mut Tasks) {
    let Opened {
        search,
        writer,
        reached,
        rebuild,
    } = opened;
    tasks.spawn(
        "search-indexer",
        run(search, writer, reached, rebuild, interval, shutdown),
    );
}

async fn run(
    search: SearchIndex,
    writer: IndexWriter,
    reached: Reached,
    rebuild_reason: Option<String>,
    interval: Duration,
    shutdown: Shutdown,
) {
    let signal = search.store().commit_signal();
    let mut state = Some(State { writer, reached });
    if let Some(reason) = rebuild_reason {
        tracing::warn!(%reason, "rebuilding the search index from the store");
        state = blocking(&search, state, |s, search| {
            let started = Instant::now();
            s.reached = rebuild(&mut s.writer, search, |_, _| {})?;
            tracing::info!(
                docs = search.num_docs(),
                seconds = started.elapsed().as_secs_f64(),
                "search index rebuilt"
            );
            Ok(())
        })
        .await;
        if let Some(seq) = state.as_ref().map(|s| s.reached.seq) {
            let _ = search.store().submit_prune_changes(seq);
        }
    }
    let mut last_commit = Instant::now();
    loop {
        let cycle_started = Instant::now();
        let before = state.as_ref().map(|s| s.reached.seq);
        state = blocking(&search, state, catch_up).await;
        let after = state.as_ref().map(|s| s.reached.seq);
        if after != before
            && let Some(seq) = after
        {
            last_commit = Instant::now();
            // The index holds these now; the log need not keep them. Not awaited: a failure
            // only leaves rows the next prune removes (they are never read again, since the
            // index's committed sequence is past them).
            let _ = search.store().submit_prune_changes(seq);
        }
        if state.is_none() || shutdown.is_triggered() {
            break;
        }
        tokio::select! {
            _ = shutdown.wait() => {}
            _ = signal.notified() => {
                let next = (last_commit + interval).max(cycle_started + MIN_GAP);
                let next = tokio::time::Instant::from_std(next);
                tokio::select! {
                    _ = shutdown.wait() => {}
                    _ = tokio::time::sleep_until(next) => {}
                }
            }
        }
    }
    if let Some(s) = state {
        // Merges in flight finish here, so the next start opens a tidy index.
        let _ = tokio::task::spawn_blocking(move || s.writer.wait_merging_threads()).await;
    }
    tracing::debug!("search indexer stopped");
}

struct State {
    writer: IndexWriter,
    /// How far the index has come, its latest commit and what the writer holds since.
    reached: Reached,
}

/// Runs `f` on the blocking pool with the writer. On failure the error is logged and the
/// indexer stops (`None`): the store keeps every change, so nothing is lost, and the next
/// start catches up or rebuilds.
async fn blocking(
    search: &SearchIndex,
    state: Option<State>,
    f: impl FnOnce(&mut State, &SearchIndex) -> Result<(), SearchError> + Send + 'static,
) -> Option<State> {
    let mut state = state?;
    let search = search.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        // A commit starts the next indexing threads from here: they too run lower.
        let result = crate::background::run_as("parley-index", || f(&mut state, &search));
        (state, result)
    })
    .await;
    match outcome {
        Ok((state, Ok(()))) => Some(state),
        Ok((_, Err(e))) => {
            tracing::error!(error = %e, "search indexing failed; search is stale until restart");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "search indexer panicked; search is stale until restart");
            None
        }
    }
}

/// Indexes every change after `state.reached.seq` and commits once, when there was any.
fn catch_up(state: &mut State, search: &SearchIndex) -> Result<(), SearchError> {
    catch_up_by(state, search, CHUNK)
}

/// [`catch_up`], reading `chunk` changes per snapshot.
fn catch_up_by(state: &mut State, search: &SearchIndex, chunk: usize) -> Result<(), SearchError> {
    let fields = *search.fields();
    let mut seq = state.reached.seq;
    let mut updates = Vec::new();
    // Documents reindexed from a snapshot newer than the change being read: a message's own
    // change may still follow. Once a snapshot shows no newer change, every one has.
    let mut reput = HashSet::new();
    loop {
        let txn = search.store().snapshot()?;
        let changes = changes_after(&txn, seq, chunk)?;
        let Some(&(last, _)) = changes.last() else {
            break;
        };
        let mut source = Source::open(&txn)?;
        for (_, change) in &changes {
            source.updates(*change, &mut updates)?;
        }
        for update in updates.drain(..) {
            match update {
                Update::Add(doc) if !reput.contains(&doc.key()) => {
                    state.writer.add_document(doc.to_tantivy(&fields))?;
                }
                Update::Put(doc)
                    if doc.kind == DocKind::Contact && doc.id > state.reached.contacts =>
                {
                    state.reached.contacts = doc.id;
                    state.writer.add_document(doc.to_tantivy(&fields))?;
                }
                Update::Add(doc) | Update::Put(doc) => {
                    let key = doc.key();
                    state.writer.delete_term(key_term(&key, &fields));
                    state.writer.add_document(doc.to_tantivy(&fields))?;
                    reput.insert(key);
                }
                Update::Delete(key) => {
                    state.writer.delete_term(key_term(&key, &fields));
                }
            }
        }
        seq = last;
    }
    if seq != state.reached.seq {
        state.reached.seq = seq;
        commit(&mut state.writer, search, state.reached)?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "indexer_tests.rs"]
mod tests;
