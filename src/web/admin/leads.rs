//! A predictive campaign's leads (`/admin/campaigns/{id}/leads`): the list (`list.rs`: paged,
//! filtered by status), and importing a CSV list in two steps. The page's script sends the file as the request body (with the
//! CSRF header); the browser keeps the file, so nothing is stored between the steps.
//! 1. `POST .../preview[?map=...]`: the mapping (one select per column), the first rows and
//!    how many rows would be refused, as an HTML fragment.
//! 2. `POST .../import?map=...`: checks the file again and stores it in the background;
//!    `GET .../jobs/{token}` gives the progress, `.../jobs/{token}/errors.csv` the refused
//!    rows once finished.

mod jobs;
mod list;
mod sheet;

use crate::web::nav::Nav;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::campaigns::import::{RowError, errors_csv};
use crate::campaigns::leads;
use crate::domain::{Campaign, CampaignId, CampaignKind};
use crate::state::AppState;
use crate::store::{self, StoreError};
use crate::web::auth::AdminUser;
use crate::web::error::{ApiError, PageError};
use crate::web::views::render;

/// Largest list accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Refused rows listed in the preview.
const REASONS_SHOWN: usize = 5;

#[derive(askama::Template)]
#[template(path = "admin/leads.html")]
pub struct LeadsView {
    pub nav: Nav,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub id: CampaignId,
    pub name: String,
    pub count: u64,
    pub list: list::LeadList,
    pub max_mb: usize,
    pub max_bytes: usize,
}

/// One column of the file in the preview.
pub struct ColumnView {
    pub header: String,
    pub selected: String,
    /// (value, label)
    pub choices: Vec<(String, String)>,
}

#[derive(askama::Template)]
#[template(path = "admin/leads_preview.html")]
pub struct PreviewView {
    pub error: Option<String>,
    pub columns: Vec<ColumnView>,
    pub sample: Vec<Vec<String>>,
    /// `None` when the file cannot be imported with this mapping.
    pub counts: Option<Counts>,
    pub reasons: Vec<RowError>,
}

/// Rows in the file, and how many would be refused.
pub struct Counts {
    pub total: usize,
    pub refused: usize,
}

impl Counts {
    /// Rows that would be stored (unless the campaign has their number already).
    pub fn good(&self) -> usize {
        self.total - self.refused
    }
}

impl PreviewView {
    fn message(error: String) -> PreviewView {
        PreviewView {
            error: Some(error),
            columns: Vec::new(),
            sample: Vec::new(),
            counts: None,
            reasons: Vec::new(),
        }
    }
}

/// The predictive campaign `id`, or why not (both answered as 404).
async fn predictive(state: &AppState, id: u64) -> Result<Result<Campaign, String>, StoreError> {
    let found = state
        .store
        .read(move |txn| store::campaign(txn, CampaignId(id)))
        .await?;
    Ok(match found {
        None => Err("There is no such campaign.".into()),
        Some(c) if c.kind != CampaignKind::Predictive => Err(format!(
            "“{}” is not a predictive campaign; leads belong to predictive campaigns.",
            c.name
        )),
        Some(c) => Ok(c),
    })
}

fn page_404(message: String) -> PageError {
    PageError {
        status: StatusCode::NOT_FOUND,
        message,
    }
}

#[tracing::instrument(skip_all, fields(campaign = id))]
pub async fn leads_get(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<u64>,
    Query(query): Query<list::ListQuery>,
) -> Result<Response, PageError> {
    let campaign = predictive(&state, id).await?.map_err(page_404)?;
    let notice = query.notice.clone();
    let (count, list, campaign) = state
        .store
        .read(move |txn| {
            let count = store::count_leads(txn, campaign.id)?;
            let list = list::read(txn, &campaign, count, &query)?;
            Ok((count, list, campaign))
        })
        .await?;
    Ok(render(&LeadsView {
        nav: Nav::admin(&state, &me, "campaigns"),
        notice,
        error: None,
        id: campaign.id,
        name: campaign.name,
        count,
        list,
        max_mb: MAX_FILE_BYTES / (1024 * 1024),
        max_bytes: MAX_FILE_BYTES,
    }))
}

