//! The survey builder (admins): the list of surveys, an editor for one survey and its
//! questions, and the survey each campaign uses. Plain server-rendered forms: a refused save
//! answers 422 with every typed value kept and each message next to its field.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

mod editor;

use editor::{Refused, parse_editor, plan};

use super::Notice;
use crate::domain::{CampaignId, Question, QuestionKind, Survey, SurveyId};
use crate::state::AppState;
use crate::store;
use crate::web::auth::AdminUser;
use crate::web::error::PageError;
use crate::web::nav::Nav;
use crate::web::views::render;

/// One survey in the list.
pub struct SurveyRow {
    pub id: u64,
    pub name: String,
    pub questions: usize,
    /// Names of the campaigns using it.
    pub campaigns: String,
}

/// One campaign with the survey it uses.
pub struct CampaignRow {
    pub id: u64,
    pub name: String,
    pub numbers: String,
    /// The selected survey id, or empty for none.
    pub survey: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/surveys.html")]
pub struct AdminSurveysView {
    pub nav: Nav,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub surveys: Vec<SurveyRow>,
    pub campaigns: Vec<CampaignRow>,
}

/// One question row of the editor, exactly as typed.
#[derive(Default)]
pub struct QuestionRow {
    /// The question's stable id (hidden); empty for a new question.
    pub id: String,
    pub text: String,
    pub kind: String,
    /// One option per line (choice kinds only).
    pub options: String,
    pub required: bool,
    pub order: String,
    pub text_error: Option<String>,
    pub kind_error: Option<String>,
    pub options_error: Option<String>,
    pub order_error: Option<String>,
}

impl QuestionRow {
    pub fn is_kind(&self, kind: &str) -> bool {
        self.kind == kind
    }

    fn blank(order: usize) -> QuestionRow {
        QuestionRow {
            kind: "short_text".into(),
            order: order.to_string(),
            ..QuestionRow::default()
        }
    }

    fn of(q: &Question, position: usize) -> QuestionRow {
        QuestionRow {
            id: q.id.to_string(),
            text: q.text.clone(),
            kind: q.kind.as_str().into(),
            options: q.kind.options().join("\n"),
            required: q.required,
            order: (position + 1).to_string(),
            ..QuestionRow::default()
        }
    }
}

#[derive(Template)]
#[template(path = "admin/survey_editor.html")]
pub struct SurveyEditorView {
    pub nav: Nav,
    /// Admin pages' shared error line; the editor puts errors next to their fields instead.
    pub error: Option<String>,
    /// Where the form posts: `/admin/surveys/new` or `/admin/surveys/{id}`.
    pub action: String,
    pub title: String,
    pub notice: Option<String>,
    pub name: String,
    pub name_error: Option<String>,
    pub questions_error: Option<String>,
    /// True when this is a refused save (a summary is shown at the top).
    pub refused: bool,
    pub rows: Vec<QuestionRow>,
    pub kinds: &'static [(&'static str, &'static str)],
}

#[tracing::instrument(skip_all)]
pub async fn surveys_get(
    State(state): State<AppState>,
    me: AdminUser,
    Query(q): Query<Notice>,
) -> Result<Response, PageError> {
    let view = list_view(&state, &me, q.notice, None).await?;
    Ok(render(&view))
}

async fn list_view(
    state: &AppState,
    me: &AdminUser,
    notice: Option<String>,
    refused: Option<(CampaignId, String, String)>,
) -> Result<AdminSurveysView, PageError> {
    let (surveys, campaigns) = state
        .store
        .read(|txn| Ok((store::all_surveys(txn)?, store::all_campaigns(txn)?)))
        .await?;
    let surveys = surveys
        .iter()
        .map(|s| SurveyRow {
            id: s.id.0,
            name: s.name.clone(),
            questions: s.questions.len(),
            campaigns: campaigns
                .iter()
                .filter(|c| c.survey == Some(s.id))
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let campaigns = campaigns
        .into_iter()
        .map(|c| {
            let (survey, error) = match &refused {
                Some((id, typed, error)) if *id == c.id => (typed.clone(), Some(error.clone())),
                _ => (c.survey.map(|s| s.to_string()).unwrap_or_default(), None),
            };
            CampaignRow {
                id: c.id.0,
                name: c.name,
                numbers: c
                    .numbers
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                survey,
                error,
            }
        })
        .collect();
    Ok(AdminSurveysView {
        nav: Nav::admin(state, me, "surveys"),
        error: None,
        notice,
        surveys,
        campaigns,
    })
}

fn not_found(what: &str) -> PageError {
    PageError {
        status: StatusCode::NOT_FOUND,
        message: format!("No such {what}."),
    }
}

/// Chooses the survey of one campaign (`survey` = a survey id, or empty for none).
#[tracing::instrument(skip_all)]
pub async fn campaign_survey_post(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let campaign: CampaignId = id.parse().map_err(|_| not_found("campaign"))?;
    let typed = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "survey")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let (surveys, campaigns) = state
        .store
        .read(|txn| Ok((store::all_surveys(txn)?, store::all_campaigns(txn)?)))
        .await?;
    let Some(target) = campaigns.iter().find(|c| c.id == campaign) else {
        return Err(not_found("campaign"));
    };
    let chosen = if typed.is_empty() {
        None
    } else {
        match typed.parse::<SurveyId>() {
            Ok(s) if surveys.iter().any(|x| x.id == s) => Some(s),
            _ => {
                let error = "Choose one of the listed surveys, or none.".to_owned();
                let view = list_view(&state, &me, None, Some((campaign, typed, error))).await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response());
            }
        }
    };
    // Surveys are never deleted, so the one checked above still exists.
    let saved = state
        .store
        .write(move |txn| store::set_campaign_survey(txn, campaign, chosen))
        .await?;
    if saved.is_none() {
        return Err(not_found("campaign"));
    }
    let notice = format!("Saved the survey of {}", target.name);
    Ok(Redirect::to(&format!("/admin/surveys?notice={}", encode(&notice))).into_response())
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tracing::instrument(skip_all)]
pub async fn survey_new_get(State(state): State<AppState>, me: AdminUser) -> Response {
    let view = editor_view(&state, &me, None, "New survey".into(), None);
    render(&SurveyEditorView {
        rows: vec![QuestionRow::blank(1)],
        ..view
    })
}

#[tracing::instrument(skip_all)]
pub async fn survey_edit_get(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<String>,
    Query(q): Query<Notice>,
) -> Result<Response, PageError> {
    let survey = stored_survey(&state, &id).await?;
    let view = editor_view(&state, &me, Some(survey.id), survey.name.clone(), q.notice);
    Ok(render(&SurveyEditorView {
        name: survey.name.clone(),
        rows: survey
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| QuestionRow::of(q, i))
            .collect(),
        ..view
    }))
}

