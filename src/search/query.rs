//! Queries: the person's text parsed leniently (whatever they type gives results or a clear
//! message), filters as exact terms and a time range, hits shown from the store with the
//! matching words highlighted.

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};

use super::documents::{contact_text, survey_text, wrap_up_term};
use super::schema::{DIRECTION_IN, DIRECTION_OUT, DocKind};
use super::{SearchError, SearchIndex};
use crate::domain::{
    CampaignId, ContactId, Direction, MessageId, NoteId, QueueId, UserId, WorkitemId,
};
use crate::store;

/// Longest search text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// How deep results can be paged (offset + page size).
pub const MAX_RESULT_DEPTH: usize = 10_000;
/// Longest highlighted fragment shown for a hit, in bytes of text.
const SNIPPET_CHARS: usize = 240;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best match first (BM25).
    #[default]
    Relevance,
    Newest,
}

/// One search: the text and every filter (all optional but the text).
#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    pub text: String,
    pub contact: Option<ContactId>,
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    pub queue: Option<QueueId>,
    pub campaign: Option<CampaignId>,
    pub agent: Option<UserId>,
    pub direction: Option<Direction>,
    /// Only records of workitems ended with this wrap-up code (any case).
    pub wrap_up: Option<String>,
    /// Only these kinds of record; empty means every kind.
    pub kinds: Vec<DocKind>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
}

/// A hit as the index knows it (no text).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RawHit {
    pub kind: DocKind,
    pub id: u64,
    pub contact: ContactId,
    pub workitem: Option<WorkitemId>,
    pub at: DateTime<Utc>,
    pub direction: Option<Direction>,
}

/// Text with the matching words marked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Highlighted {
    /// Consecutive pieces of text; `true` marks a match.
    pub parts: Vec<(String, bool)>,
}

