//! Surveys: questions admins write and attach to a campaign, answered by the agent once per
//! workitem. Everything here is pure: a survey definition and a submitted form are both
//! checked without I/O, and every refusal names the field it belongs to.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{SurveyId, UserId};

pub const MAX_SURVEY_NAME: usize = 80;
pub const QUESTIONS: RangeInclusive<usize> = 1..=50;
pub const MAX_QUESTION_TEXT: usize = 300;
pub const CHOICE_OPTIONS: RangeInclusive<usize> = 2..=20;
pub const MAX_OPTION: usize = 100;
pub const MAX_SHORT_TEXT: usize = 200;
pub const MAX_LONG_TEXT: usize = 5000;
pub const RATINGS: RangeInclusive<u8> = 1..=5;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Survey {
    pub id: SurveyId,
    pub name: String,
    /// In the order the agent sees them.
    pub questions: Vec<Question>,
    /// The id the next new question gets. Ids are never reused, so answers stored for a
    /// deleted question can never attach to a later one.
    #[serde(default)]
    pub next_question_id: u32,
}

impl Survey {
    pub fn question(&self, id: u32) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// The first id no question of this survey has ever had.
    pub fn first_free_question_id(&self) -> u32 {
        let after_max = self.questions.iter().map(|q| q.id + 1).max().unwrap_or(1);
        self.next_question_id.max(after_max).max(1)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Question {
    /// Stable within the survey: answers are stored under it.
    pub id: u32,
    pub text: String,
    pub kind: QuestionKind,
    pub required: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    ShortText,
    LongText,
    SingleChoice {
        options: Vec<String>,
    },
    MultipleChoice {
        options: Vec<String>,
    },
    YesNo,
    /// 1 to 5.
    Rating,
}

impl QuestionKind {
    /// Every kind as (form value, label), in the order the editor offers them.
    pub const CHOICES: [(&'static str, &'static str); 6] = [
        ("short_text", "Short text"),
        ("long_text", "Long text"),
        ("single_choice", "Single choice"),
        ("multiple_choice", "Multiple choice"),
        ("yes_no", "Yes / no"),
        ("rating", "Rating 1–5"),
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            QuestionKind::ShortText => "short_text",
            QuestionKind::LongText => "long_text",
            QuestionKind::SingleChoice { .. } => "single_choice",
            QuestionKind::MultipleChoice { .. } => "multiple_choice",
            QuestionKind::YesNo => "yes_no",
            QuestionKind::Rating => "rating",
        }
    }

    /// Builds a kind from its form value; `options` are used by the choice kinds only.
    pub fn parse(value: &str, options: Vec<String>) -> Option<QuestionKind> {
        Some(match value.trim() {
            "short_text" => QuestionKind::ShortText,
            "long_text" => QuestionKind::LongText,
            "single_choice" => QuestionKind::SingleChoice { options },
            "multiple_choice" => QuestionKind::MultipleChoice { options },
            "yes_no" => QuestionKind::YesNo,
            "rating" => QuestionKind::Rating,
            _ => return None,
        })
    }

    pub fn takes_options(value: &str) -> bool {
        matches!(value.trim(), "single_choice" | "multiple_choice")
    }

    pub fn options(&self) -> &[String] {
        match self {
            QuestionKind::SingleChoice { options } | QuestionKind::MultipleChoice { options } => {
                options
            }
            _ => &[],
        }
    }
}

/// One validated answer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Answer {
    Text(String),
    Choice(String),
    /// In the order the survey lists the options.
    Choices(Vec<String>),
    YesNo(bool),
    Rating(u8),
}

impl Answer {
    /// The form values that would submit this answer again (to fill a form in).
    pub fn form_values(&self) -> Vec<String> {
        match self {
            Answer::Text(s) | Answer::Choice(s) => vec![s.clone()],
            Answer::Choices(v) => v.clone(),
            Answer::YesNo(b) => vec![if *b { "yes" } else { "no" }.to_owned()],
            Answer::Rating(n) => vec![n.to_string()],
        }
    }
}

/// The answers given for one workitem, stored under the workitem's id.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SurveyResponse {
    /// The survey answered (a campaign may later switch to another).
    pub survey: SurveyId,
    /// Question id → answer; unanswered optional questions are absent.
    pub answers: BTreeMap<u32, Answer>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: UserId,
}

/// Refusals, each under the name of the field it belongs to (the first one per field wins).
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
#[error("{} field(s) need attention", .0.len())]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    fn into_result<T>(self, ok: T) -> Result<T, FieldErrors> {
        if self.is_empty() { Ok(ok) } else { Err(self) }
    }
}

/// The field an answer's error is filed under: `q{question id}`.
pub fn answer_field(question: u32) -> String {
    format!("q{question}")
}

/// The field a question's error is filed under: `question.{position}.{part}` (`text`,
/// `options`), counting positions from 0 in the order given to [`validate_survey`].
pub fn question_field(position: usize, part: &str) -> String {
    format!("question.{position}.{part}")
}

/// Every value the form sent per question id (checkboxes send several).
pub type RawAnswers = BTreeMap<u32, Vec<String>>;

