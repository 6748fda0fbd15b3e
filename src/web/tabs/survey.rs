//! The Survey tab: the survey of the workitem's campaign, filled in by the workitem's agent.
//! Answers are checked against the survey and stored with the workitem; they can be changed
//! until the workitem is terminated. Supervisors see the answers read-only.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::info::Stamp;
use super::{TabError, fragment, workitem_for};
use crate::domain::survey::{
    FieldErrors, MAX_LONG_TEXT, MAX_SHORT_TEXT, RATINGS, RawAnswers, answer_field, validate_answers,
};
use crate::domain::{QuestionKind, Survey, SurveyResponse, UserId, Workitem, WorkitemState};
use crate::state::AppState;
use crate::store::{self, SavedResponse};
use crate::web::auth::{AgentUser, SessionInfo};

const NO_CAMPAIGN: &str = "This workitem has no campaign, so it has no survey.";
const NO_SURVEY: &str = "No survey for this campaign.";
const ENDED: &str = "This workitem has ended; its survey answers can no longer be changed.";
const NOT_YOURS: &str = "Only the agent handling this workitem can fill in its survey.";
const NOT_ACCEPTED: &str = "Accept the workitem to fill in its survey.";

/// One question as the tab shows it, with the values it holds (stored or as typed).
pub struct QuestionView {
    pub id: u32,
    pub number: usize,
    pub text: String,
    /// How it is answered: `text`, `textarea`, `radio` or `checkbox`.
    pub input: &'static str,
    pub required: bool,
    /// (form value, label) of each choice, for radio and checkbox inputs.
    pub choices: Vec<(String, String)>,
    pub values: Vec<String>,
    pub max_len: usize,
    pub error: Option<String>,
}

impl QuestionView {
    fn new(survey: &Survey, raw: &RawAnswers, errors: &FieldErrors) -> Vec<QuestionView> {
        survey
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let pairs = |values: &[String]| {
                    values
                        .iter()
                        .map(|v| (v.clone(), v.clone()))
                        .collect::<Vec<_>>()
                };
                let (input, choices, max_len) = match &q.kind {
                    QuestionKind::ShortText => ("text", Vec::new(), MAX_SHORT_TEXT),
                    QuestionKind::LongText => ("textarea", Vec::new(), MAX_LONG_TEXT),
                    QuestionKind::SingleChoice { options } => ("radio", pairs(options), 0),
                    QuestionKind::MultipleChoice { options } => ("checkbox", pairs(options), 0),
                    QuestionKind::YesNo => (
                        "radio",
                        vec![("yes".into(), "Yes".into()), ("no".into(), "No".into())],
                        0,
                    ),
                    QuestionKind::Rating => (
                        "radio",
                        RATINGS.map(|n| (n.to_string(), n.to_string())).collect(),
                        0,
                    ),
                };
                QuestionView {
                    id: q.id,
                    number: i + 1,
                    text: q.text.clone(),
                    input,
                    required: q.required,
                    choices,
                    values: raw.get(&q.id).cloned().unwrap_or_default(),
                    max_len,
                    error: errors.get(&answer_field(q.id)).map(str::to_owned),
                }
            })
            .collect()
    }

    pub fn has(&self, value: &str) -> bool {
        self.values.iter().any(|v| v == value)
    }

    /// The typed text of a text question.
    pub fn value(&self) -> &str {
        self.values.first().map(String::as_str).unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "tabs/survey.html")]
pub struct SurveyTab {
    pub workitem: u64,
    /// Shown instead of a form when there is nothing to fill in.
    pub absent: Option<&'static str>,
    pub name: String,
    pub questions: Vec<QuestionView>,
    pub editable: bool,
    /// Why the form cannot be changed, when it cannot.
    pub read_only: Option<&'static str>,
    /// Set right after a save.
    pub saved: Option<Stamp>,
    /// When and by whom the answers were last saved.
    pub last_saved: Option<(Stamp, String)>,
    /// What went wrong with the last submit, in one sentence.
    pub problem: Option<String>,
}

/// The survey to show for a workitem and the answers it has.
struct Loaded {
    survey: Option<Survey>,
    response: Option<SurveyResponse>,
    /// Who saved the answers last.
    saved_by: Option<String>,
}

/// The survey already answered for this workitem (a campaign may have switched since), or
/// else its campaign's survey.
async fn load(state: &AppState, w: &Workitem) -> Result<Loaded, TabError> {
    let (id, campaign) = (w.id, w.campaign);
    Ok(state
        .store
        .read(move |txn| {
            let response = store::survey_response(txn, id)?;
            let mut survey = match &response {
                Some(r) => store::survey(txn, r.survey)?,
                None => None,
            };
            if survey.is_none()
                && let Some(c) = campaign
                && let Some(s) = store::campaign_survey(txn, c)?
            {
                survey = store::survey(txn, s)?;
            }
            let saved_by = match &response {
                Some(r) => store::user(txn, r.updated_by)?.map(|u| u.display_name),
                None => None,
            };
            Ok(Loaded {
                survey,
                response,
                saved_by,
            })
        })
        .await?)
}

/// Why this user may not change the workitem's answers now, if they may not.
fn read_only_reason(w: &Workitem, me: UserId) -> Option<&'static str> {
    if w.state == WorkitemState::Terminated {
        Some(ENDED)
    } else if w.agent != Some(me) {
        Some(NOT_YOURS)
    } else if w.state != WorkitemState::Active {
        Some(NOT_ACCEPTED)
    } else {
        None
    }
}

