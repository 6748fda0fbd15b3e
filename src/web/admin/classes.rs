//! Classes of service (`/admin/classes`): named sets of permissions that admins assign to
//! agents on the users page. List, create and edit.

use std::collections::BTreeSet;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Notice, redirect_with_notice, validate_name};
use crate::domain::{ClassId, ClassOfService, Permission};
use crate::state::AppState;
use crate::store::{self, SavedClass};
use crate::web::auth::AdminUser;
use crate::web::error::PageError;
use crate::web::nav::Nav;
use crate::web::views::render;

/// Why a class was refused, per field.
#[derive(Default)]
pub struct ClassErrors {
    pub name: Option<String>,
    pub permissions: Option<String>,
}

/// A class's form: as stored, or as typed when the save was refused.
pub struct ClassForm {
    /// `None` for the new-class form.
    pub id: Option<ClassId>,
    pub name: String,
    pub checked: BTreeSet<Permission>,
    pub errors: ClassErrors,
}

impl ClassForm {
    fn of(c: &ClassOfService) -> ClassForm {
        ClassForm {
            id: Some(c.id),
            name: c.name.clone(),
            checked: c.permissions.clone(),
            errors: ClassErrors::default(),
        }
    }

    fn blank() -> ClassForm {
        ClassForm {
            id: None,
            name: String::new(),
            checked: BTreeSet::new(),
            errors: ClassErrors::default(),
        }
    }

    pub fn has(&self, p: &Permission) -> bool {
        self.checked.contains(p)
    }

    /// Prefix of the form's element ids: `class-3` or `class-new`.
    pub fn key(&self) -> String {
        match self.id {
            Some(id) => format!("class-{id}"),
            None => "class-new".into(),
        }
    }

    pub fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/admin/classes/{id}"),
            None => "/admin/classes".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/classes.html")]
pub struct ClassesView {
    pub nav: Nav,
    pub rows: Vec<ClassForm>,
    pub new: ClassForm,
    pub permissions: Vec<Permission>,
    pub error: Option<String>,
    pub notice: Option<String>,
}

/// The page; `typed` replaces the stored class of the same id (or the new-class form).
async fn page(
    state: &AppState,
    me: &AdminUser,
    typed: Option<ClassForm>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<ClassesView, PageError> {
    let mut classes = state.store.read(store::all_classes).await?;
    classes.sort_by_key(|c| c.name.to_lowercase());
    let mut new = ClassForm::blank();
    let mut rows: Vec<ClassForm> = classes.iter().map(ClassForm::of).collect();
    if let Some(t) = typed {
        match rows.iter_mut().find(|r| r.id.is_some() && r.id == t.id) {
            Some(row) => *row = t,
            None => new = t,
        }
    }
    Ok(ClassesView {
        nav: Nav::admin(state, me, "classes"),
        rows,
        new,
        permissions: Permission::ALL.to_vec(),
        error,
        notice,
    })
}

#[tracing::instrument(skip_all)]
pub async fn classes_get(
    State(state): State<AppState>,
    me: AdminUser,
    Query(q): Query<Notice>,
) -> Result<Response, PageError> {
    Ok(render(&page(&state, &me, None, None, q.notice).await?))
}

/// Creates a class of service.
#[tracing::instrument(skip_all)]
pub async fn classes_post(
    State(state): State<AppState>,
    me: AdminUser,
    body: Bytes,
) -> Result<Response, PageError> {
    save(&state, &me, None, &body).await
}

/// Updates a class of service.
#[tracing::instrument(skip_all)]
pub async fn class_post(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<u64>,
    body: Bytes,
) -> Result<Response, PageError> {
    save(&state, &me, Some(ClassId(id)), &body).await
}

/// The form's `name` and its repeated `permission` fields, as typed.
fn parse(body: &[u8]) -> (String, BTreeSet<Permission>, Vec<String>) {
    let mut name = String::new();
    let mut permissions = BTreeSet::new();
    let mut unknown = Vec::new();
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "name" => name = v.into_owned(),
            "permission" => match Permission::parse(&v) {
                Some(p) => {
                    permissions.insert(p);
                }
                None => unknown.push(v.into_owned()),
            },
            _ => {}
        }
    }
    (name, permissions, unknown)
}

async fn save(
    state: &AppState,
    me: &AdminUser,
    id: Option<ClassId>,
    body: &[u8],
) -> Result<Response, PageError> {
    let (typed_name, permissions, unknown) = parse(body);
    let mut errors = ClassErrors::default();
    if let Some(bad) = unknown.first() {
        errors.permissions = Some(format!("\"{bad}\" is not a permission."));
    }
    match validate_name(&typed_name, "class of service") {
        Err(e) => errors.name = Some(e),
        Ok(name) if errors.permissions.is_none() => {
            let chosen = permissions.clone();
            let saved = {
                let name = name.clone();
                state
                    .store
                    .write(move |txn| store::save_class(txn, id, &name, chosen))
                    .await?
            };
            match saved {
                SavedClass::Saved(class) => {
                    let verb = if id.is_some() { "Saved" } else { "Added" };
                    let notice = format!("{verb} class of service {}.", class.name);
                    return Ok(redirect_with_notice("/admin/classes", &notice).into_response());
                }
                SavedClass::Missing => return Err(no_such_class()),
                SavedClass::NameTaken => {
                    errors.name = Some(format!(
                        "There is already a class of service called \"{name}\"."
                    ))
                }
            }
        }
        Ok(_) => {}
    }
    if let Some(id) = id
        && state
            .store
            .read(move |txn| store::class(txn, id))
            .await?
            .is_none()
    {
        return Err(no_such_class());
    }
    let what = if id.is_some() { "saved" } else { "added" };
    let summary = [&errors.name, &errors.permissions]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    let typed = ClassForm {
        id,
        name: typed_name,
        checked: permissions,
        errors,
    };
    let error = Some(format!("The class of service was not {what}. {summary}"));
    let view = page(state, me, Some(typed), error, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response())
}

fn no_such_class() -> PageError {
    PageError {
        status: StatusCode::NOT_FOUND,
        message: "No such class of service.".into(),
    }
}
