//! One History item unfolded: a workitem's whole transcript, a note's text, or a survey's
//! answers, refused for items of any other customer. The read-only workitem page reuses the
//! same shaping.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::info::Stamp;
use super::{TabError, fragment, workitem_for};
use crate::domain::survey::RATINGS;
use crate::domain::{Answer, DeliveryStatus, Direction, Permission};
use crate::state::AppState;
use crate::store::{self, HistoryDetail, HistoryKind};
use crate::web::auth::AgentUser;

/// One message of a transcript.
pub struct TranscriptLine {
    pub at: Stamp,
    /// `in` or `out`.
    pub direction: &'static str,
    pub who: String,
    pub body: String,
    /// Delivery status of a message we sent (with the provider's error, if any).
    pub status: Option<String>,
}

/// One question with its answer.
pub struct AnswerLine {
    pub question: String,
    /// `None` when the question was left unanswered.
    pub answer: Option<String>,
}

#[derive(Template)]
#[template(path = "tabs/history_detail.html")]
pub struct DetailView {
    pub kind: &'static str,
    pub transcript: Vec<TranscriptLine>,
    /// Author, time and text of a note.
    pub note: Option<(String, Stamp, String)>,
    pub survey_name: String,
    pub answers: Vec<AnswerLine>,
    /// When and by whom the answers were last saved.
    pub saved: Option<(Stamp, String)>,
}

#[tracing::instrument(skip_all)]
pub async fn history_detail_get(
    State(state): State<AppState>,
    user: AgentUser,
    Path((id, kind, item)): Path<(String, String, String)>,
) -> Result<Response, TabError> {
    let (_, contact) = workitem_for(&state, &user, &id).await?;
    let missing = || {
        TabError::new(
            StatusCode::NOT_FOUND,
            "No such item in this customer's history.",
        )
    };
    let kind = HistoryKind::parse(&kind).ok_or_else(missing)?;
    let item: u64 = item.parse().map_err(|_| missing())?;
    if kind == HistoryKind::Note {
        user.require(Permission::NotesRead)?;
    }
    let contact = contact.id;
    let detail = state
        .store
        .read(move |txn| store::history_detail(txn, contact, kind, item))
        .await?
        .ok_or_else(missing)?;
    Ok(fragment(StatusCode::OK, &detail_view(kind, detail)))
}

pub(crate) fn detail_view(kind: HistoryKind, detail: HistoryDetail) -> DetailView {
    let mut view = DetailView {
        kind: kind.as_str(),
        transcript: Vec::new(),
        note: None,
        survey_name: String::new(),
        answers: Vec::new(),
        saved: None,
    };
    match detail {
        HistoryDetail::Workitem {
            messages, agents, ..
        } => {
            view.transcript = messages
                .into_iter()
                .map(|m| {
                    let out = m.direction == Direction::Out;
                    let who = match (out, m.agent) {
                        (false, _) => "Customer".to_owned(),
                        (true, Some(a)) => agents
                            .get(&a)
                            .cloned()
                            .unwrap_or_else(|| format!("agent {a}")),
                        (true, None) => "Sent automatically".to_owned(),
                    };
                    TranscriptLine {
                        at: Stamp::new(m.at),
                        direction: if out { "out" } else { "in" },
                        who,
                        status: out.then(|| match &m.error {
                            Some(e) => format!("{} ({e})", status_word(m.status)),
                            None => status_word(m.status).to_owned(),
                        }),
                        body: m.body,
                    }
                })
                .collect();
        }
        HistoryDetail::Note(n) => {
            view.note = Some((n.author_name, Stamp::new(n.at), n.body));
        }
        HistoryDetail::Survey {
            response,
            survey,
            by,
        } => {
            view.saved = Some((
                Stamp::new(response.updated_at),
                by.unwrap_or_else(|| format!("user {}", response.updated_by)),
            ));
            let mut answers = response.answers;
            if let Some(s) = survey {
                view.survey_name = s.name;
                for q in &s.questions {
                    view.answers.push(AnswerLine {
                        question: q.text.clone(),
                        answer: answers.remove(&q.id).map(|a| answer_text(&a)),
                    });
                }
            } else {
                view.survey_name = "A survey that no longer exists".to_owned();
            }
            // Answers to questions removed from the survey since.
            for (id, a) in answers {
                view.answers.push(AnswerLine {
                    question: format!("Question {id} (no longer in the survey)"),
                    answer: Some(answer_text(&a)),
                });
            }
        }
    }
    view
}

fn answer_text(a: &Answer) -> String {
    match a {
        Answer::Text(s) | Answer::Choice(s) => s.clone(),
        Answer::Choices(v) => v.join(", "),
        Answer::YesNo(true) => "Yes".to_owned(),
        Answer::YesNo(false) => "No".to_owned(),
        Answer::Rating(n) => format!("{n} of {}", RATINGS.end()),
    }
}

fn status_word(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Queued => "queued",
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Undelivered => "undelivered",
        DeliveryStatus::Failed => "failed",
        DeliveryStatus::Received => "received",
    }
}
