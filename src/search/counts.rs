//! `parley check`'s look at the search index: its documents per kind against the store's
//! records, read without opening a writer (so without touching the index).

use std::path::Path;

use tantivy::collector::Count;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{ReloadPolicy, Term};

use super::{DocKind, Fields, open_existing};
use crate::store::Searchable;

/// What the check found: lines that agree, lines that disagree, and remarks that are
/// neither (an index behind the store or missing is rebuilt or caught up at the next start).
#[derive(Debug, Default)]
pub struct IndexCheck {
    pub passed: Vec<String>,
    pub problems: Vec<String>,
    pub remarks: Vec<String>,
}

/// Compares the index in `dir` with the store's searchable records, when the index holds
/// the store's changes up to `last_change` (the counts only agree then).
pub fn check_index(dir: &Path, store: Searchable, last_change: u64) -> IndexCheck {
    let mut out = IndexCheck::default();
    let (index, seq) = match open_existing(dir) {
        Ok((index, payload)) => (index, payload.seq),
        Err(why) => {
            out.remarks.push(format!(
                "search index not checked: {why}; it is rebuilt at the next start"
            ));
            return out;
        }
    };
    if seq != last_change {
        out.remarks.push(format!(
            "search index not compared: it holds the store's changes up to {seq}, the store \
             is at {last_change}; it catches up (or is rebuilt) at the next start"
        ));
        return out;
    }
    let counted = (|| -> tantivy::Result<Vec<(DocKind, u64)>> {
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let searcher = reader.searcher();
        let Some(fields) = Fields::of(&index.schema()) else {
            return Ok(Vec::new());
        };
        DocKind::ALL
            .into_iter()
            .map(|kind| {
                let term = Term::from_field_u64(fields.kind, kind.code());
                let query = TermQuery::new(term, IndexRecordOption::Basic);
                Ok((kind, searcher.search(&query, &Count)? as u64))
            })
            .collect()
    })();
    let counted = match counted {
        Ok(c) => c,
        Err(e) => {
            out.problems
                .push(format!("search index: cannot be read ({e})"));
            return out;
        }
    };
    for (kind, docs) in counted {
        let (name, records) = match kind {
            DocKind::Message => ("messages", store.messages),
            DocKind::Note => ("notes", store.notes),
            DocKind::Survey => ("survey answers", store.surveys),
            DocKind::Contact => ("contacts", store.contacts),
        };
        if docs == records {
            out.passed
                .push(format!("search index: {docs} {name}, as in the store"));
        } else {
            out.problems.push(format!(
                "search index: {docs} documents of {name}, the store holds {records}; \
                 `parley reindex` rebuilds it"
            ));
        }
    }
    out
}
