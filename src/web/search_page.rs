//! `GET /search`: the supervisors' search page over every conversation. A plain GET form
//! (it changes nothing, so it needs no CSRF token) read by the same parser as
//! `GET /api/search`, so the page and the API accept and refuse exactly the same searches.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::auth::{SessionInfo, SupervisorUser};
use super::error::PageError;
use super::search_api::SearchParams;
use super::tabs::info::Stamp;
use crate::domain::{Direction, MessageId, NoteId, Permission, Queue, UserId};
use crate::search::{DocKind, Hit, MAX_RESULT_DEPTH, SearchError, SearchPage, SearchRequest};
use crate::state::AppState;
use crate::store;
use crate::web::nav::{self, Nav};

/// One option of a drop-down.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One hit as the page lists it.
pub struct HitRow {
    /// `message`, `note`, `survey` or `contact` (a CSS class).
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub at: Stamp,
    /// `inbound` or `outbound` for messages.
    pub direction: Option<&'static str>,
    /// The contact's name, or their number when they have none.
    pub customer: String,
    pub agent: Option<String>,
    /// The snippet: consecutive pieces of text, `true` for a match (drawn in `<mark>`).
    pub parts: Vec<(String, bool)>,
    /// The workitem page (or the contacts page for a contact).
    pub url: String,
}

