//! Login and logout.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::audit::AuditNote;
use super::auth::{self, LoginError, MaybeUser};
use super::error::PageError;
use super::redirect::safe_next;
use super::views::{LoginView, render};
use crate::domain::AuditKind;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct NextParam {
    #[serde(default)]
    next: String,
}

#[tracing::instrument(skip_all)]
pub async fn login_get(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Query(q): Query<NextParam>,
) -> Response {
    if user.is_some() {
        return Redirect::to(&safe_next(&q.next)).into_response();
    }
    let (csrf, set) = auth::anon_csrf(&state, &headers);
    let page = render(&LoginView {
        csrf,
        username: String::new(),
        next: safe_next(&q.next),
        error: None,
    });
    match set {
        Some(c) => ([(header::SET_COOKIE, c)], page).into_response(),
        None => page,
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[tracing::instrument(skip_all)]
pub async fn login_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(&form.next);
    match auth::login(&state, &form.username, &form.password).await {
        Ok((user, cookie)) => {
            tracing::info!(user = %user.username, "logged in");
            let to = if next == "/" { "/".to_owned() } else { next };
            ([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response()
        }
        Err(LoginError::Store(e)) => PageError::internal(e).into_response(),
        Err(e) => {
            tracing::info!(user = %form.username.trim(), reason = %e, "login refused");
            let (csrf, _) = auth::anon_csrf(&state, &headers);
            let status = if matches!(e, LoginError::Missing) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::UNAUTHORIZED
            };
            (
                status,
                render(&LoginView {
                    csrf,
                    username: form.username.trim().to_owned(),
                    next,
                    error: Some(e.to_string()),
                }),
            )
                .into_response()
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn logout_post(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    match auth::logout(&state, &headers).await {
        Ok(cookie) => {
            let done = ([(header::SET_COOKIE, cookie)], Redirect::to("/login"));
            match user {
                Some(u) => AuditNote::new(AuditKind::Logout, u.user.username, "").on(done),
                None => done.into_response(),
            }
        }
        Err(e) => PageError::internal(e).into_response(),
    }
}
