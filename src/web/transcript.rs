//! `GET /workitems/{id}`: one conversation, read-only, for supervisors and admins (agents
//! work theirs in the workspace): its facts, the whole transcript, the notes written in it
//! and its survey answers. Search hits link here, `?hit=<message id>` marking the message.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::auth::SupervisorUser;
use super::error::PageError;
use super::tabs::history_detail::{AnswerLine, TranscriptLine, detail_view};
use super::tabs::info::{InformationTab, Stamp, information};
use super::views::render;
use crate::domain::{Permission, WorkitemId};
use crate::state::AppState;
use crate::store::{self, HistoryDetail, HistoryKind};
use crate::web::nav::Nav;

/// One message of the transcript, with its id for the `#m<id>` anchor.
pub struct Line {
    pub id: u64,
    /// The message the search hit came from.
    pub hit: bool,
    pub line: TranscriptLine,
}

/// A note written in this workitem.
pub struct NoteLine {
    pub id: u64,
    pub author: String,
    pub at: Stamp,
    pub body: String,
}

/// The survey answers of the workitem.
pub struct SurveyBlock {
    pub name: String,
    pub answers: Vec<AnswerLine>,
    /// When and by whom they were last saved.
    pub saved: Option<(Stamp, String)>,
}

#[derive(Template)]
#[template(path = "transcript.html")]
pub struct TranscriptView {
    pub nav: Nav,
    pub info: InformationTab,
    pub customer: String,
    /// `/contacts?q=<mobile>`: the customer on the contacts page.
    pub contact_url: String,
    pub lines: Vec<Line>,
    /// `None` when this user's class of service does not allow reading notes.
    pub notes: Option<Vec<NoteLine>>,
    pub survey: Option<SurveyBlock>,
}

#[derive(Deserialize, Default)]
pub struct TranscriptQuery {
    /// Lenient: anything but a message id marks nothing.
    #[serde(default)]
    hit: Option<String>,
}

fn not_found() -> PageError {
    PageError {
        status: StatusCode::NOT_FOUND,
        message: "There is no workitem with this number.".into(),
    }
}

#[tracing::instrument(skip_all, fields(user = %me.user.username))]
pub async fn transcript_get(
    State(state): State<AppState>,
    me: SupervisorUser,
    Path(raw): Path<String>,
    Query(query): Query<TranscriptQuery>,
) -> Result<Response, PageError> {
    let id: WorkitemId = raw.trim().parse().map_err(|_| not_found())?;
    let hit: Option<u64> = query.hit.and_then(|h| h.trim().parse().ok());
    let may_read_notes = me.may(Permission::NotesRead);
    let found = state
        .store
        .read(move |txn| {
            let Some(w) = store::workitem(txn, id)? else {
                return Ok(None);
            };
            let Some(contact) = store::contact(txn, w.contact)? else {
                return Ok(None);
            };
            let conversation = store::history_detail(txn, contact.id, HistoryKind::Workitem, id.0)?;
            let survey = store::history_detail(txn, contact.id, HistoryKind::Survey, id.0)?;
            let mut notes: Vec<_> = if may_read_notes {
                store::notes_of(txn, contact.id)?
                    .into_iter()
                    .filter(|n| n.workitem == Some(id))
                    .collect()
            } else {
                Vec::new()
            };
            notes.reverse(); // oldest first, like the transcript
            Ok(Some((w, contact, conversation, survey, notes)))
        })
        .await?;
    let Some((w, contact, conversation, survey, notes)) = found else {
        return Err(not_found());
    };
    // The shaping of the History tab's detail, with each line's message id put back.
    let ids: Vec<u64> = match &conversation {
        Some(HistoryDetail::Workitem { messages, .. }) => messages.iter().map(|m| m.id.0).collect(),
        _ => Vec::new(),
    };
    let lines = conversation
        .map(|d| detail_view(HistoryKind::Workitem, d).transcript)
        .unwrap_or_default()
        .into_iter()
        .zip(ids)
        .map(|(line, id)| Line {
            id,
            hit: hit == Some(id),
            line,
        })
        .collect();
    let survey = survey.map(|d| {
        let v = detail_view(HistoryKind::Survey, d);
        SurveyBlock {
            name: v.survey_name,
            answers: v.answers,
            saved: v.saved,
        }
    });
    let mobile: String =
        form_urlencoded::byte_serialize(contact.mobile.as_str().as_bytes()).collect();
    let view = TranscriptView {
        nav: Nav::new(&me, "", format!("Workitem #{}", w.id)),
        info: information(&state, &w).await?,
        customer: contact.display_name(),
        contact_url: format!("/contacts?q={mobile}"),
        lines,
        notes: may_read_notes.then(|| {
            notes
                .into_iter()
                .map(|n| NoteLine {
                    id: n.id.0,
                    author: n.author_name,
                    at: Stamp::new(n.at),
                    body: n.body,
                })
                .collect()
        }),
        survey,
    };
    Ok(render(&view))
}