/// The results part of the page.
pub struct Results {
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub hits: Vec<HitRow>,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchView {
    pub nav: Nav,
    /// What was typed, shown again in the form.
    pub q: String,
    pub from: String,
    pub to: String,
    pub queues: Vec<Choice>,
    pub campaigns: Vec<Choice>,
    pub agents: Vec<Choice>,
    pub directions: Vec<Choice>,
    pub kinds: Vec<Choice>,
    /// Every queue's wrap-up codes (empty: the filter is not shown).
    pub wrap_ups: Vec<Choice>,
    pub sorts: Vec<Choice>,
    /// Kept as hidden fields when a link set them (the form has no control for them).
    pub hidden: Vec<(&'static str, String)>,
    /// Why the search could not run.
    pub error: Option<String>,
    pub results: Option<Results>,
}

fn text(field: &Option<String>) -> String {
    field.clone().unwrap_or_default()
}

/// Options with "any" first; the one equal to the typed value is selected.
fn choices(any: &str, typed: &Option<String>, options: Vec<(String, String)>) -> Vec<Choice> {
    let typed = typed.as_deref().map(str::trim).unwrap_or("");
    std::iter::once((String::new(), any.to_owned()))
        .chain(options)
        .map(|(value, label)| Choice {
            selected: value == typed,
            value,
            label,
        })
        .collect()
}

fn fixed(options: &[(&str, &str)]) -> Vec<(String, String)> {
    options
        .iter()
        .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
        .collect()
}

/// The page's address with these parameters on page `page` (empty ones left out).
fn page_url(p: &SearchParams, page: usize) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    let fields = [
        ("q", Some(&p.q)),
        ("from", p.from.as_ref()),
        ("to", p.to.as_ref()),
        ("queue", p.queue.as_ref()),
        ("campaign", p.campaign.as_ref()),
        ("agent", p.agent.as_ref()),
        ("direction", p.direction.as_ref()),
        ("kind", p.kind.as_ref()),
        ("wrap_up", p.wrap_up.as_ref()),
        ("sort", p.sort.as_ref()),
        ("contact", p.contact.as_ref()),
        ("per_page", p.per_page.as_ref()),
    ];
    for (name, value) in fields {
        if let Some(v) = value.map(|v| v.trim()).filter(|v| !v.is_empty()) {
            out.append_pair(name, v);
        }
    }
    out.append_pair("page", &page.to_string());
    format!("/search?{}", out.finish())
}

/// Notes are only for users whose class of service allows reading them: without it a search
/// leaves them out, and asking for notes only is refused.
pub(crate) fn limit_to_permissions(
    req: &mut SearchRequest,
    me: &SessionInfo,
) -> Result<(), String> {
    if me.may(Permission::NotesRead) {
        return Ok(());
    }
    if req.kinds.contains(&DocKind::Note) {
        return Err(format!(
            "Your class of service does not allow reading notes ({}).",
            Permission::NotesRead.as_str()
        ));
    }
    if req.kinds.is_empty() {
        req.kinds = DocKind::ALL
            .into_iter()
            .filter(|k| *k != DocKind::Note)
            .collect();
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(user = %me.user.username))]
pub async fn search_page_get(
    State(state): State<AppState>,
    me: SupervisorUser,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, PageError> {
    let (params, mut error) = match params {
        Ok(Query(p)) => (p, None),
        Err(e) => (
            SearchParams::default(),
            Some(format!("Invalid search: {}", e.body_text())),
        ),
    };
    let (queues, campaigns, users) = state
        .store
        .read(|txn| {
            Ok((
                store::all_queues(txn)?,
                store::all_campaigns(txn)?,
                store::all_users(txn)?,
            ))
        })
        .await?;
    let mut results = None;
    if error.is_none() && !params.q.trim().is_empty() {
        match params.to_request().and_then(|(mut req, paging)| {
            limit_to_permissions(&mut req, &me)?;
            Ok((req, paging))
        }) {
            Err(message) => error = Some(message),
            Ok((req, paging)) => match state.search.search(req, None).await {
                Err(SearchError::BadQuery(message)) => error = Some(message),
                Err(other) => return Err(PageError::internal(other)),
                Ok(found) => {
                    let pages = found.total.div_ceil(paging.per_page).max(1);
                    let can_reach =
                        |page: usize| page.saturating_mul(paging.per_page) <= MAX_RESULT_DEPTH;
                    let next = paging.page + 1;
                    results = Some(Results {
                        total: found.total,
                        page: paging.page,
                        pages,
                        hits: rows(&state, found).await?,
                        prev_url: (paging.page > 1)
                            .then(|| page_url(&params, (paging.page - 1).min(pages))),
                        next_url: (next <= pages && can_reach(next))
                            .then(|| page_url(&params, next)),
                    });
                }
            },
        }
    }
    let wrap_ups = wrap_up_choices(&queues, &params.wrap_up);
    let mut sorted_queues: Vec<_> = queues.into_iter().map(|q| (q.id.0, q.name)).collect();
    sorted_queues.sort_by_key(|(_, name)| name.to_lowercase());
    let mut sorted_campaigns: Vec<_> = campaigns.into_iter().map(|c| (c.id.0, c.name)).collect();
    sorted_campaigns.sort_by_key(|(_, name)| name.to_lowercase());
    let mut sorted_users: Vec<_> = users
        .into_iter()
        .map(|u| (u.id.0, format!("{} ({})", u.display_name, u.username)))
        .collect();
    sorted_users.sort_by_key(|(_, name)| name.to_lowercase());
    let ids = |v: Vec<(u64, String)>| -> Vec<(String, String)> {
        v.into_iter().map(|(id, n)| (id.to_string(), n)).collect()
    };
    let hidden = [("contact", &params.contact), ("per_page", &params.per_page)]
        .into_iter()
        .filter_map(|(n, v)| Some((n, v.clone()?)).filter(|(_, v)| !v.trim().is_empty()))
        .collect();
    let view = SearchView {
        nav: Nav::new(&me, nav::SEARCH, "Search"),
        q: params.q.clone(),
        from: text(&params.from),
        to: text(&params.to),
        queues: choices("Any queue", &params.queue, ids(sorted_queues)),
        campaigns: choices("Any campaign", &params.campaign, ids(sorted_campaigns)),
        agents: choices("Any agent", &params.agent, ids(sorted_users)),
        directions: choices(
            "Either direction",
            &params.direction,
            fixed(&[
                ("in", "Inbound (from customers)"),
                ("out", "Outbound (to customers)"),
            ]),
        ),
        kinds: choices(
            "Everything",
            &params.kind,
            fixed(&[
                ("message", "Messages"),
                ("note", "Notes"),
                ("survey", "Survey answers"),
                ("contact", "Contacts"),
            ]),
        ),
        wrap_ups,
        sorts: {
            // Relevance is the default, so it stands in for "nothing chosen".
            let mut s = choices(
                "Best match",
                &params.sort,
                fixed(&[("newest", "Newest first")]),
            );
            if let Some(first) = s.first_mut() {
                first.value = "relevance".into();
                first.selected =
                    first.selected || params.sort.as_deref().map(str::trim) == Some("relevance");
            }
            s
        },
        hidden,
        error,
        results,
    };
    // A refused search is the person's mistake: 400, with the page drawn as usual.
    let status = if view.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((status, super::views::render(&view)).into_response())
}

/// The wrap-up filter's options: every queue's codes once (case aside), sorted; a typed code
/// no queue has (any more) stays chosen. Empty when no queue has codes.
fn wrap_up_choices(queues: &[Queue], typed: &Option<String>) -> Vec<Choice> {
    let mut codes: Vec<String> = Vec::new();
    for code in queues.iter().flat_map(|q| &q.wrap_up.codes) {
        if !codes
            .iter()
            .any(|c| c.to_lowercase() == code.to_lowercase())
        {
            codes.push(code.clone());
        }
    }
    let typed_code = typed.as_deref().map(str::trim).unwrap_or("");
    if !typed_code.is_empty()
        && !codes
            .iter()
            .any(|c| c.to_lowercase() == typed_code.to_lowercase())
    {
        codes.push(typed_code.to_owned());
    }
    if codes.is_empty() {
        return Vec::new();
    }
    codes.sort_by_key(|c| c.to_lowercase());
    let mut out = choices(
        "Any wrap-up",
        &None,
        codes.into_iter().map(|c| (c.clone(), c)).collect(),
    );
    for c in &mut out {
        c.selected = c.value.to_lowercase() == typed_code.to_lowercase();
    }
    out
}

/// Who each hit is about and where it leads, read from the store in one snapshot.
async fn rows(state: &AppState, found: SearchPage<Hit>) -> Result<Vec<HitRow>, PageError> {
    Ok(state
        .store
        .read(move |txn| {
            let mut names: HashMap<UserId, Option<String>> = HashMap::new();
            let mut name_of = |txn: &redb::ReadTransaction, id: UserId| {
                if let Some(n) = names.get(&id) {
                    return Ok::<_, store::StoreError>(n.clone());
                }
                let n = store::user(txn, id)?.map(|u| u.display_name);
                names.insert(id, n.clone());
                Ok(n)
            };
            let mut out = Vec::with_capacity(found.hits.len());
            for hit in found.hits {
                let raw = hit.raw;
                let contact = store::contact(txn, raw.contact)?;
                let customer = contact
                    .as_ref()
                    .map(|c| c.display_name())
                    .unwrap_or_else(|| format!("contact #{}", raw.contact));
                let contacts_url = {
                    let q = contact
                        .as_ref()
                        .map(|c| c.mobile.to_string())
                        .unwrap_or_default();
                    let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
                    format!("/contacts?q={q}")
                };
                let workitem = match raw.workitem {
                    Some(w) => store::workitem(txn, w)?,
                    None => None,
                };
                let workitem_agent = match workitem.as_ref().and_then(|w| w.agent) {
                    Some(a) => name_of(txn, a)?,
                    None => None,
                };
                let (kind, kind_label, agent, url) = match raw.kind {
                    DocKind::Message => {
                        // An outbound message names its writer; else the workitem's agent.
                        let writer =
                            match store::message(txn, MessageId(raw.id))?.and_then(|m| m.agent) {
                                Some(a) => name_of(txn, a)?,
                                None => None,
                            };
                        let url = match raw.workitem {
                            Some(w) => format!("/workitems/{w}?hit={id}#m{id}", id = raw.id),
                            None => contacts_url,
                        };
                        ("message", "Message", writer.or(workitem_agent), url)
                    }
                    DocKind::Note => {
                        let author = store::note(txn, NoteId(raw.id))?.map(|n| n.author_name);
                        let url = match raw.workitem {
                            Some(w) => format!("/workitems/{w}#n{}", raw.id),
                            None => contacts_url,
                        };
                        ("note", "Note", author, url)
                    }
                    DocKind::Survey => (
                        "survey",
                        "Survey answers",
                        workitem_agent,
                        format!("/workitems/{}#survey", raw.id),
                    ),
                    DocKind::Contact => ("contact", "Contact", None, contacts_url),
                };
                out.push(HitRow {
                    kind,
                    kind_label,
                    at: Stamp::new(raw.at),
                    direction: raw.direction.map(|d| match d {
                        Direction::In => "inbound",
                        Direction::Out => "outbound",
                    }),
                    customer,
                    agent,
                    parts: hit.snippet.parts,
                    url,
                });
            }
            Ok(out)
        })
        .await?)
}
