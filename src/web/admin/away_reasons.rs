//! Away reasons (`/admin/away-reasons`): the list agents pick from when going Away, and
//! whether they may type a reason of their own ("Other"). Supervisors setting an agent Away
//! are held to the same list.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Notice, redirect_with_notice};
use crate::domain::{AwayReasons, MAX_AWAY_REASONS, MAX_LISTED_REASON_CHARS};
use crate::state::AppState;
use crate::store;
use crate::web::auth::AdminUser;
use crate::web::error::PageError;
use crate::web::nav::Nav;
use crate::web::views::render;

#[derive(Template)]
#[template(path = "admin/away_reasons.html")]
pub struct AwayReasonsView {
    pub nav: Nav,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// The reasons, one a line: as stored, or as typed when refused.
    pub reasons: String,
    pub allow_other: bool,
    pub max_reasons: usize,
    pub max_chars: usize,
}

fn view(
    state: &AppState,
    me: &AdminUser,
    reasons: String,
    allow_other: bool,
    notice: Option<String>,
    error: Option<String>,
) -> AwayReasonsView {
    AwayReasonsView {
        nav: Nav::admin(state, me, "away_reasons"),
        notice,
        error,
        reasons,
        allow_other,
        max_reasons: MAX_AWAY_REASONS,
        max_chars: MAX_LISTED_REASON_CHARS,
    }
}

#[tracing::instrument(skip_all)]
pub async fn away_reasons_get(
    State(state): State<AppState>,
    me: AdminUser,
    Query(q): Query<Notice>,
) -> Result<Response, PageError> {
    let stored = state.store.read(store::away_reasons).await?;
    Ok(render(&view(
        &state,
        &me,
        stored.text(),
        stored.allow_other,
        q.notice,
        None,
    )))
}

#[derive(Deserialize)]
pub struct AwayReasonsInput {
    #[serde(default)]
    reasons: String,
    /// The checkbox: present when ticked.
    #[serde(default)]
    allow_other: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn away_reasons_post(
    State(state): State<AppState>,
    me: AdminUser,
    axum::Form(input): axum::Form<AwayReasonsInput>,
) -> Result<Response, PageError> {
    let allow_other = input.allow_other.is_some();
    match AwayReasons::parse(&input.reasons, allow_other) {
        Ok(reasons) => {
            let notice = match (reasons.reasons.len(), allow_other) {
                (0, _) => "Saved: agents type any away reason.".to_owned(),
                (n, true) => format!("Saved {n} away reasons; agents may also type their own."),
                (n, false) => format!("Saved {n} away reasons; agents choose one of them."),
            };
            state
                .store
                .write(move |txn| store::put_away_reasons(txn, &reasons))
                .await?;
            Ok(redirect_with_notice("/admin/away-reasons", &notice).into_response())
        }
        Err(e) => {
            let error = Some(format!("The away reasons were not saved. {e}"));
            let page = view(&state, &me, input.reasons, allow_other, None, error);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}