/// The tab as stored: the survey with its saved answers.
fn stored_view(w: &Workitem, me: &SessionInfo, loaded: Loaded) -> SurveyTab {
    let absent = match (&loaded.survey, w.campaign) {
        (Some(_), _) => None,
        (None, None) => Some(NO_CAMPAIGN),
        (None, Some(_)) => Some(NO_SURVEY),
    };
    let Some(survey) = loaded.survey else {
        return SurveyTab {
            workitem: w.id.0,
            absent,
            name: String::new(),
            questions: Vec::new(),
            editable: false,
            read_only: None,
            saved: None,
            last_saved: None,
            problem: None,
        };
    };
    let response = loaded.response.filter(|r| r.survey == survey.id);
    let raw: RawAnswers = response
        .iter()
        .flat_map(|r| r.answers.iter())
        .map(|(id, a)| (*id, a.form_values()))
        .collect();
    let read_only = read_only_reason(w, me.user.id);
    SurveyTab {
        workitem: w.id.0,
        absent,
        name: survey.name.clone(),
        questions: QuestionView::new(&survey, &raw, &FieldErrors::default()),
        editable: read_only.is_none(),
        read_only,
        saved: None,
        last_saved: response.map(|r| {
            (
                Stamp::new(r.updated_at),
                loaded
                    .saved_by
                    .unwrap_or_else(|| format!("user {}", r.updated_by)),
            )
        }),
        problem: None,
    }
}

#[tracing::instrument(skip_all)]
pub async fn survey_get(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
) -> Result<Response, TabError> {
    let (w, _) = workitem_for(&state, &user, &id).await?;
    let loaded = load(&state, &w).await?;
    Ok(fragment(StatusCode::OK, &stored_view(&w, &user, loaded)))
}

/// Every `q{id}` value of the form (checkboxes repeat their name).
fn parse_answers(body: &[u8]) -> RawAnswers {
    let mut raw = RawAnswers::new();
    for (k, v) in form_urlencoded::parse(body) {
        if let Some(id) = k.strip_prefix('q').and_then(|n| n.parse::<u32>().ok()) {
            raw.entry(id).or_default().push(v.into_owned());
        }
    }
    raw
}

/// The stored answers again, read-only, with why the submit was refused (409).
async fn refused(state: &AppState, w: &Workitem, me: &SessionInfo, why: &str) -> Response {
    match load(state, w).await {
        Ok(loaded) => {
            let mut view = stored_view(w, me, loaded);
            view.editable = false;
            view.problem = Some(why.to_owned());
            fragment(StatusCode::CONFLICT, &view)
        }
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

#[tracing::instrument(skip_all)]
pub async fn survey_post(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, TabError> {
    let (w, _) = workitem_for(&state, &user, &id).await?;
    if w.agent != Some(user.user.id) {
        return Err(TabError::new(StatusCode::FORBIDDEN, NOT_YOURS));
    }
    if let Some(why) = read_only_reason(&w, user.user.id) {
        return Ok(refused(&state, &w, &user, why).await);
    }
    let loaded = load(&state, &w).await?;
    let Some(survey) = loaded.survey else {
        let why = if w.campaign.is_some() {
            NO_SURVEY
        } else {
            NO_CAMPAIGN
        };
        return Err(TabError::new(StatusCode::CONFLICT, why));
    };
    let raw = parse_answers(&body);
    let answers = match validate_answers(&survey, &raw) {
        Ok(answers) => answers,
        Err(errors) => {
            let n = errors.len();
            let view = SurveyTab {
                workitem: w.id.0,
                absent: None,
                name: survey.name.clone(),
                questions: QuestionView::new(&survey, &raw, &errors),
                editable: true,
                read_only: None,
                saved: None,
                last_saved: None,
                problem: Some(if n == 1 {
                    "One answer needs attention; nothing was saved.".to_owned()
                } else {
                    format!("{n} answers need attention; nothing was saved.")
                }),
            };
            return Ok(fragment(StatusCode::UNPROCESSABLE_ENTITY, &view));
        }
    };
    let now = state.clock.now();
    let response = SurveyResponse {
        survey: survey.id,
        answers,
        updated_at: now,
        updated_by: user.user.id,
    };
    let to_store = response.clone();
    let workitem = w.id;
    let outcome = state
        .store
        .write(move |txn| store::save_survey_response(txn, workitem, &to_store))
        .await?;
    match outcome {
        SavedResponse::Saved => {
            let loaded = Loaded {
                survey: Some(survey),
                response: Some(response),
                saved_by: Some(user.user.display_name.clone()),
            };
            let mut view = stored_view(&w, &user, loaded);
            view.saved = Some(Stamp::new(now));
            Ok(fragment(StatusCode::OK, &view))
        }
        SavedResponse::NoWorkitem => Err(TabError::new(StatusCode::NOT_FOUND, "No such workitem.")),
        // The workitem changed hands or ended between the checks above and the save.
        SavedResponse::Terminated => Ok(refused(&state, &w, &user, ENDED).await),
        SavedResponse::NotTheAgent => Err(TabError::new(StatusCode::CONFLICT, NOT_YOURS)),
    }
}
