//! The audit log (`/admin/audit`, admins): every security-relevant act, newest first, with
//! filters (dates, actor, kind), paging, and the same selection as CSV (`/admin/audit.csv`).
//! Read-only: no route changes or removes an entry.

use crate::web::nav::Nav;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

use crate::domain::{AuditEntry, AuditKind, csv_cell};
use crate::state::AppState;
use crate::store::{self, AuditFilter};
use crate::web::auth::AdminUser;
use crate::web::error::PageError;
use crate::web::views::render;

/// Entries per page.
const PER_PAGE: usize = 50;
/// Most entries in one CSV export.
const MAX_EXPORT: usize = 100_000;

#[derive(Deserialize, Default, Clone)]
pub struct AuditQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    before: Option<u64>,
}

impl AuditQuery {
    /// The filter, or what cannot be read, by field.
    fn filter(&self) -> Result<AuditFilter, String> {
        let day = |raw: &str, what: &str| -> Result<Option<DateTime<Utc>>, String> {
            let raw = raw.trim();
            if raw.is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(|d| Some(d.and_time(chrono::NaiveTime::MIN).and_utc()))
                .map_err(|_| format!("{what} must be a date (YYYY-MM-DD), not \"{raw}\"."))
        };
        let kind = match self.kind.trim() {
            "" => None,
            k => Some(AuditKind::parse(k).ok_or_else(|| format!("Unknown kind \"{k}\"."))?),
        };
        let actor = self.actor.trim().to_ascii_lowercase();
        Ok(AuditFilter {
            from: day(&self.from, "From")?,
            // A "to" date includes that whole day.
            to: day(&self.to, "To")?.map(|d| d + Duration::days(1)),
            actor: (!actor.is_empty()).then_some(actor),
            kind,
        })
    }

    /// The query string of this selection, without the page.
    fn selection(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("from", self.from.trim())
            .append_pair("to", self.to.trim())
            .append_pair("actor", self.actor.trim())
            .append_pair("kind", self.kind.trim())
            .finish()
    }
}

pub struct KindChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditView {
    pub nav: Nav,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub from: String,
    pub to: String,
    pub actor: String,
    pub kinds: Vec<KindChoice>,
    pub entries: Vec<AuditEntry>,
    /// Link to the next (older) page, when there is one.
    pub older: Option<String>,
    /// Whether this is a later page (so a link back to the newest makes sense).
    pub paged: bool,
    pub csv: String,
}

impl AuditView {
    pub fn when(&self, e: &AuditEntry) -> String {
        e.at.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

#[tracing::instrument(skip_all)]
pub async fn audit_get(
    State(state): State<AppState>,
    me: AdminUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let selection = q.selection();
    let mut view = AuditView {
        nav: Nav::admin(&state, &me, "audit"),
        notice: None,
        error: None,
        from: q.from.trim().to_owned(),
        to: q.to.trim().to_owned(),
        actor: q.actor.trim().to_owned(),
        kinds: AuditKind::ALL
            .into_iter()
            .map(|k| KindChoice {
                value: k.as_str(),
                label: k.label(),
                selected: q.kind.trim() == k.as_str(),
            })
            .collect(),
        entries: Vec::new(),
        older: None,
        paged: q.before.is_some(),
        csv: format!("/admin/audit.csv?{selection}"),
    };
    let filter = match q.filter() {
        Ok(f) => f,
        Err(e) => {
            view.error = Some(e);
            return Ok((StatusCode::BAD_REQUEST, render(&view)).into_response());
        }
    };
    let before = q.before;
    let page = state
        .store
        .read(move |txn| store::audit_entries(txn, &filter, before, PER_PAGE))
        .await?;
    view.entries = page.entries.into_iter().map(|(_, e)| e).collect();
    view.older = page
        .older
        .map(|seq| format!("/admin/audit?{selection}&before={seq}"));
    Ok(render(&view))
}

#[tracing::instrument(skip_all)]
pub async fn audit_csv_get(
    State(state): State<AppState>,
    _me: AdminUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let filter = q.filter().map_err(|message| PageError {
        status: StatusCode::BAD_REQUEST,
        message,
    })?;
    let page = state
        .store
        .read(move |txn| store::audit_entries(txn, &filter, None, MAX_EXPORT))
        .await?;
    let mut csv = String::from("time,actor,client,kind,target,detail\r\n");
    for (_, e) in page.entries {
        let cells = [
            e.at.to_rfc3339(),
            e.actor_name,
            e.client,
            e.kind.as_str().to_owned(),
            e.target,
            e.detail,
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        csv.push_str(&row.join(","));
        csv.push_str("\r\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}
