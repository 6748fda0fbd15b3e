//! Users (`/admin`): add a user; set each user's queues, capacity and class of service.
//! Role, disabling and password resets are in [`super::accounts`].

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Notice, redirect_with_notice};
use crate::bootstrap::{self, BootstrapError};
use crate::domain::AuditKind;
use crate::domain::{
    AgentSettings, ClassId, ClassOfService, Queue, QueueId, Role, User, UserId, validate_password,
    validate_username,
};
use crate::state::AppState;
use crate::store;
use crate::web::audit::AuditNote;
use crate::web::auth::AdminUser;
use crate::web::error::PageError;
use crate::web::nav::Nav;
use crate::web::views::render;

/// Largest capacity an admin may give an agent.
const MAX_CAPACITY: u32 = 50;

/// Why a user's settings were refused, per field.
#[derive(Default)]
pub struct SettingsErrors {
    pub queues: Option<String>,
    pub capacity: Option<String>,
    pub class: Option<String>,
}

/// One user row: their settings as stored, or as typed when a save was refused.
pub struct UserRow {
    pub user: User,
    pub queues: Vec<u64>,
    pub capacity: String,
    /// The selected class of service id; empty for "All permissions".
    pub class: String,
    pub errors: SettingsErrors,
}

impl UserRow {
    pub fn in_queue(&self, queue: &QueueId) -> bool {
        self.queues.contains(&queue.0)
    }

    pub fn has_class(&self, class: &ClassId) -> bool {
        self.class == class.to_string()
    }
}

/// Why the add-user form was refused, per field.
#[derive(Default)]
pub struct NewUserErrors {
    pub username: Option<String>,
    pub role: Option<String>,
    pub password: Option<String>,
}

/// The add-user form as typed (the password is never sent back).
pub struct NewUserForm {
    pub username: String,
    pub name: String,
    pub role: String,
    pub errors: NewUserErrors,
}