/// Checks a submitted survey form against its survey: required questions answered, choices
/// among the options, ratings 1–5, texts within their limits. Values for questions the
/// survey does not have are ignored.
pub fn validate_answers(
    survey: &Survey,
    raw: &RawAnswers,
) -> Result<BTreeMap<u32, Answer>, FieldErrors> {
    let mut answers = BTreeMap::new();
    let mut errors = FieldErrors::default();
    for q in &survey.questions {
        let given: Vec<&str> = raw
            .get(&q.id)
            .map(|v| {
                v.iter()
                    .map(String::as_str)
                    .filter(|s| !s.trim().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        match parse_answer(&q.kind, &given) {
            Ok(Some(a)) => {
                answers.insert(q.id, a);
            }
            Ok(None) if q.required => {
                errors.add(answer_field(q.id), "This question needs an answer.")
            }
            Ok(None) => {}
            Err(message) => errors.add(answer_field(q.id), message),
        }
    }
    errors.into_result(answers)
}

/// One question's answer from its non-blank values; `None` when there is none.
fn parse_answer(kind: &QuestionKind, given: &[&str]) -> Result<Option<Answer>, String> {
    let Some(first) = given.first() else {
        return Ok(None);
    };
    let single = || {
        if given.len() > 1 {
            Err("Give one answer only.".to_owned())
        } else {
            Ok(first.trim())
        }
    };
    let text = |max: usize| {
        let value = single()?.replace("\r\n", "\n");
        let n = value.chars().count();
        if n > max {
            Err(format!("Keep this to {max} characters (it has {n})."))
        } else {
            Ok(Some(Answer::Text(value)))
        }
    };
    match kind {
        QuestionKind::ShortText => text(MAX_SHORT_TEXT),
        QuestionKind::LongText => text(MAX_LONG_TEXT),
        QuestionKind::SingleChoice { options } => {
            let value = single()?;
            match options.iter().find(|o| o.as_str() == value) {
                Some(o) => Ok(Some(Answer::Choice(o.clone()))),
                None => Err("Choose one of the listed options.".into()),
            }
        }
        QuestionKind::MultipleChoice { options } => {
            if given
                .iter()
                .any(|v| !options.iter().any(|o| o.as_str() == v.trim()))
            {
                return Err("Choose only from the listed options.".into());
            }
            let chosen = options
                .iter()
                .filter(|o| given.iter().any(|v| v.trim() == o.as_str()))
                .cloned()
                .collect();
            Ok(Some(Answer::Choices(chosen)))
        }
        QuestionKind::YesNo => match single()? {
            "yes" => Ok(Some(Answer::YesNo(true))),
            "no" => Ok(Some(Answer::YesNo(false))),
            _ => Err("Answer yes or no.".into()),
        },
        QuestionKind::Rating => match single()?.parse::<u8>() {
            Ok(n) if RATINGS.contains(&n) => Ok(Some(Answer::Rating(n))),
            _ => Err(format!(
                "Choose a rating from {} to {}.",
                RATINGS.start(),
                RATINGS.end()
            )),
        },
    }
}

/// Checks a survey definition: a name, 1–50 questions, each with text, choice questions with
/// 2–20 distinct non-empty options. Errors are filed under `name`, `questions` and
/// [`question_field`].
pub fn validate_survey(name: &str, questions: &[Question]) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::default();
    let name_len = name.trim().chars().count();
    if name_len == 0 {
        errors.add("name", "Give the survey a name.");
    } else if name_len > MAX_SURVEY_NAME {
        errors.add(
            "name",
            format!("Keep the name to {MAX_SURVEY_NAME} characters (it has {name_len})."),
        );
    }
    if questions.len() < *QUESTIONS.start() {
        errors.add("questions", "Add at least one question.");
    } else if questions.len() > *QUESTIONS.end() {
        errors.add(
            "questions",
            format!(
                "A survey can have at most {} questions (this one has {}).",
                QUESTIONS.end(),
                questions.len()
            ),
        );
    }
    for (i, q) in questions.iter().enumerate() {
        if questions[..i].iter().any(|earlier| earlier.id == q.id) {
            errors.add("questions", format!("Two questions share the id {}.", q.id));
        }
        let len = q.text.trim().chars().count();
        if len == 0 {
            errors.add(question_field(i, "text"), "Write the question.");
        } else if len > MAX_QUESTION_TEXT {
            errors.add(
                question_field(i, "text"),
                format!("Keep the question to {MAX_QUESTION_TEXT} characters (it has {len})."),
            );
        }
        if matches!(
            q.kind,
            QuestionKind::SingleChoice { .. } | QuestionKind::MultipleChoice { .. }
        ) && let Err(message) = check_options(q.kind.options())
        {
            errors.add(question_field(i, "options"), message);
        }
    }
    errors.into_result(())
}

fn check_options(options: &[String]) -> Result<(), String> {
    if options.iter().any(|o| o.trim().is_empty()) {
        return Err("Options cannot be empty.".into());
    }
    if let Some(long) = options.iter().find(|o| o.chars().count() > MAX_OPTION) {
        let start: String = long.chars().take(20).collect();
        return Err(format!(
            "Keep each option to {MAX_OPTION} characters (\"{start}…\" is longer)."
        ));
    }
    for (i, o) in options.iter().enumerate() {
        if options[..i]
            .iter()
            .any(|earlier| earlier.trim() == o.trim())
        {
            return Err(format!("\"{}\" is listed twice.", o.trim()));
        }
    }
    if options.len() < *CHOICE_OPTIONS.start() {
        return Err(format!(
            "A choice question needs at least {} options, one per line.",
            CHOICE_OPTIONS.start()
        ));
    }
    if options.len() > *CHOICE_OPTIONS.end() {
        return Err(format!(
            "A choice question can have at most {} options (this one has {}).",
            CHOICE_OPTIONS.end(),
            options.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
