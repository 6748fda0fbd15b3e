//! API tokens (`/admin/tokens`): list, create for a user, revoke. A token is read-only and
//! acts as its user; only its SHA-256 is stored, so a new token is shown once, on the page
//! answering its creation, and the list never shows one.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Notice, redirect_with_notice};
use crate::domain::AuditKind;
use crate::domain::{User, UserId};
use crate::state::AppState;
use crate::store;
use crate::web::audit::AuditNote;
use crate::web::auth::{AdminUser, create_api_token};
use crate::web::error::PageError;
use crate::web::nav::Nav;
use crate::web::tabs::info::Stamp;
use crate::web::views::render;

/// Longest token label, in characters.
pub const MAX_LABEL_CHARS: usize = 100;

/// One token in the list (never the token itself).
pub struct TokenRow {
    /// The stored hash, an opaque id for the revoke form.
    pub id: String,
    pub label: String,
    pub user: String,
    pub created: Stamp,
}

/// A user the new token can act as.
pub struct UserChoice {
    pub id: u64,
    pub label: String,
    pub selected: bool,
}

/// A token just created, shown this once.
pub struct NewToken {
    pub token: String,
    pub label: String,
    pub user: String,
}

#[derive(Template)]
#[template(path = "admin/tokens.html")]
pub struct TokensView {
    pub nav: Nav,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub rows: Vec<TokenRow>,
    pub users: Vec<UserChoice>,
    /// The label typed in the create form (kept when refused).
    pub label: String,
    pub label_error: Option<String>,
    pub user_error: Option<String>,
    pub created: Option<NewToken>,
}

fn user_label(u: &User) -> String {
    format!("{} ({}, {})", u.display_name, u.username, u.role.as_str())
}

/// The page, with the create form holding `label` and `user` as typed.
async fn page(
    state: &AppState,
    me: &AdminUser,
    label: String,
    user: Option<UserId>,
) -> Result<TokensView, PageError> {
    let (tokens, users) = state
        .store
        .read(|txn| Ok((store::all_api_tokens(txn)?, store::all_users(txn)?)))
        .await?;
    let names: HashMap<UserId, String> = users.iter().map(|u| (u.id, user_label(u))).collect();
    let rows = tokens
        .into_iter()
        .rev() // newest first
        .map(|(id, t)| TokenRow {
            id,
            user: names
                .get(&t.user)
                .cloned()
                .unwrap_or_else(|| format!("user #{} (deleted)", t.user)),
            label: t.label,
            created: Stamp::new(t.created_at),
        })
        .collect();
    let mut choices: Vec<UserChoice> = users
        .iter()
        .filter(|u| !u.disabled)
        .map(|u| UserChoice {
            id: u.id.0,
            label: user_label(u),
            selected: Some(u.id) == user,
        })
        .collect();
    choices.sort_by_key(|c| c.label.to_lowercase());
    Ok(TokensView {
        nav: Nav::admin(state, me, "tokens"),
        notice: None,
        error: None,
        rows,
        users: choices,
        label,
        label_error: None,
        user_error: None,
        created: None,
    })
}

#[tracing::instrument(skip_all)]
pub async fn tokens_get(
    State(state): State<AppState>,
    me: AdminUser,
    Query(q): Query<Notice>,
) -> Result<Response, PageError> {
    let mut view = page(&state, &me, String::new(), None).await?;
    view.notice = q.notice;
    Ok(render(&view))
}

#[derive(Deserialize)]
pub struct TokenInput {
    #[serde(default)]
    user: String,
    #[serde(default)]
    label: String,
}

/// Creates a token; the answer is the page showing it once (not a redirect, so the token
/// never lands in an address or the browser's history).
#[tracing::instrument(skip_all)]
pub async fn tokens_post(
    State(state): State<AppState>,
    me: AdminUser,
    axum::Form(input): axum::Form<TokenInput>,
) -> Result<Response, PageError> {
    let label = input.label.trim().to_owned();
    let user_id = input.user.trim().parse::<u64>().ok().map(UserId);
    let user = match user_id {
        Some(id) => state.store.read(move |txn| store::user(txn, id)).await?,
        None => None,
    };
    let mut label_error = None;
    let mut user_error = None;
    let chars = label.chars().count();
    if chars == 0 {
        label_error = Some("Enter a label saying what the token is for.".to_owned());
    } else if chars > MAX_LABEL_CHARS {
        label_error = Some(format!(
            "A label can be at most {MAX_LABEL_CHARS} characters; this one has {chars}."
        ));
    }
    match &user {
        None => user_error = Some("Choose the user the token acts as.".to_owned()),
        Some(u) if u.disabled => {
            user_error = Some(format!(
                "{} is disabled; a token acting as them would not work.",
                u.username
            ))
        }
        Some(_) => {}
    }
    let (Some(user), None, None) = (user, &label_error, &user_error) else {
        let mut view = page(&state, &me, input.label, user_id).await?;
        view.error = Some("The token was not created; see below.".into());
        view.label_error = label_error;
        view.user_error = user_error;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response());
    };
    let token = create_api_token(&state.store, user.id, &label, state.clock.now()).await?;
    tracing::info!(for_user = %user.username, label = %label, "API token created");
    let mut view = page(&state, &me, String::new(), None).await?;
    let note = AuditNote::new(
        AuditKind::TokenCreated,
        user.username.clone(),
        label.clone(),
    );
    view.created = Some(NewToken {
        token,
        label,
        user: user_label(&user),
    });
    Ok(note.on(render(&view)))
}

/// Revokes a token at once: every request looks its token up in the store.
#[tracing::instrument(skip_all)]
pub async fn token_revoke_post(
    State(state): State<AppState>,
    _me: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let removed = state
        .store
        .write(move |txn| store::delete_api_token(txn, &id))
        .await?;
    let Some(token) = removed else {
        return Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: "No such token (it may have been revoked already).".into(),
        });
    };
    tracing::info!(label = %token.label, "API token revoked");
    let notice = format!("Revoked the token \"{}\"; it no longer works.", token.label);
    let owner = state
        .store
        .read(move |txn| store::user(txn, token.user))
        .await?
        .map(|u| u.username)
        .unwrap_or_default();
    let note = AuditNote::new(AuditKind::TokenRevoked, owner, token.label);
    Ok(note.on(redirect_with_notice("/admin/tokens", &notice)))
}
