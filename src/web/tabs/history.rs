//! The History tab (and the history side panel, the same fragment): every workitem, note and
//! survey answer of the workitem's customer, newest first, a page at a time, limited to a
//! time range the agent picks. The pick is saved per user by a CSRF-checked POST; GETs never
//! write. Each item's detail (transcript, note text, answers) loads on demand from
//! `history_detail.rs`; the search box is in `history_search.rs`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::info::Stamp;
use super::{TabError, fragment, human_duration, workitem_for};
use crate::domain::{Contact, Direction, Permission, Workitem, WorkitemState};
use crate::state::AppState;
use crate::store::{self, HistoryEntry, HistoryItem, HistoryQuery, HistoryRange};
use crate::web::auth::{AgentUser, SessionInfo};

/// Items per page.
pub const PAGE_SIZE: usize = 20;

/// One choice of the range drop-down.
pub struct RangeOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// One timeline item as the list shows it.
pub struct ItemView {
    pub kind: &'static str,
    pub id: u64,
    pub at: Stamp,
    pub title: String,
    /// The first line: the conversation's first words, the note's start, the survey's name.
    pub line: String,
    /// Short facts joined with " · " (direction, duration, state, queue, campaign, agent).
    pub facts: String,
    /// The workitem this history is shown for.
    pub current: bool,
    pub detail_url: String,
    /// Unique within the page, whatever container shows the fragment.
    pub dom_id: String,
    /// A search hit's text with the matching words marked (empty on the plain timeline).
    pub marked: Vec<Marked>,
}

/// A piece of a search hit's text; `hit` pieces are the matching words.
pub struct Marked {
    pub text: String,
    pub hit: bool,
}

#[derive(Template)]
#[template(path = "tabs/history.html")]
pub struct HistoryTab {
    pub workitem: u64,
    /// Which container the fragment is for (`tab` or `side`): prefixes its element ids.
    pub scope: String,
    pub range: &'static str,
    pub ranges: Vec<RangeOption>,
    pub items: Vec<ItemView>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub newer_url: Option<String>,
    pub older_url: Option<String>,
    /// Notes are left out because this user may not read them.
    pub notes_hidden: bool,
    /// The search text when the list shows search hits (empty: the plain timeline).
    pub q: String,
    /// Why the search could not run, in words for the agent.
    pub search_error: Option<String>,
}

impl HistoryTab {
    /// The frame of the fragment for `range`, with no items yet.
    pub fn frame(w: &Workitem, range: HistoryRange, scope: String, q: String, notes: bool) -> Self {
        HistoryTab {
            workitem: w.id.0,
            range: range.as_str(),
            ranges: HistoryRange::ALL
                .into_iter()
                .map(|r| RangeOption {
                    value: r.as_str(),
                    label: r.label(),
                    selected: r == range,
                })
                .collect(),
            items: Vec::new(),
            total: 0,
            page: 1,
            pages: 1,
            newer_url: None,
            older_url: None,
            notes_hidden: !notes,
            scope,
            q,
            search_error: None,
        }
    }

    /// Sets the page and its Newer/Older links (which keep the range, scope and search).
    pub fn set_pages(&mut self, page: usize, total: usize) {
        self.total = total;
        self.pages = total.div_ceil(PAGE_SIZE).max(1);
        self.page = page;
        // The search, when there is one, stays on every page.
        let q = match self.q.is_empty() {
            true => String::new(),
            false => {
                let encoded: String = form_urlencoded::byte_serialize(self.q.as_bytes()).collect();
                format!("&q={encoded}")
            }
        };
        let link = |p: usize| {
            format!(
                "/workspace/workitems/{}/tabs/history?range={}&page={p}&scope={}{q}",
                self.workitem, self.range, self.scope
            )
        };
        self.newer_url = (page > 1).then(|| link(page - 1));
        self.older_url = (page < self.pages).then(|| link(page + 1));
    }
}

#[derive(Deserialize)]
pub struct HistoryParams {
    range: Option<String>,
    page: Option<String>,
    scope: Option<String>,
    /// Search text: show the matching items instead of the whole timeline.
    q: Option<String>,
}

/// A container name made of a few lower-case letters, else `tab`.
fn scope_of(raw: Option<&str>) -> String {
    match raw {
        Some(s) if (1..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase()) => {
            s.to_owned()
        }
        _ => "tab".to_owned(),
    }
}

fn parse_range(raw: &str) -> Result<HistoryRange, TabError> {
    HistoryRange::parse(raw).ok_or_else(|| {
        TabError::new(
            StatusCode::BAD_REQUEST,
            "Unknown time range; choose one from the list.",
        )
    })
}

/// The range this user chose last, or the default.
async fn saved_range(state: &AppState, user: &SessionInfo) -> Result<HistoryRange, TabError> {
    let id = user.user.id;
    let prefs = state
        .store
        .read(move |txn| store::user_prefs(txn, id))
        .await?;
    Ok(prefs
        .history_range
        .as_deref()
        .and_then(HistoryRange::parse)
        .unwrap_or(HistoryRange::DEFAULT))
}

#[tracing::instrument(skip_all)]
pub async fn history_get(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
    Query(params): Query<HistoryParams>,
) -> Result<Response, TabError> {
    let (w, contact) = workitem_for(&state, &user, &id).await?;
    let range = match params.range.as_deref() {
        Some(raw) => parse_range(raw)?,
        None => saved_range(&state, &user).await?,
    };
    let page = params
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1);
    let scope = scope_of(params.scope.as_deref());
    let q = params.q.unwrap_or_default();
    let view = timeline(&state, &user, &w, &contact, range, page, scope, q).await?;
    Ok(fragment(StatusCode::OK, &view))
}

