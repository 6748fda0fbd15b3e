//! The History tab's search box: full-text search over one customer's messages, notes and
//! survey answers, within the chosen range, newest first, shown on the same timeline with the
//! matching words marked. Each hit's arrow unfolds the whole conversation it belongs to.

use chrono::{DateTime, Utc};

use super::TabError;
use super::history::{HistoryTab, ItemView, Marked, PAGE_SIZE};
use super::info::Stamp;
use crate::domain::{Contact, Direction};
use crate::search::{DocKind, Hit, SearchError, SearchRequest, Sort};
use crate::state::AppState;

/// Long enough to show a whole SMS (even a long one) rather than a fragment.
const HIT_CHARS: usize = 1600;

pub async fn search(
    state: &AppState,
    mut tab: HistoryTab,
    contact: &Contact,
    since: Option<DateTime<Utc>>,
    page: usize,
) -> Result<HistoryTab, TabError> {
    let page = page.max(1);
    let mut kinds = vec![DocKind::Message, DocKind::Survey];
    if !tab.notes_hidden {
        kinds.push(DocKind::Note);
    }
    let request = SearchRequest {
        text: tab.q.clone(),
        contact: Some(contact.id),
        from: since,
        kinds,
        sort: Sort::Newest,
        offset: (page - 1).saturating_mul(PAGE_SIZE),
        limit: PAGE_SIZE,
        ..SearchRequest::default()
    };
    match state.search.search(request, Some(HIT_CHARS)).await {
        Ok(found) => {
            tab.set_pages(page, found.total);
            tab.items = found.hits.into_iter().map(|h| hit_view(h, &tab)).collect();
        }
        Err(SearchError::BadQuery(message)) => tab.search_error = Some(message),
        Err(e) => return Err(TabError::internal(e)),
    }
    Ok(tab)
}

fn hit_view(hit: Hit, tab: &HistoryTab) -> ItemView {
    let raw = hit.raw;
    let base = format!("/workspace/workitems/{}", tab.workitem);
    let workitem = raw.workitem.map(|w| w.0);
    let (kind, title, detail) = match raw.kind {
        DocKind::Message => {
            let title = match raw.direction {
                Some(Direction::Out) => "Reply to the customer",
                _ => "Customer message",
            };
            (
                "message",
                title,
                format!("workitem/{}", workitem.unwrap_or(0)),
            )
        }
        DocKind::Note => ("note", "Note", format!("note/{}", raw.id)),
        DocKind::Survey => ("survey", "Survey answers", format!("survey/{}", raw.id)),
        DocKind::Contact => ("contact", "Contact details", String::new()),
    };
    let current = workitem == Some(tab.workitem);
    let facts = match (raw.kind, current) {
        (DocKind::Message, true) => "In this conversation".to_owned(),
        (DocKind::Message, false) => "The arrow shows the whole conversation".to_owned(),
        _ => String::new(),
    };
    ItemView {
        kind,
        id: raw.id,
        at: Stamp::new(raw.at),
        title: title.to_owned(),
        line: hit.snippet.plain(),
        facts,
        current,
        detail_url: format!("{base}/history/{detail}"),
        dom_id: format!("history-{}-hit-{kind}-{}", tab.scope, raw.id),
        marked: hit
            .snippet
            .parts
            .into_iter()
            .map(|(text, hit)| Marked { text, hit })
            .collect(),
    }
}