async fn stored_survey(state: &AppState, raw_id: &str) -> Result<Survey, PageError> {
    let id: SurveyId = raw_id.parse().map_err(|_| not_found("survey"))?;
    state
        .store
        .read(move |txn| store::survey(txn, id))
        .await?
        .ok_or_else(|| not_found("survey"))
}

fn editor_view(
    state: &AppState,
    me: &AdminUser,
    id: Option<SurveyId>,
    title: String,
    notice: Option<String>,
) -> SurveyEditorView {
    SurveyEditorView {
        nav: Nav::admin(state, me, "surveys"),
        error: None,
        action: match id {
            Some(id) => format!("/admin/surveys/{id}"),
            None => "/admin/surveys/new".into(),
        },
        title,
        notice,
        name: String::new(),
        name_error: None,
        questions_error: None,
        refused: false,
        rows: Vec::new(),
        kinds: &QuestionKind::CHOICES,
    }
}

#[tracing::instrument(skip_all)]
pub async fn survey_new_post(
    State(state): State<AppState>,
    me: AdminUser,
    body: Bytes,
) -> Result<Response, PageError> {
    save(&state, &me, None, &body).await
}

#[tracing::instrument(skip_all)]
pub async fn survey_edit_post(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let stored = stored_survey(&state, &id).await?;
    save(&state, &me, Some(stored), &body).await
}

async fn save(
    state: &AppState,
    me: &AdminUser,
    stored: Option<Survey>,
    body: &[u8],
) -> Result<Response, PageError> {
    let form = parse_editor(body);
    let id = stored.as_ref().map(|s| s.id);
    let title = stored
        .as_ref()
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "New survey".into());
    let view = editor_view(state, me, id, title, None);
    if form.add {
        let mut rows = form.rows;
        rows.push(QuestionRow::blank(rows.len() + 1));
        return Ok(render(&SurveyEditorView {
            name: form.name,
            rows,
            ..view
        }));
    }
    match plan(&form.name, form.rows, stored.as_ref()) {
        Err(Refused { mut rows, errors }) => {
            if rows.is_empty() {
                rows.push(QuestionRow::blank(1));
            }
            let view = SurveyEditorView {
                name: form.name,
                name_error: errors.get("name").map(str::to_owned),
                questions_error: errors.get("questions").map(str::to_owned),
                refused: true,
                rows,
                ..view
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response())
        }
        Ok(draft) => {
            let saved = state
                .store
                .write(move |txn| {
                    let id = match id {
                        Some(id) => id,
                        None => store::next_survey_id(txn)?,
                    };
                    let survey = Survey {
                        id,
                        name: draft.name,
                        questions: draft.questions,
                        next_question_id: draft.next_question_id,
                    };
                    store::put_survey(txn, &survey)?;
                    Ok(survey)
                })
                .await?;
            let notice = format!("Saved {}", saved.name);
            Ok(Redirect::to(&format!(
                "/admin/surveys/{}?notice={}",
                saved.id,
                encode(&notice)
            ))
            .into_response())
        }
    }
}

#[cfg(test)]
mod tests;