impl Highlighted {
    /// HTML with matches in `<mark>`, everything escaped.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        for (text, hit) in &self.parts {
            let escaped = askama::filters::escape(text, askama::filters::Html)
                .map(|e| e.to_string())
                .unwrap_or_default();
            if *hit {
                out.push_str("<mark>");
                out.push_str(&escaped);
                out.push_str("</mark>");
            } else {
                out.push_str(&escaped);
            }
        }
        out
    }

    pub fn plain(&self) -> String {
        self.parts.iter().map(|(t, _)| t.as_str()).collect()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    #[serde(flatten)]
    pub raw: RawHit,
    pub snippet: Highlighted,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchPage<H> {
    /// Every match, not only this page's.
    pub total: usize,
    pub hits: Vec<H>,
}

/// A search's index part: the page, the searcher it read, and the text query (for snippets).
struct Ran {
    page: SearchPage<RawHit>,
    searcher: Searcher,
    query: Box<dyn Query>,
}

impl SearchIndex {
    /// Runs the index part of a search only: matching documents and their stored fields.
    pub fn search_raw(&self, req: &SearchRequest) -> Result<SearchPage<RawHit>, SearchError> {
        Ok(self.run(req)?.page)
    }

    /// A search with each hit's text read from the store and its matches highlighted
    /// (blocking: call from the blocking pool, or use [`SearchIndex::search`]).
    pub fn search_blocking(
        &self,
        req: &SearchRequest,
        snippet_chars: Option<usize>,
    ) -> Result<SearchPage<Hit>, SearchError> {
        let Ran {
            page,
            searcher,
            query,
        } = self.run(req)?;
        let max_chars = snippet_chars.unwrap_or(SNIPPET_CHARS);
        let mut snippets = SnippetGenerator::create(&searcher, &*query, self.fields().text)?;
        snippets.set_max_num_chars(max_chars);
        let txn = self.store().snapshot()?;
        let mut hits = Vec::with_capacity(page.hits.len());
        for raw in page.hits {
            let text = text_of(&txn, &raw)?;
            let snippet = snippets.snippet(&text);
            let highlighted = if snippet.highlighted().is_empty() {
                // Nothing to mark (e.g. the record changed since): show the start of the text.
                Highlighted {
                    parts: vec![(truncate(&text, max_chars), false)],
                }
            } else {
                highlight(&text, &snippet, max_chars)
            };
            hits.push(Hit {
                raw,
                snippet: highlighted,
            });
        }
        Ok(SearchPage {
            total: page.total,
            hits,
        })
    }

    /// [`SearchIndex::search_blocking`] on the blocking pool.
    pub async fn search(
        &self,
        req: SearchRequest,
        snippet_chars: Option<usize>,
    ) -> Result<SearchPage<Hit>, SearchError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.search_blocking(&req, snippet_chars))
            .await
            .map_err(|e| SearchError::Index(format!("search task failed: {e}")))?
    }

    fn run(&self, req: &SearchRequest) -> Result<Ran, SearchError> {
        let limit = req.limit.max(1);
        if req.offset.saturating_add(limit) > MAX_RESULT_DEPTH {
            return Err(SearchError::BadQuery(format!(
                "Only the first {MAX_RESULT_DEPTH} results can be paged through; narrow the search."
            )));
        }
        let text_query = self.parse_text(&req.text)?;
        let query = self.with_filters(req, text_query.box_clone());
        let searcher = self.reader().searcher();
        let top = TopDocs::with_limit(limit).and_offset(req.offset);
        let (total, addresses): (usize, Vec<DocAddress>) = match req.sort {
            Sort::Relevance => {
                let (n, docs) = searcher.search(&query, &(Count, top.order_by_score()))?;
                (n, docs.into_iter().map(|(_, a)| a).collect())
            }
            Sort::Newest => {
                let newest = top.order_by_fast_field::<i64>("at", Order::Desc);
                let (n, docs) = searcher.search(&query, &(Count, newest))?;
                (n, docs.into_iter().map(|(_, a)| a).collect())
            }
        };
        let hits = addresses
            .into_iter()
            .map(|a| self.raw_hit(&searcher, a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Ran {
            page: SearchPage { total, hits },
            searcher,
            query: text_query,
        })
    }

    /// The person's words as a query over the text. Field syntax is not theirs to use (it
    /// would reach the filter fields), so colons are read as spaces; the lenient parser turns
    /// anything else odd (unbalanced quotes, brackets) into the best query it can.
    fn parse_text(&self, text: &str) -> Result<Box<dyn Query>, SearchError> {
        let text = text.trim();
        let chars = text.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(SearchError::BadQuery(format!(
                "The search text can be at most {MAX_QUERY_CHARS} characters; this one has {chars}."
            )));
        }
        let cleaned = text.replace(':', " ");
        let mut parser = QueryParser::for_index(self.index(), vec![self.fields().text]);
        parser.set_conjunction_by_default();
        let (query, _) = parser.parse_query_lenient(&cleaned);
        let mut has_terms = false;
        query.query_terms(&mut |_, _| has_terms = true);
        if !has_terms {
            return Err(SearchError::BadQuery(
                "Type at least one word to search for.".into(),
            ));
        }
        Ok(query)
    }

    fn with_filters(&self, req: &SearchRequest, text: Box<dyn Query>) -> BooleanQuery {
        let f = self.fields();
        let term = |field, value: u64| -> (Occur, Box<dyn Query>) {
            let t = Term::from_field_u64(field, value);
            (
                Occur::Must,
                Box::new(TermQuery::new(t, IndexRecordOption::Basic)),
            )
        };
        let mut clauses = vec![(Occur::Must, text)];
        if let Some(c) = req.contact {
            clauses.push(term(f.contact, c.0));
        }
        if let Some(q) = req.queue {
            clauses.push(term(f.queue, q.0));
        }
        if let Some(c) = req.campaign {
            clauses.push(term(f.campaign, c.0));
        }
        if let Some(a) = req.agent {
            clauses.push(term(f.agent, a.0));
        }
        if let Some(d) = req.direction {
            clauses.push(term(f.direction, direction_code(d)));
        }
        if let Some(code) = &req.wrap_up {
            let t = Term::from_field_text(f.wrap_up, &wrap_up_term(code));
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(t, IndexRecordOption::Basic)),
            ));
        }
        if !req.kinds.is_empty() {
            let any: Vec<(Occur, Box<dyn Query>)> = req
                .kinds
                .iter()
                .map(|k| {
                    let (_, q) = term(f.kind, k.code());
                    (Occur::Should, q)
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if req.from.is_some() || req.to.is_some() {
            use std::ops::Bound;
            let bound = |t: Option<DateTime<Utc>>, inclusive: bool| match t {
                None => Bound::Unbounded,
                Some(t) => {
                    let term = Term::from_field_i64(f.at, t.timestamp_millis());
                    if inclusive {
                        Bound::Included(term)
                    } else {
                        Bound::Excluded(term)
                    }
                }
            };
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(bound(req.from, true), bound(req.to, false))),
            ));
        }
        BooleanQuery::new(clauses)
    }

    fn raw_hit(&self, searcher: &Searcher, address: DocAddress) -> Result<RawHit, SearchError> {
        let f = self.fields();
        let doc: TantivyDocument = searcher.doc(address)?;
        let u64_of = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0);
        let kind = DocKind::from_code(u64_of(f.kind))
            .ok_or_else(|| SearchError::Index("a document of unknown kind".into()))?;
        let millis = doc.get_first(f.at).and_then(|v| v.as_i64()).unwrap_or(0);
        let workitem = u64_of(f.workitem);
        Ok(RawHit {
            kind,
            id: u64_of(f.id),
            contact: ContactId(u64_of(f.contact)),
            workitem: (workitem != 0).then_some(WorkitemId(workitem)),
            at: Utc
                .timestamp_millis_opt(millis)
                .single()
                .unwrap_or_default(),
            direction: match u64_of(f.direction) {
                DIRECTION_IN => Some(Direction::In),
                DIRECTION_OUT => Some(Direction::Out),
                _ => None,
            },
        })
    }
}

