//! Account actions on `/admin`: change a user's role, disable or enable them, reset their
//! password (a new random one, shown once). The rules live in [`crate::web::accounts`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::redirect_with_notice;
use super::users::{NewUserForm, page, refused};
use crate::domain::{AuditKind, Role, UserId};
use crate::passwords::{hash_password, random_password};
use crate::state::AppState;
use crate::web::accounts::{AccountChange, AccountError, change_account};
use crate::web::audit::AuditNote;
use crate::web::auth::AdminUser;
use crate::web::error::PageError;
use crate::web::views::render;

/// The users page again with `message` at the top, 422 (or 404 for an unknown user).
async fn refusal(state: &AppState, me: &AdminUser, e: AccountError) -> Result<Response, PageError> {
    let message = match e {
        AccountError::Store(e) => return Err(PageError::internal(e)),
        AccountError::NoSuchUser => {
            return Err(PageError {
                status: StatusCode::NOT_FOUND,
                message: "No such user.".into(),
            });
        }
        e @ AccountError::LastAdmin(_) => e.to_string(),
    };
    let view = page(state, me, NewUserForm::default(), None, Some(message), None).await?;
    Ok(refused(&view))
}

async fn apply(
    state: &AppState,
    me: &AdminUser,
    id: u64,
    change: AccountChange,
    done: &str,
) -> Result<Response, PageError> {
    let (kind, detail) = match &change {
        AccountChange::Disable => (AuditKind::UserDisabled, String::new()),
        AccountChange::Enable => (AuditKind::UserEnabled, String::new()),
        AccountChange::Role(role) => (AuditKind::RoleChanged, format!("to {}", role.as_str())),
        AccountChange::Password(_) => (AuditKind::PasswordReset, String::new()),
    };
    match change_account(state, UserId(id), change, &me.user.username).await {
        Ok(user) => {
            let note = AuditNote::new(kind, user.username.clone(), detail);
            Ok(note.on(redirect_with_notice(
                "/admin",
                &format!("{} {done}.", user.username),
            )))
        }
        Err(e) => refusal(state, me, e).await,
    }
}

#[derive(Deserialize)]
pub struct RoleInput {
    #[serde(default)]
    role: String,
}

#[tracing::instrument(skip_all)]
pub async fn user_role_post(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<u64>,
    axum::Form(input): axum::Form<RoleInput>,
) -> Result<Response, PageError> {
    let role = match input.role.parse::<Role>() {
        Ok(r) => r,
        Err(e) => {
            let view = page(&state, &me, NewUserForm::default(), None, Some(e), None).await?;
            return Ok(refused(&view));
        }
    };
    let done = format!("is now {} (logged out everywhere)", role.as_str());
    apply(&state, &me, id, AccountChange::Role(role), &done).await
}

#[tracing::instrument(skip_all)]
pub async fn user_disable_post(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<u64>,
) -> Result<Response, PageError> {
    let done = "is disabled: logged out, their offers and active workitems went back to \
                their queues";
    apply(&state, &me, id, AccountChange::Disable, done).await
}

#[tracing::instrument(skip_all)]
pub async fn user_enable_post(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<u64>,
) -> Result<Response, PageError> {
    apply(&state, &me, id, AccountChange::Enable, "is enabled again").await
}

/// Gives the user a new random password, shown on the answer only; their sessions end.
#[tracing::instrument(skip_all)]
pub async fn user_password_post(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<u64>,
) -> Result<Response, PageError> {
    let password = random_password();
    let hash = hash_password(password.clone())
        .await
        .map_err(PageError::internal)?;
    let user = match change_account(
        &state,
        UserId(id),
        AccountChange::Password(hash),
        &me.user.username,
    )
    .await
    {
        Ok(user) => user,
        Err(e) => return refusal(&state, &me, e).await,
    };
    let mut view = page(&state, &me, NewUserForm::default(), None, None, None).await?;
    let note = AuditNote::new(AuditKind::PasswordReset, user.username.clone(), "");
    view.new_password = Some((user.username, password));
    Ok(note.on(render(&view)))
}
