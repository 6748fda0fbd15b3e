//! Rebuilding the index from the store: at start when the index is missing or out of step,
//! and from `parley reindex`.

use tantivy::IndexWriter;

use super::documents::Source;
use super::{Reached, SearchError, SearchIndex, commit, create_fresh, last_contact};
use crate::store::last_change_seq;

/// Replaces every document with the store's current records, read from one consistent
/// snapshot, and commits with the snapshot's store sequence. Returns how far the index has
/// come. `progress(done, total)` follows the records read.
pub fn rebuild(
    writer: &mut IndexWriter,
    search: &SearchIndex,
    mut progress: impl FnMut(u64, u64),
) -> Result<Reached, SearchError> {
    writer.delete_all_documents()?;
    let txn = search.store().snapshot()?;
    let reached = Reached {
        seq: last_change_seq(&txn)?,
        contacts: last_contact(&txn)?,
    };
    let mut source = Source::open(&txn)?;
    let total = source.count()?;
    let fields = *search.fields();
    source.all(|docs, done| {
        for doc in docs {
            writer.add_document(doc.to_tantivy(&fields))?;
        }
        progress(done, total);
        Ok::<(), SearchError>(())
    })?;
    drop(source);
    drop(txn);
    commit(writer, search, reached)?;
    Ok(reached)
}

/// Replaces the index in `dir` with one built from `store` (the `parley reindex` command).
/// Returns the number of documents and the store sequence they reach.
pub fn reindex(
    dir: &std::path::Path,
    store: &crate::store::Store,
    progress: impl FnMut(u64, u64),
) -> Result<(u64, u64), SearchError> {
    create_fresh(dir)?;
    let mut opened = SearchIndex::open(dir, store)?;
    let reached = rebuild(&mut opened.writer, &opened.search, progress)?;
    opened.writer.wait_merging_threads()?;
    Ok((opened.search.num_docs(), reached.seq))
}
