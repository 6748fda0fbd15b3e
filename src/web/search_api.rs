//! `GET /api/search`: full-text search over every conversation for supervisors, admins and
//! API tokens acting as them. The same parameters drive the search page.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::auth::SupervisorUser;
use super::error::ApiError;
use crate::domain::{CampaignId, ContactId, Direction, QueueId, UserId, WorkitemId};
use crate::search::{DocKind, Hit, SearchError, SearchRequest, Sort};
use crate::state::AppState;

/// Results per page unless asked otherwise, and the most a page may hold.
pub const DEFAULT_PER_PAGE: usize = 20;
pub const MAX_PER_PAGE: usize = 100;

/// The query string, as typed: every field is text so each mistake gets its own message.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub contact: Option<String>,
    /// RFC 3339 instant (inclusive) or a date (from the start of that day, UTC).
    pub from: Option<String>,
    /// RFC 3339 instant (exclusive) or a date (through the end of that day, UTC).
    pub to: Option<String>,
    pub queue: Option<String>,
    pub campaign: Option<String>,
    pub agent: Option<String>,
    /// `in` or `out`.
    pub direction: Option<String>,
    /// `message`, `note`, `survey` or `contact`.
    pub kind: Option<String>,
    /// A wrap-up code (any case): records of workitems ended with it.
    pub wrap_up: Option<String>,
    /// `relevance` (default) or `newest`.
    pub sort: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// Which page of how many.
#[derive(Clone, Copy, Debug)]
pub struct Paging {
    pub page: usize,
    pub per_page: usize,
}

impl SearchParams {
    /// The search these parameters ask for, or what is wrong with them.
    pub fn to_request(&self) -> Result<(SearchRequest, Paging), String> {
        let page: usize = number(&self.page, "page")?.unwrap_or(1).max(1) as usize;
        let per_page = number(&self.per_page, "per_page")?
            .map(|n| n as usize)
            .unwrap_or(DEFAULT_PER_PAGE);
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(format!("per_page must be between 1 and {MAX_PER_PAGE}."));
        }
        let from = instant(&self.from, "from", false)?;
        let to = instant(&self.to, "to", true)?;
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            return Err("The \"from\" time must be before the \"to\" time.".into());
        }
        let request = SearchRequest {
            text: self.q.clone(),
            contact: number(&self.contact, "contact")?.map(ContactId),
            from,
            to,
            queue: number(&self.queue, "queue")?.map(QueueId),
            campaign: number(&self.campaign, "campaign")?.map(CampaignId),
            agent: number(&self.agent, "agent")?.map(UserId),
            direction: match given(&self.direction) {
                None => None,
                Some("in") => Some(Direction::In),
                Some("out") => Some(Direction::Out),
                Some(other) => {
                    return Err(format!("direction must be in or out, not \"{other}\"."));
                }
            },
            wrap_up: given(&self.wrap_up).map(str::to_owned),
            kinds: match given(&self.kind) {
                None => Vec::new(),
                Some(k) => vec![kind(k)?],
            },
            sort: match given(&self.sort) {
                None | Some("relevance") => Sort::Relevance,
                Some("newest") => Sort::Newest,
                Some(other) => {
                    return Err(format!(
                        "sort must be relevance or newest, not \"{other}\"."
                    ));
                }
            },
            offset: (page - 1).saturating_mul(per_page),
            limit: per_page,
        };
        Ok((request, Paging { page, per_page }))
    }
}

fn given(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn number(field: &Option<String>, name: &str) -> Result<Option<u64>, String> {
    match given(field) {
        None => Ok(None),
        Some(raw) => raw
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("{name} must be a whole number, not \"{raw}\".")),
    }
}

fn kind(raw: &str) -> Result<DocKind, String> {
    match raw {
        "message" => Ok(DocKind::Message),
        "note" => Ok(DocKind::Note),
        "survey" => Ok(DocKind::Survey),
        "contact" => Ok(DocKind::Contact),
        other => Err(format!(
            "kind must be message, note, survey or contact, not \"{other}\"."
        )),
    }
}

/// An RFC 3339 instant, or a date meaning the start of that day (`end_of_day`: the start of
/// the next, so a `to` date includes the whole day).
fn instant(
    field: &Option<String>,
    name: &str,
    end_of_day: bool,
) -> Result<Option<DateTime<Utc>>, String> {
    let Some(raw) = given(field) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        format!("{name} must be a date (YYYY-MM-DD) or a time (RFC 3339), not \"{raw}\".")
    })?;
    let start = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    Ok(if end_of_day {
        start.map(|s| s + Duration::days(1))
    } else {
        start
    })
}

/// One hit as the API answers it.
#[derive(Debug, Serialize)]
pub struct HitJson {
    pub kind: DocKind,
    pub id: u64,
    pub workitem: Option<WorkitemId>,
    pub contact: ContactId,
    pub at: DateTime<Utc>,
    pub direction: Option<Direction>,
    /// The matching part of the text, HTML-escaped, matches in `<mark>`.
    pub snippet_html: String,
}

impl From<Hit> for HitJson {
    fn from(h: Hit) -> Self {
        HitJson {
            kind: h.raw.kind,
            id: h.raw.id,
            workitem: h.raw.workitem,
            contact: h.raw.contact,
            at: h.raw.at,
            direction: h.raw.direction,
            snippet_html: h.snippet.to_html(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct SearchAnswer {
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub hits: Vec<HitJson>,
}

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::BadQuery(message) => ApiError::bad_request(message),
            other => ApiError::internal(other),
        }
    }
}

#[tracing::instrument(skip_all, fields(user = %user.user.username))]
pub async fn search_get(
    State(state): State<AppState>,
    user: SupervisorUser,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchAnswer>, ApiError> {
    let Query(params) =
        params.map_err(|e| ApiError::bad_request(format!("Invalid search: {}", e.body_text())))?;
    let (mut request, paging) = params.to_request().map_err(ApiError::bad_request)?;
    // Notes only for those whose class of service lets them read notes.
    super::search_page::limit_to_permissions(&mut request, &user)
        .map_err(|m| ApiError::new(axum::http::StatusCode::FORBIDDEN, m))?;
    let page = state.search.search(request, None).await?;
    Ok(Json(SearchAnswer {
        total: page.total,
        page: paging.page,
        per_page: paging.per_page,
        hits: page.hits.into_iter().map(HitJson::from).collect(),
    }))
}
