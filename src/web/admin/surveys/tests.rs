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
