//! The Notes tab: every note on the workitem's customer, by any agent, newest first (with
//! `notes.read`), and a form to add one (with `notes.create`; the server refuses the POST
//! without it, whatever the page showed).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::info::Stamp;
use super::{TabError, fragment, workitem_for};
use crate::domain::{ContactId, Note, NoteId, Permission, validate_note_body};
use crate::state::AppState;
use crate::store;
use crate::web::auth::AgentUser;

/// One note as the tab lists it.
pub struct NoteRow {
    pub author: String,
    pub at: Stamp,
    pub body: String,
}

#[derive(Template)]
#[template(path = "tabs/notes.html")]
pub struct NotesTab {
    pub workitem: u64,
    pub can_read: bool,
    pub can_create: bool,
    /// Newest first; empty without `notes.read`.
    pub notes: Vec<NoteRow>,
    /// The new note's text as typed, kept when the save is refused.
    pub body: String,
    pub body_error: Option<String>,
    /// A refusal of the whole request (e.g. no `notes.create`).
    pub alert: Option<String>,
    /// Shown after a note was saved.
    pub saved: bool,
}

/// What the form shows besides the stored notes.
#[derive(Default)]
struct FormState {
    body: String,
    body_error: Option<String>,
    alert: Option<String>,
    saved: bool,
}

async fn tab(
    state: &AppState,
    user: &AgentUser,
    workitem: u64,
    contact: ContactId,
    form: FormState,
) -> Result<NotesTab, TabError> {
    let can_read = user.may(Permission::NotesRead);
    let notes = if can_read {
        state
            .store
            .read(move |txn| store::notes_of(txn, contact))
            .await?
            .into_iter()
            .map(|n| NoteRow {
                author: n.author_name,
                at: Stamp::new(n.at),
                body: n.body,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(NotesTab {
        workitem,
        can_read,
        can_create: user.may(Permission::NotesCreate),
        notes,
        body: form.body,
        body_error: form.body_error,
        alert: form.alert,
        saved: form.saved,
    })
}

#[tracing::instrument(skip_all)]
pub async fn notes_get(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
) -> Result<Response, TabError> {
    let (w, _) = workitem_for(&state, &user, &id).await?;
    let view = tab(&state, &user, w.id.0, w.contact, FormState::default()).await?;
    Ok(fragment(StatusCode::OK, &view))
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    body: String,
}

/// Adds a note: 200 with the list (the new note on top), 422 with the text kept and the
/// reason next to the field, or 403 without `notes.create` (nothing stored).
#[tracing::instrument(skip_all)]
pub async fn note_post(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<NoteForm>,
) -> Result<Response, TabError> {
    let (w, _) = workitem_for(&state, &user, &id).await?;
    if let Err(refused) = user.require(Permission::NotesCreate) {
        let view = tab(
            &state,
            &user,
            w.id.0,
            w.contact,
            FormState {
                alert: Some(refused.message),
                ..FormState::default()
            },
        )
        .await?;
        return Ok(fragment(StatusCode::FORBIDDEN, &view));
    }
    let body = match validate_note_body(&form.body) {
        Ok(body) => body,
        Err(e) => {
            let view = tab(
                &state,
                &user,
                w.id.0,
                w.contact,
                FormState {
                    body: form.body,
                    body_error: Some(e.to_string()),
                    ..FormState::default()
                },
            )
            .await?;
            return Ok(fragment(StatusCode::UNPROCESSABLE_ENTITY, &view));
        }
    };
    let note = Note {
        id: NoteId(0),
        contact: w.contact,
        workitem: Some(w.id),
        author: user.user.id,
        author_name: user.user.display_name.clone(),
        body,
        at: state.clock.now(),
    };
    state
        .store
        .write(move |txn| store::add_note(txn, note))
        .await?;
    let view = tab(
        &state,
        &user,
        w.id.0,
        w.contact,
        FormState {
            saved: true,
            ..FormState::default()
        },
    )
    .await?;
    Ok(fragment(StatusCode::OK, &view))
}
