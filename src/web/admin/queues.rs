//! Queues (`/admin/queues`): list, create and edit, with their wrap-up codes. A saved queue is
//! handed to the ACD at once, so a new offer timeout applies to the next offer.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Notice, redirect_with_notice, validate_name};
use crate::domain::{MAX_WRAP_UP_CODE_CHARS, MAX_WRAP_UP_CODES, Queue, QueueId, WrapUp};
use crate::state::AppState;
use crate::store::{self, SavedQueue};
use crate::web::auth::AdminUser;
use crate::web::error::PageError;
use crate::web::nav::Nav;
use crate::web::views::render;

pub const PRIORITY_RANGE: std::ops::RangeInclusive<i32> = -100..=100;
pub const OFFER_TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 5..=600;
/// A service level from 5 seconds to a day.
pub const SLA_RANGE: std::ops::RangeInclusive<u64> = 5..=86_400;

/// Why a queue was refused, per field.
#[derive(Default)]
pub struct QueueErrors {
    pub name: Option<String>,
    pub priority: Option<String>,
    pub offer_timeout: Option<String>,
    pub sla: Option<String>,
    pub wrap_up: Option<String>,
}

impl QueueErrors {
    fn any(&self) -> bool {
        self.name.is_some()
            || self.priority.is_some()
            || self.offer_timeout.is_some()
            || self.sla.is_some()
            || self.wrap_up.is_some()
    }
}

/// A queue's form: as stored, or as typed when the save was refused.
pub struct QueueForm {
    /// `None` for the new-queue form.
    pub id: Option<QueueId>,
    pub name: String,
    pub priority: String,
    pub offer_timeout: String,
    pub sla: String,
    /// Wrap-up codes, one a line.
    pub wrap_up_codes: String,
    pub wrap_up_required: bool,
    pub errors: QueueErrors,
}

impl QueueForm {
    fn of(q: &Queue) -> QueueForm {
        QueueForm {
            id: Some(q.id),
            name: q.name.clone(),
            priority: q.priority.to_string(),
            offer_timeout: q.offer_timeout_secs.to_string(),
            sla: q.sla_secs.to_string(),
            wrap_up_codes: q.wrap_up.text(),
            wrap_up_required: q.wrap_up.required,
            errors: QueueErrors::default(),
        }
    }

    fn blank(default_timeout: u64) -> QueueForm {
        QueueForm {
            id: None,
            name: String::new(),
            priority: "0".into(),
            offer_timeout: default_timeout.to_string(),
            sla: crate::domain::DEFAULT_SLA_SECS.to_string(),
            wrap_up_codes: String::new(),
            wrap_up_required: false,
            errors: QueueErrors::default(),
        }
    }

    /// Prefix of the form's element ids: `queue-3` or `queue-new`.
    pub fn key(&self) -> String {
        match self.id {
            Some(id) => format!("queue-{id}"),
            None => "queue-new".into(),
        }
    }

