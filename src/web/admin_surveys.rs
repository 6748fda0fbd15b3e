//! The survey builder (admins): the list of surveys, an editor for one survey and its
//! questions, and the survey each campaign uses. Plain server-rendered forms: a refused save
//! answers 422 with every typed value kept and each message next to its field.

use std::collections::{BTreeMap, HashSet};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::AdminUser;
use super::error::PageError;
use super::views::render;
use crate::domain::survey::{FieldErrors, question_field, validate_survey};
use crate::domain::{CampaignId, Question, QuestionKind, Survey, SurveyId, User};
use crate::state::AppState;
use crate::store;

/// Rows beyond this index in a submitted editor form are ignored (a survey has at most 50).
const MAX_ROW_INDEX: usize = 200;

#[derive(Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    notice: Option<String>,
}

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
#[template(path = "admin_surveys.html")]
pub struct AdminSurveysView {
    pub csrf: String,
    pub me: User,
    pub notice: Option<String>,
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
#[template(path = "admin_survey_editor.html")]
pub struct SurveyEditorView {
    pub csrf: String,
    pub me: User,
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
        csrf: me.csrf().to_owned(),
        me: me.user.clone(),
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
pub async fn survey_new_get(me: AdminUser) -> Response {
    let view = editor_view(&me, None, "New survey".into(), None);
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
    let view = editor_view(&me, Some(survey.id), survey.name.clone(), q.notice);
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
    me: &AdminUser,
    id: Option<SurveyId>,
    title: String,
    notice: Option<String>,
) -> SurveyEditorView {
    SurveyEditorView {
        csrf: me.csrf().to_owned(),
        me: me.user.clone(),
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

/// The editor form: the name, the rows by their index, and whether "add question" was pressed.
struct EditorForm {
    name: String,
    rows: Vec<QuestionRow>,
    add: bool,
}

fn parse_editor(body: &[u8]) -> EditorForm {
    let mut name = String::new();
    let mut add = false;
    let mut rows: BTreeMap<usize, QuestionRow> = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "name" => name = v.into_owned(),
            "action" => add = v == "add",
            key => {
                let Some((index, part)) = key
                    .strip_prefix('q')
                    .and_then(|rest| rest.split_once('.'))
                    .and_then(|(i, part)| Some((i.parse::<usize>().ok()?, part)))
                else {
                    continue;
                };
                if index > MAX_ROW_INDEX {
                    continue;
                }
                let row = rows.entry(index).or_default();
                let v = v.into_owned();
                match part {
                    "id" => row.id = v,
                    "text" => row.text = v,
                    "kind" => row.kind = v,
                    "options" => row.options = v,
                    "required" => row.required = true,
                    "order" => row.order = v,
                    _ => {}
                }
            }
        }
    }
    EditorForm {
        name,
        rows: rows.into_values().collect(),
        add,
    }
}

/// A checked survey, ready to store.
struct Draft {
    name: String,
    questions: Vec<Question>,
    next_question_id: u32,
}

/// What a refused save shows again.
struct Refused {
    rows: Vec<QuestionRow>,
    errors: FieldErrors,
}

/// Turns the editor's rows into questions: rows without text are dropped, the rest sorted by
/// their order number (ties keep their place); known question ids are kept, new rows get
/// ids never used in this survey.
fn plan(name: &str, rows: Vec<QuestionRow>, stored: Option<&Survey>) -> Result<Draft, Refused> {
    let mut rows: Vec<QuestionRow> = rows
        .into_iter()
        .filter(|r| !r.text.trim().is_empty())
        .collect();
    let mut row_errors = false;
    let mut orders = Vec::with_capacity(rows.len());
    for (position, row) in rows.iter_mut().enumerate() {
        let typed = row.order.trim();
        if typed.is_empty() {
            orders.push(position as i64 + 1);
        } else if let Ok(n) = typed.parse::<i64>() {
            orders.push(n);
        } else {
            row.order_error = Some("Order must be a whole number, like 3.".into());
            row_errors = true;
        }
    }
    if !row_errors {
        let mut keyed: Vec<(i64, QuestionRow)> = orders.into_iter().zip(rows).collect();
        keyed.sort_by_key(|(order, _)| *order);
        rows = keyed.into_iter().map(|(_, row)| row).collect();
    }
    let mut next_id = stored.map(Survey::first_free_question_id).unwrap_or(1);
    let mut used = HashSet::new();
    let mut questions = Vec::with_capacity(rows.len());
    for row in rows.iter_mut() {
        let options: Vec<String> = if QuestionKind::takes_options(&row.kind) {
            row.options
                .lines()
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect()
        } else {
            Vec::new()
        };
        let Some(kind) = QuestionKind::parse(&row.kind, options) else {
            row.kind_error = Some("Choose what kind of answer this question takes.".into());
            row_errors = true;
            continue;
        };
        let known =
            row.id.trim().parse::<u32>().ok().filter(|id| {
                stored.is_some_and(|s| s.question(*id).is_some()) && !used.contains(id)
            });
        let id = known.unwrap_or_else(|| {
            let id = next_id;
            next_id += 1;
            id
        });
        used.insert(id);
        questions.push(Question {
            id,
            text: row.text.trim().to_owned(),
            kind,
            required: row.required,
        });
    }
    let errors = match validate_survey(name, &questions) {
        Ok(()) => FieldErrors::default(),
        Err(errors) => errors,
    };
    if !row_errors && errors.is_empty() {
        return Ok(Draft {
            name: name.trim().to_owned(),
            questions,
            next_question_id: next_id,
        });
    }
    // Question positions match row positions only when every row became a question.
    if questions.len() == rows.len() {
        for (i, row) in rows.iter_mut().enumerate() {
            row.text_error = errors.get(&question_field(i, "text")).map(str::to_owned);
            row.options_error = errors.get(&question_field(i, "options")).map(str::to_owned);
        }
    }
    Err(Refused { rows, errors })
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
    let view = editor_view(me, id, title, None);
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
mod tests {
    use super::*;

    fn row(id: &str, text: &str, kind: &str, options: &str, order: &str) -> QuestionRow {
        QuestionRow {
            id: id.into(),
            text: text.into(),
            kind: kind.into(),
            options: options.into(),
            order: order.into(),
            ..QuestionRow::default()
        }
    }

    #[test]
    fn rows_are_parsed_by_index_and_part() {
        let form = parse_editor(
            b"_csrf=x&name=Exit&q1.text=Second&q0.text=First&q0.kind=yes_no&q0.required=on\
              &q1.options=A%0D%0AB&q1.kind=single_choice&q9999.text=ignored&action=add",
        );
        assert_eq!(form.name, "Exit");
        assert!(form.add);
        assert_eq!(form.rows.len(), 2);
        assert_eq!(form.rows[0].text, "First");
        assert!(form.rows[0].required);
        assert_eq!(form.rows[1].options, "A\r\nB");
        assert!(!form.rows[1].required);
    }

    #[test]
    fn empty_rows_are_dropped_and_the_rest_sorted_by_order() {
        let rows = vec![
            row("", "Third", "rating", "", "30"),
            row("", "  ", "short_text", "", "1"),
            row("", "First", "single_choice", "Yes\n\n No \n", "10"),
            row("", "Second", "long_text", "ignored", ""),
        ];
        let draft = plan(" Exit ", rows, None).ok().expect("valid");
        assert_eq!(draft.name, "Exit");
        let texts: Vec<&str> = draft.questions.iter().map(|q| q.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Second", "First", "Third"],
            "blank order = position"
        );
        assert_eq!(
            draft.questions[1].kind,
            QuestionKind::SingleChoice {
                options: vec!["Yes".into(), "No".into()]
            }
        );
        assert_eq!(draft.questions[0].kind, QuestionKind::LongText);
        let ids: Vec<u32> = draft.questions.iter().map(|q| q.id).collect();
        assert_eq!(ids, [1, 2, 3], "new ids in the order shown");
        assert_eq!(draft.next_question_id, 4);
    }

    #[test]
    fn known_ids_are_kept_and_new_ones_never_reuse_a_deleted_id() {
        let stored = Survey {
            id: SurveyId(1),
            name: "S".into(),
            questions: vec![Question {
                id: 2,
                text: "Kept".into(),
                kind: QuestionKind::YesNo,
                required: false,
            }],
            next_question_id: 5,
        };
        let rows = vec![
            row("2", "Kept", "yes_no", "", "1"),
            row("2", "Copy with a crafted id", "yes_no", "", "2"),
            row("77", "Unknown id", "yes_no", "", "3"),
        ];
        let draft = plan("S", rows, Some(&stored)).ok().expect("valid");
        let ids: Vec<u32> = draft.questions.iter().map(|q| q.id).collect();
        assert_eq!(ids, [2, 5, 6]);
        assert_eq!(draft.next_question_id, 7);
    }

    #[test]
    fn refusals_land_on_their_rows_with_the_typed_values() {
        let rows = vec![
            row("", "Colour?", "single_choice", "Red", "1"),
            row("", "Why?", "essay", "", "2"),
            row("", "When?", "short_text", "", "soon"),
        ];
        let Err(refused) = plan("", rows, None) else {
            panic!("should be refused");
        };
        assert_eq!(refused.errors.get("name"), Some("Give the survey a name."));
        assert!(refused.rows[1].kind_error.is_some());
        assert!(refused.rows[2].order_error.is_some());
        assert_eq!(refused.rows[2].order, "soon");
        let rows = vec![
            row("", "Fine?", "yes_no", "", "2"),
            row("", "Colour?", "multiple_choice", "Red\nRed", "1"),
        ];
        let Err(refused) = plan("S", rows, None) else {
            panic!("should be refused");
        };
        assert_eq!(refused.rows[0].text, "Colour?", "sorted before checking");
        assert_eq!(
            refused.rows[0].options_error.as_deref(),
            Some("\"Red\" is listed twice.")
        );
        assert_eq!(refused.rows[0].options, "Red\nRed");
        assert!(refused.rows[1].options_error.is_none());
    }
}
