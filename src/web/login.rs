//! Login and logout.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use serde::Deserialize;

use super::audit::AuditNote;
use super::auth::{self, LoginError, MaybeUser};
use super::client_addr::ClientAddr;
use super::error::PageError;
use super::redirect::safe_next;
use super::views::{LoginView, render};
use crate::domain::AuditKind;
use crate::domain::User;
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

#[tracing::instrument(skip_all, fields(client = %client))]
pub async fn login_post(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(&form.next);
    let name = form.username.trim().to_ascii_lowercase();
    match throttled_login(&state, client, &form.username, &form.password).await {
        Ok((user, cookie)) => {
            let to = if next == "/" { "/".to_owned() } else { next };
            AuditNote::new(AuditKind::LoginSucceeded, user.username.clone(), "")
                .by(&user)
                .on(([(header::SET_COOKIE, cookie)], Redirect::to(&to)))
        }
        Err(Refused::Login(LoginError::Store(e))) => PageError::internal(e).into_response(),
        Err(e) => {
            let (csrf, _) = auth::anon_csrf(&state, &headers);
            let status = match e {
                Refused::Login(LoginError::Missing) => StatusCode::BAD_REQUEST,
                Refused::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
                Refused::Login(_) => StatusCode::UNAUTHORIZED,
            };
            let page = (
                status,
                render(&LoginView {
                    csrf,
                    username: form.username.trim().to_owned(),
                    next,
                    error: Some(e.to_string()),
                }),
            );
            match e {
                Refused::Throttled(wait) => AuditNote::new(
                    AuditKind::LoginThrottled,
                    name,
                    format!("told to wait {} s", wait.num_seconds()),
                )
                .on(([(header::RETRY_AFTER, retry_after(wait))], page)),
                Refused::Login(LoginError::Missing) => page.into_response(),
                Refused::Login(e) => {
                    AuditNote::new(AuditKind::LoginFailed, name, e.to_string()).on(page)
                }
            }
        }
    }
}

/// Why a login did not go through.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error(transparent)]
    Login(#[from] LoginError),
    #[error("Too many failed logins. Try again in {}.", in_words(*.0))]
    Throttled(Duration),
}

/// One login attempt through the throttle (`domain::login_throttle`): a throttled attempt
/// never reaches the password check. Every outcome passes through the `match` below once, with
/// the name as typed and the client address: the place to record it.
async fn throttled_login(
    state: &AppState,
    client: ClientAddr,
    username: &str,
    password: &str,
) -> Result<(User, HeaderValue), Refused> {
    let name = username.trim();
    let throttle = || {
        state
            .login_throttle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    };
    let allowed = throttle().attempt(name, client.0, state.clock.now());
    let outcome = match allowed {
        Ok(()) => auth::login(state, username, password)
            .await
            .map_err(Refused::from),
        Err(wait) => Err(Refused::Throttled(wait)),
    };
    match &outcome {
        Ok((user, _)) => {
            throttle().succeeded(name, client.0);
            tracing::info!(user = %user.username, %client, "logged in");
        }
        Err(Refused::Login(LoginError::Wrong)) => {
            tracing::info!(user = %name, %client, "login refused: wrong name or password");
        }
        Err(Refused::Login(e)) => {
            throttle().not_a_guess(name, client.0);
            tracing::info!(user = %name, %client, reason = %e, "login refused");
        }
        Err(Refused::Throttled(wait)) => {
            tracing::warn!(user = %name, %client, wait_secs = wait.num_seconds(), "login throttled");
        }
    }
    outcome
}

/// `Retry-After` in whole seconds, rounded up so a client that obeys it is let through.
fn retry_after(wait: Duration) -> HeaderValue {
    let secs = (wait.num_milliseconds().max(0) as u64)
        .div_ceil(1000)
        .max(1);
    HeaderValue::from(secs)
}

/// "45 seconds", "1 minute", "4 minutes" (rounded up).
fn in_words(wait: Duration) -> String {
    let secs = (wait.num_milliseconds().max(0) as u64)
        .div_ceil(1000)
        .max(1);
    let (n, unit) = if secs < 60 {
        (secs, "second")
    } else {
        (secs.div_ceil(60), "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_rounded_up_in_the_header_and_the_message() {
        assert_eq!(retry_after(Duration::milliseconds(59_001)), "60");
        assert_eq!(retry_after(Duration::zero()), "1");
        assert_eq!(in_words(Duration::seconds(1)), "1 second");
        assert_eq!(in_words(Duration::milliseconds(44_500)), "45 seconds");
        assert_eq!(in_words(Duration::seconds(60)), "1 minute");
        assert_eq!(in_words(Duration::seconds(61)), "2 minutes");
        assert_eq!(in_words(Duration::minutes(15)), "15 minutes");
    }
}