pub fn direction_code(d: Direction) -> u64 {
    match d {
        Direction::In => DIRECTION_IN,
        Direction::Out => DIRECTION_OUT,
    }
}

/// The searchable text of a hit, from the store (empty when the record is gone since).
fn text_of(txn: &redb::ReadTransaction, hit: &RawHit) -> Result<String, SearchError> {
    Ok(match hit.kind {
        DocKind::Message => store::message(txn, MessageId(hit.id))?
            .map(|m| m.body)
            .unwrap_or_default(),
        DocKind::Note => store::note(txn, NoteId(hit.id))?
            .map(|n| n.body)
            .unwrap_or_default(),
        DocKind::Survey => store::survey_response(txn, WorkitemId(hit.id))?
            .map(|r| survey_text(&r))
            .unwrap_or_default(),
        DocKind::Contact => store::contact(txn, ContactId(hit.id))?
            .map(|c| contact_text(&c))
            .unwrap_or_default(),
    })
}

/// The whole text with its matches marked when it is short enough to show whole; otherwise
/// the best fragment, with an ellipsis where text was cut.
fn highlight(text: &str, snippet: &tantivy::snippet::Snippet, max_chars: usize) -> Highlighted {
    let offset = snippet.fragment_range().start;
    if text.len() <= max_chars {
        let ranges: Vec<_> = snippet
            .highlighted()
            .iter()
            .map(|r| r.start + offset..r.end + offset)
            .collect();
        return split(text, &ranges);
    }
    let mut out = split(snippet.fragment(), snippet.highlighted());
    if offset > 0 {
        out.parts.insert(0, ("…".to_owned(), false));
    }
    if snippet.fragment_range().end < text.len() {
        out.parts.push(("…".to_owned(), false));
    }
    out
}

/// Splits a fragment into plain and highlighted pieces.
fn split(fragment: &str, highlighted: &[std::ops::Range<usize>]) -> Highlighted {
    let mut parts = Vec::new();
    let mut at = 0;
    for range in highlighted {
        if range.start > at {
            parts.push((fragment[at..range.start].to_owned(), false));
        }
        parts.push((fragment[range.clone()].to_owned(), true));
        at = range.end;
    }
    if at < fragment.len() {
        parts.push((fragment[at..].to_owned(), false));
    }
    Highlighted { parts }
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}
