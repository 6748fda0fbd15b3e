//! The tabs of the active workitem. Each tab is a server-rendered HTML fragment loaded into
//! the workspace (`GET /workspace/workitems/{id}/tabs/{tab}`); forms inside a tab post with
//! the session's CSRF token and get the re-rendered fragment back (with errors next to the
//! fields when the input was refused), so a failed save loses nothing the agent typed.

pub mod consent;
pub mod contact;
pub mod history;
pub mod history_detail;
mod history_search;
pub mod info;
pub mod insights;
pub mod notes;
pub mod survey;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::auth::SessionInfo;
use crate::domain::{Contact, Role, Workitem, WorkitemId};
use crate::state::AppState;
use crate::store;

/// An error shown inside the tab panel.
#[derive(Debug)]
pub struct TabError {
    pub status: StatusCode,
    pub message: String,
}

impl TabError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> TabError {
        TabError {
            status,
            message: message.into(),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> TabError {
        tracing::error!(error = %cause, "tab failed");
        TabError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on the server; nothing was changed. Please try again.",
        )
    }
}

impl From<store::StoreError> for TabError {
    fn from(e: store::StoreError) -> Self {
        TabError::internal(e)
    }
}

impl From<super::error::ApiError> for TabError {
    fn from(e: super::error::ApiError) -> Self {
        TabError::new(e.status, e.message)
    }
}

impl IntoResponse for TabError {
    fn into_response(self) -> Response {
        let html = format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            askama::filters::escape(&self.message, askama::filters::Html)
                .map(|e| e.to_string())
                .unwrap_or_default()
        );
        (self.status, Html(html)).into_response()
    }
}

/// Renders a fragment with a status (422 for refused input, 200 otherwise).
pub fn fragment(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => TabError::internal(e).into_response(),
    }
}

/// The workitem and its contact, when this user may see them: its agent (offered or
/// active), or a supervisor or admin.
pub async fn workitem_for(
    state: &AppState,
    user: &SessionInfo,
    raw_id: &str,
) -> Result<(Workitem, Contact), TabError> {
    let id: WorkitemId = raw_id
        .parse()
        .map_err(|_| TabError::new(StatusCode::BAD_REQUEST, "Not a workitem id."))?;
    let found = state
        .store
        .read(move |txn| {
            let Some(w) = store::workitem(txn, id)? else {
                return Ok(None);
            };
            Ok(store::contact(txn, w.contact)?.map(|c| (w, c)))
        })
        .await?;
    match found {
        Some((w, c))
            if w.agent == Some(user.user.id) || user.user.role.at_least(Role::Supervisor) =>
        {
            Ok((w, c))
        }
        _ => Err(TabError::new(StatusCode::NOT_FOUND, "No such workitem.")),
    }
}

/// Shows a duration as people read it: `45 s`, `3 min 5 s`, `2 h 10 min`.
pub fn human_duration(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}