/// The request body, or the message for a file over the cap.
async fn file_bytes(body: Body) -> Result<axum::body::Bytes, String> {
    axum::body::to_bytes(body, MAX_FILE_BYTES)
        .await
        .map_err(|_| {
            format!(
                "The file is larger than {} MB; split it into smaller lists.",
                MAX_FILE_BYTES / (1024 * 1024)
            )
        })
}

fn fragment(status: StatusCode, view: &PreviewView) -> Response {
    match askama::Template::render(view) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => PageError::internal(e).into_response(),
    }
}

/// Step 1: the mapping and a preview.
#[tracing::instrument(skip_all, fields(campaign = id))]
pub async fn preview_post(
    State(state): State<AppState>,
    _me: AdminUser,
    Path(id): Path<u64>,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Response, PageError> {
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    if let Err(message) = predictive(&state, id).await? {
        return Ok(fragment(
            StatusCode::NOT_FOUND,
            &PreviewView::message(message),
        ));
    }
    let bytes = match file_bytes(body).await {
        Ok(b) => b,
        Err(m) => {
            return Ok(fragment(
                StatusCode::PAYLOAD_TOO_LARGE,
                &PreviewView::message(m),
            ));
        }
    };
    // Reading a large list takes a while; off the async threads.
    let reading = tokio::task::spawn_blocking(move || sheet::read(&bytes, query.as_deref()))
        .await
        .map_err(PageError::internal)?;
    let reading = match reading {
        Ok(r) => r,
        Err(m) => return Ok(fragment(refused, &PreviewView::message(m))),
    };
    let columns = reading
        .headers
        .iter()
        .zip(&reading.columns)
        .map(|(h, c)| ColumnView {
            header: h.clone(),
            selected: sheet::column_value(c),
            choices: sheet::column_choices(h, c),
        })
        .collect();
    let (status, error, counts, reasons) = match reading.parsed {
        Ok(p) => {
            let total = p.rows.len() + p.errors.len();
            let counts = Some(Counts {
                total,
                refused: p.errors.len(),
            });
            let reasons = p.errors.into_iter().take(REASONS_SHOWN).collect();
            (StatusCode::OK, None, counts, reasons)
        }
        Err(m) => (refused, Some(m), None, Vec::new()),
    };
    Ok(fragment(
        status,
        &PreviewView {
            error,
            columns,
            sample: reading.sample,
            counts,
            reasons,
        },
    ))
}

/// Step 2: checks the file with the chosen mapping and starts storing it; `{token, total}`.
#[tracing::instrument(skip_all, fields(campaign = id))]
pub async fn import_post(
    State(state): State<AppState>,
    _me: AdminUser,
    Path(id): Path<u64>,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Response, ApiError> {
    let campaign = predictive(&state, id).await?.map_err(ApiError::not_found)?;
    let bytes = file_bytes(body)
        .await
        .map_err(|m| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, m))?;
    let reading = tokio::task::spawn_blocking(move || sheet::read(&bytes, query.as_deref()))
        .await
        .map_err(ApiError::internal)?;
    let parsed = reading
        .and_then(|r| r.parsed)
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    let total = parsed.rows.len() as u64;
    let token = jobs::start(campaign.id, total, parsed.errors.clone());
    let at = state.clock.now();
    let job = token.clone();
    tokio::spawn(async move {
        let outcome = leads::store_rows(&state.store, campaign.id, parsed, at, |done, total| {
            jobs::progress(&job, done, total)
        })
        .await;
        jobs::finish(&job, outcome);
        // A running campaign picks up its new leads.
        state.scheduler.wake();
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "token": token, "total": total })),
    )
        .into_response())
}

/// An import's progress: `{done, total, finished, added, refused, failure}`.
pub async fn job_get(
    _me: AdminUser,
    Path((id, token)): Path<(u64, String)>,
) -> Result<Json<jobs::Status>, ApiError> {
    jobs::status(&token, CampaignId(id))
        .map(Json)
        .ok_or_else(|| ApiError::not_found("There is no such import (they are kept for an hour)."))
}

/// The refused rows of a finished import, as a CSV download.
pub async fn job_errors_get(
    _me: AdminUser,
    Path((id, token)): Path<(u64, String)>,
) -> Result<Response, PageError> {
    let errors = jobs::refused(&token, CampaignId(id)).ok_or_else(|| {
        page_404("There is no such finished import (they are kept for an hour).".into())
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"refused-leads.csv\"",
            ),
        ],
        errors_csv(&errors),
    )
        .into_response())
}