#[derive(Deserialize)]
pub struct RangeForm {
    #[serde(default)]
    range: String,
    scope: Option<String>,
    /// The search shown when the range changed; it stays.
    q: Option<String>,
}

/// Saves the agent's range (the middleware has checked the CSRF token) and answers with the
/// first page of the timeline in that range.
#[tracing::instrument(skip_all)]
pub async fn history_range_post(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<RangeForm>,
) -> Result<Response, TabError> {
    let (w, contact) = workitem_for(&state, &user, &id).await?;
    let range = parse_range(&form.range)?;
    let me = user.user.id;
    state
        .store
        .write(move |txn| {
            store::update_user_prefs(txn, me, |p| {
                p.history_range = Some(range.as_str().to_owned())
            })
        })
        .await?;
    let scope = scope_of(form.scope.as_deref());
    let q = form.q.unwrap_or_default();
    let view = timeline(&state, &user, &w, &contact, range, 1, scope, q).await?;
    Ok(fragment(StatusCode::OK, &view))
}

#[allow(clippy::too_many_arguments)] // one fragment, every input it shows
async fn timeline(
    state: &AppState,
    user: &SessionInfo,
    w: &Workitem,
    contact: &Contact,
    range: HistoryRange,
    page: usize,
    scope: String,
    q: String,
) -> Result<HistoryTab, TabError> {
    let now = state.clock.now();
    let notes = user.may(Permission::NotesRead);
    if !q.trim().is_empty() {
        let tab = HistoryTab::frame(w, range, scope, q, notes);
        return super::history_search::search(state, tab, contact, range.since(now), page).await;
    }
    let mut query = HistoryQuery {
        contact: contact.id,
        since: range.since(now),
        offset: 0,
        limit: PAGE_SIZE,
        notes,
    };
    // Past the last page: show the last one.
    let wanted = page.max(1);
    let found = state
        .store
        .read(move |txn| {
            query.offset = (wanted - 1) * PAGE_SIZE;
            let first = store::history_page(txn, query)?;
            let pages = first.total.div_ceil(PAGE_SIZE).max(1);
            if wanted <= pages {
                return Ok((first, wanted));
            }
            query.offset = (pages - 1) * PAGE_SIZE;
            Ok((store::history_page(txn, query)?, pages))
        })
        .await?;
    let (found, page) = found;
    let base = format!("/workspace/workitems/{}", w.id);
    let mut tab = HistoryTab::frame(w, range, scope, String::new(), notes);
    tab.set_pages(page, found.total);
    tab.items = found
        .entries
        .into_iter()
        .map(|e| item_view(e, w, &base, &tab.scope, now))
        .collect();
    Ok(tab)
}

fn item_view(
    e: HistoryEntry,
    open: &Workitem,
    base: &str,
    scope: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> ItemView {
    let kind = e.kind.as_str();
    let (title, line, facts, current) = match e.item {
        HistoryItem::Workitem(s) => {
            let w = &s.workitem;
            let mut facts = vec![match s.started {
                Some(Direction::Out) => "Outbound".to_owned(),
                Some(Direction::In) => "Inbound".to_owned(),
                None => "No messages".to_owned(),
            }];
            facts.push(match w.terminated_at {
                Some(end) => human_duration(end - w.created_at),
                None => format!("ongoing, {} so far", human_duration(now - w.created_at)),
            });
            facts.push(state_word(w.state).to_owned());
            facts.extend(s.queue);
            facts.extend(s.campaign);
            facts.extend(s.agent);
            facts.extend(w.wrap_up.as_ref().map(|c| format!("wrap-up: {c}")));
            let messages = match s.messages {
                1 => "1 message".to_owned(),
                n => format!("{n} messages"),
            };
            facts.push(messages);
            let current = w.id == open.id;
            let title = if current {
                "SMS conversation (this one)".to_owned()
            } else {
                "SMS conversation".to_owned()
            };
            (title, w.preview.clone(), facts, current)
        }
        HistoryItem::Note(n) => (
            format!("Note by {}", n.author_name),
            crate::domain::preview(&n.body),
            Vec::new(),
            false,
        ),
        HistoryItem::Survey {
            workitem,
            response,
            survey_name,
            by,
        } => {
            let answered = match response.answers.len() {
                1 => "1 answer".to_owned(),
                n => format!("{n} answers"),
            };
            let mut facts = vec![answered];
            facts.extend(by.map(|b| format!("by {b}")));
            (
                "Survey answers".to_owned(),
                survey_name.unwrap_or_else(|| "A survey that no longer exists".to_owned()),
                facts,
                workitem == open.id,
            )
        }
    };
    ItemView {
        kind,
        id: e.id,
        at: Stamp::new(e.at),
        title,
        line,
        facts: facts.join(" · "),
        current,
        detail_url: format!("{base}/history/{kind}/{}", e.id),
        dom_id: format!("history-{scope}-{kind}-{}", e.id),
        marked: Vec::new(),
    }
}

fn state_word(s: WorkitemState) -> &'static str {
    match s {
        WorkitemState::Queued => "queued",
        WorkitemState::Offered => "offered",
        WorkitemState::Active => "active",
        WorkitemState::Terminated => "ended",
    }
}