    pub fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/admin/queues/{id}"),
            None => "/admin/queues".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/queues.html")]
pub struct QueuesView {
    pub nav: Nav,
    pub rows: Vec<QueueForm>,
    pub new: QueueForm,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub min_priority: i32,
    pub max_priority: i32,
    pub min_timeout: u64,
    pub max_timeout: u64,
    pub min_sla: u64,
    pub max_sla: u64,
    pub max_codes: usize,
    pub max_code_chars: usize,
}

/// The page; `typed` replaces the stored queue of the same id (or the new-queue form).
async fn page(
    state: &AppState,
    me: &AdminUser,
    typed: Option<QueueForm>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<QueuesView, PageError> {
    let mut queues = state.store.read(store::all_queues).await?;
    queues.sort_by_key(|q| q.name.to_lowercase());
    let mut new = QueueForm::blank(state.config.acd.default_offer_timeout_secs);
    let mut rows: Vec<QueueForm> = queues.iter().map(QueueForm::of).collect();
    if let Some(t) = typed {
        match rows.iter_mut().find(|r| r.id.is_some() && r.id == t.id) {
            Some(row) => *row = t,
            None => new = t,
        }
    }
    Ok(QueuesView {
        nav: Nav::admin(state, me, "queues"),
        rows,
        new,
        error,
        notice,
        min_priority: *PRIORITY_RANGE.start(),
        max_priority: *PRIORITY_RANGE.end(),
        min_timeout: *OFFER_TIMEOUT_RANGE.start(),
        max_timeout: *OFFER_TIMEOUT_RANGE.end(),
        min_sla: *SLA_RANGE.start(),
        max_sla: *SLA_RANGE.end(),
        max_codes: MAX_WRAP_UP_CODES,
        max_code_chars: MAX_WRAP_UP_CODE_CHARS,
    })
}

#[tracing::instrument(skip_all)]
pub async fn queues_get(
    State(state): State<AppState>,
    me: AdminUser,
    Query(q): Query<Notice>,
) -> Result<Response, PageError> {
    Ok(render(&page(&state, &me, None, None, q.notice).await?))
}

#[derive(Deserialize)]
pub struct QueueInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    offer_timeout_secs: String,
    #[serde(default)]
    sla_secs: String,
    /// One code a line.
    #[serde(default)]
    wrap_up_codes: String,
    /// The checkbox: present when ticked.
    #[serde(default)]
    wrap_up_required: Option<String>,
}

/// What a valid form stores.
struct ValidQueue {
    name: String,
    priority: i32,
    offer_timeout_secs: u64,
    sla_secs: u64,
    wrap_up: WrapUp,
}

fn validate(input: &QueueInput) -> Result<ValidQueue, QueueErrors> {
    let mut errors = QueueErrors::default();
    let name = validate_name(&input.name, "queue")
        .map_err(|e| errors.name = Some(e))
        .ok();
    let priority = match input.priority.trim().parse::<i32>() {
        Ok(p) if PRIORITY_RANGE.contains(&p) => Some(p),
        _ => {
            errors.priority = Some(format!(
                "Priority must be a whole number from {} to {} (0 is normal; higher is offered first).",
                PRIORITY_RANGE.start(),
                PRIORITY_RANGE.end()
            ));
            None
        }
    };
    let offer_timeout_secs = match input.offer_timeout_secs.trim().parse::<u64>() {
        Ok(t) if OFFER_TIMEOUT_RANGE.contains(&t) => Some(t),
        _ => {
            errors.offer_timeout = Some(format!(
                "The offer timeout must be a whole number of seconds from {} to {}.",
                OFFER_TIMEOUT_RANGE.start(),
                OFFER_TIMEOUT_RANGE.end()
            ));
            None
        }
    };
    let sla_secs = match input.sla_secs.trim().parse::<u64>() {
        Ok(t) if SLA_RANGE.contains(&t) => Some(t),
        _ => {
            errors.sla = Some(format!(
                "The service level must be a whole number of seconds from {} to {}.",
                SLA_RANGE.start(),
                SLA_RANGE.end()
            ));
            None
        }
    };
    let wrap_up = WrapUp::parse(&input.wrap_up_codes, input.wrap_up_required.is_some())
        .map_err(|e| errors.wrap_up = Some(e))
        .ok();
    match (name, priority, offer_timeout_secs, sla_secs, wrap_up) {
        (Some(name), Some(priority), Some(offer_timeout_secs), Some(sla_secs), Some(wrap_up))
            if !errors.any() =>
        {
            Ok(ValidQueue {
                name,
                priority,
                offer_timeout_secs,
                sla_secs,
                wrap_up,
            })
        }
        _ => Err(errors),
    }
}

/// Creates a queue.
#[tracing::instrument(skip_all)]
pub async fn queues_post(
    State(state): State<AppState>,
    me: AdminUser,
    axum::Form(input): axum::Form<QueueInput>,
) -> Result<Response, PageError> {
    save(&state, &me, None, input).await
}

/// Updates a queue.
#[tracing::instrument(skip_all)]
pub async fn queue_post(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<u64>,
    axum::Form(input): axum::Form<QueueInput>,
) -> Result<Response, PageError> {
    save(&state, &me, Some(QueueId(id)), input).await
}

async fn save(
    state: &AppState,
    me: &AdminUser,
    id: Option<QueueId>,
    input: QueueInput,
) -> Result<Response, PageError> {
    let errors = match validate(&input) {
        Ok(valid) => {
            let name = valid.name.clone();
            let saved = state
                .store
                .write(move |txn| {
                    store::save_queue(
                        txn,
                        id,
                        &valid.name,
                        valid.priority,
                        valid.offer_timeout_secs,
                        valid.sla_secs,
                        valid.wrap_up,
                    )
                })
                .await?;
            match saved {
                SavedQueue::Saved(queue) => {
                    let verb = if id.is_some() { "Saved" } else { "Added" };
                    let notice = format!("{verb} queue {}.", queue.name);
                    state.acd.queue_changed(queue);
                    return Ok(redirect_with_notice("/admin/queues", &notice).into_response());
                }
                SavedQueue::Missing => {
                    return Err(PageError {
                        status: StatusCode::NOT_FOUND,
                        message: "No such queue.".into(),
                    });
                }
                SavedQueue::NameTaken => QueueErrors {
                    name: Some(format!("There is already a queue called \"{name}\".")),
                    ..QueueErrors::default()
                },
            }
        }
        Err(errors) => errors,
    };
    if let Some(id) = id
        && state
            .store
            .read(move |txn| store::queue(txn, id))
            .await?
            .is_none()
    {
        return Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: "No such queue.".into(),
        });
    }
    let what = if id.is_some() { "saved" } else { "added" };
    let summary = [
        &errors.name,
        &errors.priority,
        &errors.offer_timeout,
        &errors.sla,
        &errors.wrap_up,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect::<Vec<_>>()
    .join(" ");
    let typed = QueueForm {
        id,
        name: input.name,
        priority: input.priority,
        offer_timeout: input.offer_timeout_secs,
        sla: input.sla_secs,
        wrap_up_codes: input.wrap_up_codes,
        wrap_up_required: input.wrap_up_required.is_some(),
        errors,
    };
    let error = Some(format!("The queue was not {what}. {summary}"));
    let view = page(state, me, Some(typed), error, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response())
}