impl Default for NewUserForm {
    fn default() -> Self {
        NewUserForm {
            username: String::new(),
            name: String::new(),
            role: "agent".into(),
            errors: NewUserErrors::default(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersView {
    pub nav: Nav,
    pub users: Vec<UserRow>,
    pub queues: Vec<Queue>,
    pub classes: Vec<ClassOfService>,
    /// A summary of what was refused, at the top of the page.
    pub error: Option<String>,
    pub notice: Option<String>,
    pub new_user: NewUserForm,
    /// A password just reset: (user name, the new password), shown this once.
    pub new_password: Option<(String, String)>,
}

/// The page; `typed` replaces one user's row with what was typed for it.
pub(super) async fn page(
    state: &AppState,
    me: &AdminUser,
    new_user: NewUserForm,
    typed: Option<UserRow>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<UsersView, PageError> {
    let (users, settings, queues, classes) = state
        .store
        .read(|txn| {
            Ok((
                store::all_users(txn)?,
                store::all_agent_settings(txn)?,
                store::all_queues(txn)?,
                store::all_classes(txn)?,
            ))
        })
        .await?;
    let default_capacity = state.config.acd.default_capacity;
    let mut typed = typed;
    let users = users
        .into_iter()
        .map(|user| {
            if let Some(row) = typed.take_if(|row| row.user.id == user.id) {
                return row;
            }
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
                class: s
                    .and_then(|s| s.class_of_service)
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                errors: SettingsErrors::default(),
                user,
            }
        })
        .collect();
    Ok(UsersView {
        nav: Nav::admin(state, me, "users"),
        users,
        queues,
        classes,
        error,
        notice,
        new_user,
        new_password: None,
    })
}

pub(super) fn refused(view: &UsersView) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, render(view)).into_response()
}

#[tracing::instrument(skip_all)]
pub async fn admin_get(
    State(state): State<AppState>,
    me: AdminUser,
    Query(q): Query<Notice>,
) -> Result<Response, PageError> {
    let view = page(&state, &me, NewUserForm::default(), None, None, q.notice).await?;
    Ok(render(&view))
}

#[derive(Deserialize)]
pub struct NewUserInput {
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
    axum::Form(form): axum::Form<NewUserInput>,
) -> Result<Response, PageError> {
    let mut errors = NewUserErrors::default();
    let role = form.role.parse::<Role>();
    if let Err(e) = &role {
        errors.role = Some(e.clone());
    }
    if let Err(e) = validate_username(&form.username) {
        errors.username = Some(e);
    }
    if let Err(e) = validate_password(&form.password) {
        errors.password = Some(e);
    }
    let result = match role {
        Ok(role) if errors.username.is_none() && errors.password.is_none() => {
            bootstrap::add_user(
                &state.store,
                &form.username,
                &form.display_name,
                role,
                &form.password,
            )
            .await
        }
        _ => Err(BootstrapError::Invalid(String::new())),
    };
    match result {
        Ok(user) => {
            let note = AuditNote::new(
                AuditKind::UserCreated,
                user.username.clone(),
                user.role.as_str(),
            );
            Ok(note.on(redirect_with_notice(
                "/admin",
                &format!("Added {}", user.username),
            )))
        }
        Err(BootstrapError::Store(e)) => Err(PageError::internal(e)),
        Err(BootstrapError::Invalid(message)) => {
            // What `add_user` itself refuses after our checks passed is the name being taken.
            if !message.is_empty() {
                errors.username = Some(message);
            }
            let summary = [&errors.username, &errors.role, &errors.password]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join("; ");
            let new_user = NewUserForm {
                username: form.username,
                name: form.display_name,
                role: form.role,
                errors,
            };
            let view = page(
                &state,
                &me,
                new_user,
                None,
                Some(format!("The user was not added: {summary}.")),
                None,
            )
            .await?;
            Ok(refused(&view))
        }
    }
}

/// Queues (a repeated `queue` field), capacity and class of service (`class`, empty for
/// every permission) of one user.
#[tracing::instrument(skip_all)]
pub async fn user_settings_post(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<u64>,
    body: Bytes,
) -> Result<Response, PageError> {
    let user = UserId(id);
    let (target, all_queues, all_classes, existing) = state
        .store
        .read(move |txn| {
            Ok((
                store::user(txn, user)?,
                store::all_queues(txn)?,
                store::all_classes(txn)?,
                store::agent_settings(txn, user)?,
            ))
        })
        .await?;
    let Some(target) = target else {
        return Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: "No such user.".into(),
        });
    };
    let mut errors = SettingsErrors::default();
    let mut typed_queues = Vec::new();
    let mut queues = Vec::new();
    let mut typed_capacity = String::new();
    let mut capacity = None;
    let mut typed_class = String::new();
    let mut class = None;
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "queue" => match v.trim().parse::<u64>() {
                Ok(q) if all_queues.iter().any(|a| a.id.0 == q) => {
                    typed_queues.push(q);
                    queues.push(QueueId(q));
                }
                Ok(q) => errors.queues = Some(format!("Queue {q} does not exist.")),
                Err(_) => errors.queues = Some(format!("\"{v}\" is not a queue.")),
            },
            "capacity" => {
                typed_capacity = v.to_string();
                if !v.trim().is_empty() {
                    match v.trim().parse::<u32>() {
                        Ok(c) if (1..=MAX_CAPACITY).contains(&c) => capacity = Some(c),
                        _ => {
                            errors.capacity = Some(format!(
                                "Capacity must be a whole number from 1 to {MAX_CAPACITY}."
                            ))
                        }
                    }
                }
            }
            "class" => {
                typed_class = v.to_string();
                if !v.trim().is_empty() {
                    match v.trim().parse::<u64>() {
                        Ok(c) if all_classes.iter().any(|a| a.id.0 == c) => {
                            class = Some(ClassId(c))
                        }
                        Ok(c) => {
                            errors.class = Some(format!("Class of service {c} does not exist."))
                        }
                        Err(_) => {
                            errors.class = Some(format!("\"{v}\" is not a class of service."))
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let first_error = [&errors.queues, &errors.capacity, &errors.class]
        .into_iter()
        .flatten()
        .next()
        .cloned();
    if let Some(first) = first_error {
        let summary = format!(
            "The settings of {} were not saved: {first}",
            target.username
        );
        let row = UserRow {
            user: target,
            queues: typed_queues,
            capacity: typed_capacity,
            class: typed_class,
            errors,
        };
        let view = page(
            &state,
            &me,
            NewUserForm::default(),
            Some(row),
            Some(summary),
            None,
        )
        .await?;
        return Ok(refused(&view));
    }
    queues.sort();
    queues.dedup();
    let mut settings: AgentSettings = existing;
    settings.queues = queues;
    settings.capacity = capacity;
    settings.class_of_service = class;
    let saved = settings.clone();
    state
        .store
        .write(move |txn| store::put_agent_settings(txn, user, &saved))
        .await?;
    state.acd.configure(user, settings);
    Ok(redirect_with_notice("/admin", &format!("Saved {}", target.username)).into_response())
}
