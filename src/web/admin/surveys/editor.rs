//! The survey editor's form: parsing the submitted rows and planning the questions to store.

use std::collections::{BTreeMap, HashSet};

use super::QuestionRow;
use crate::domain::survey::{FieldErrors, question_field, validate_survey};
use crate::domain::{Question, QuestionKind, Survey};

/// Rows beyond this index in a submitted editor form are ignored (a survey has at most 50).
const MAX_ROW_INDEX: usize = 200;

/// The editor form: the name, the rows by their index, and whether "add question" was pressed.
pub(super) struct EditorForm {
    pub(super) name: String,
    pub(super) rows: Vec<QuestionRow>,
    pub(super) add: bool,
}

pub(super) fn parse_editor(body: &[u8]) -> EditorForm {
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
pub(super) struct Draft {
    pub(super) name: String,
    pub(super) questions: Vec<Question>,
    pub(super) next_question_id: u32,
}

/// What a refused save shows again.
pub(super) struct Refused {
    pub(super) rows: Vec<QuestionRow>,
    pub(super) errors: FieldErrors,
}

/// Turns the editor's rows into questions: rows without text are dropped, the rest sorted by
/// their order number (ties keep their place); known question ids are kept, new rows get
/// ids never used in this survey.
pub(super) fn plan(
    name: &str,
    rows: Vec<QuestionRow>,
    stored: Option<&Survey>,
) -> Result<Draft, Refused> {
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
