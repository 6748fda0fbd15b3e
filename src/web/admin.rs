//! Administration: users, their roles, queues and capacity.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::AdminUser;
use super::error::PageError;
use super::views::{AdminView, UserRow, render};
use crate::bootstrap::{self, BootstrapError};
use crate::domain::{AgentSettings, QueueId, Role, UserId};
use crate::state::AppState;
use crate::store;

/// Largest capacity an admin may give an agent.
const MAX_CAPACITY: u32 = 50;

#[derive(Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    notice: Option<String>,
}

struct FormState {
    error: Option<String>,
    notice: Option<String>,
    username: String,
    name: String,
    role: String,
}

async fn page(state: &AppState, me: &AdminUser, form: FormState) -> Result<AdminView, PageError> {
    let (users, settings, queues) = state
        .store
        .read(|txn| {
            Ok((
                store::all_users(txn)?,
                store::all_agent_settings(txn)?,
                store::all_queues(txn)?,
            ))
        })
        .await?;
    let default_capacity = state.config.acd.default_capacity;
    let users = users
        .into_iter()
        .map(|user| {
            let s = settings
                .iter()
                .find(|(id, _)| *id == user.id)
                .map(|(_, s)| s);
            UserRow {
                queues: s
                    .map(|s| s.queues.iter().map(|q| q.0).collect())
                    .unwrap_or_default(),
                capacity: s
                    .and_then(|s| s.capacity)
                    .unwrap_or(default_capacity)
                    .to_string(),
                user,
            }
        })
        .collect();
    Ok(AdminView {
        csrf: me.csrf().to_owned(),
        me: me.user.clone(),
        users,
        queues,
        error: form.error,
        notice: form.notice,
        form_username: form.username,
        form_name: form.name,
        form_role: form.role,
    })
}

#[tracing::instrument(skip_all)]
pub async fn admin_get(
    State(state): State<AppState>,
    me: AdminUser,
    Query(q): Query<Notice>,
) -> Result<Response, PageError> {
    let view = page(
        &state,
        &me,
        FormState {
            error: None,
            notice: q.notice,
            username: String::new(),
            name: String::new(),
            role: "agent".into(),
        },
    )
    .await?;
    Ok(render(&view))
}

#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

#[tracing::instrument(skip_all)]
pub async fn users_post(
    State(state): State<AppState>,
    me: AdminUser,
    axum::Form(form): axum::Form<NewUserForm>,
) -> Result<Response, PageError> {
    let result = match form.role.parse::<Role>() {
        Ok(role) => {
            bootstrap::add_user(
                &state.store,
                &form.username,
                &form.display_name,
                role,
                &form.password,
            )
            .await
        }
        Err(e) => Err(BootstrapError::Invalid(e)),
    };
    match result {
        Ok(user) => {
            Ok(Redirect::to(&format!("/admin?notice=Added+{}", user.username)).into_response())
        }
        Err(BootstrapError::Store(e)) => Err(PageError::internal(e)),
        Err(BootstrapError::Invalid(message)) => {
            let view = page(
                &state,
                &me,
                FormState {
                    error: Some(message),
                    notice: None,
                    username: form.username,
                    name: form.display_name,
                    role: form.role,
                },
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response())
        }
    }
}

/// Queues (a repeated `queue` field) and capacity of one user.
#[tracing::instrument(skip_all)]
pub async fn user_settings_post(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<u64>,
    body: Bytes,
) -> Result<Response, PageError> {
    let invalid = |message: String| async {
        let view = page(
            &state,
            &me,
            FormState {
                error: Some(message),
                notice: None,
                username: String::new(),
                name: String::new(),
                role: "agent".into(),
            },
        )
        .await?;
        Ok::<_, PageError>((StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response())
    };
    let mut queues = Vec::new();
    let mut capacity = None;
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "queue" => match v.parse::<u64>() {
                Ok(q) => queues.push(QueueId(q)),
                Err(_) => return invalid(format!("\"{v}\" is not a queue")).await,
            },
            "capacity" if !v.trim().is_empty() => match v.trim().parse::<u32>() {
                Ok(c) if (1..=MAX_CAPACITY).contains(&c) => capacity = Some(c),
                _ => {
                    return invalid(format!(
                        "Capacity must be a whole number from 1 to {MAX_CAPACITY}."
                    ))
                    .await;
                }
            },
            _ => {}
        }
    }
    let user = UserId(id);
    let known = state
        .store
        .read(move |txn| {
            let queues = store::all_queues(txn)?;
            Ok((
                store::user(txn, user)?,
                queues,
                store::agent_settings(txn, user)?,
            ))
        })
        .await?;
    let (Some(target), all_queues, existing) = known else {
        return Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: "No such user.".into(),
        });
    };
    if let Some(q) = queues
        .iter()
        .find(|q| !all_queues.iter().any(|a| a.id == **q))
    {
        return invalid(format!("Queue {q} does not exist.")).await;
    }
    queues.sort();
    queues.dedup();
    let settings = AgentSettings {
        queues,
        capacity,
        ..existing
    };
    let saved = settings.clone();
    state
        .store
        .write(move |txn| store::put_agent_settings(txn, user, &saved))
        .await?;
    state.acd.configure(user, settings);
    Ok(Redirect::to(&format!("/admin?notice=Saved+{}", target.username)).into_response())
}
