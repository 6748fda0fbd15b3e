use super::*;

fn q(id: u32, kind: QuestionKind, required: bool) -> Question {
    Question {
        id,
        text: format!("Question {id}"),
        kind,
        required,
    }
}

fn opts(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn survey() -> Survey {
    Survey {
        id: SurveyId(1),
        name: "After the chat".into(),
        questions: vec![
            q(1, QuestionKind::ShortText, true),
            q(2, QuestionKind::LongText, false),
            q(
                3,
                QuestionKind::SingleChoice {
                    options: opts(&["Red", "Green"]),
                },
                false,
            ),
            q(
                4,
                QuestionKind::MultipleChoice {
                    options: opts(&["Email", "SMS", "Voice"]),
                },
                false,
            ),
            q(5, QuestionKind::YesNo, false),
            q(6, QuestionKind::Rating, false),
        ],
        next_question_id: 7,
    }
}

fn raw(pairs: &[(u32, &str)]) -> RawAnswers {
    let mut out = RawAnswers::new();
    for (id, v) in pairs {
        out.entry(*id).or_default().push(v.to_string());
    }
    out
}

fn error_of(pairs: &[(u32, &str)], question: u32) -> String {
    let errors = validate_answers(&survey(), &raw(pairs)).expect_err("should be refused");
    errors
        .get(&answer_field(question))
        .unwrap_or_else(|| panic!("no error for q{question}: {errors:?}"))
        .to_owned()
}

#[test]
fn a_complete_form_gives_typed_answers() {
    let answers = validate_answers(
        &survey(),
        &raw(&[
            (1, "  Fine  "),
            (2, "line one\r\nline two"),
            (3, "Green"),
            (4, "Voice"),
            (4, "Email"),
            (5, "no"),
            (6, "4"),
            (99, "ignored: no such question"),
        ]),
    )
    .expect("valid");
    assert_eq!(answers[&1], Answer::Text("Fine".into()));
    assert_eq!(answers[&2], Answer::Text("line one\nline two".into()));
    assert_eq!(answers[&3], Answer::Choice("Green".into()));
    assert_eq!(
        answers[&4],
        Answer::Choices(opts(&["Email", "Voice"])),
        "in the survey's option order"
    );
    assert_eq!(answers[&5], Answer::YesNo(false));
    assert_eq!(answers[&6], Answer::Rating(4));
    assert_eq!(answers.len(), 6);
}

#[test]
fn a_required_question_must_be_answered_and_optional_ones_may_be_blank() {
    assert_eq!(error_of(&[], 1), "This question needs an answer.");
    assert_eq!(error_of(&[(1, "   ")], 1), "This question needs an answer.");
    let answers = validate_answers(&survey(), &raw(&[(1, "ok"), (3, "")])).expect("valid");
    assert_eq!(answers.len(), 1, "blank optional answers are left out");
    let mut s = survey();
    for question in &mut s.questions {
        question.required = true;
    }
    let errors = validate_answers(&s, &raw(&[(1, "ok")])).expect_err("refused");
    assert_eq!(
        errors.len(),
        5,
        "every unanswered required question: {errors:?}"
    );
}

#[test]
fn a_single_choice_must_be_one_of_the_options() {
    assert_eq!(
        error_of(&[(1, "x"), (3, "Blue")], 3),
        "Choose one of the listed options."
    );
    assert_eq!(
        error_of(&[(1, "x"), (3, "red")], 3),
        "Choose one of the listed options.",
        "options match exactly"
    );
    assert_eq!(
        error_of(&[(1, "x"), (3, "Red"), (3, "Green")], 3),
        "Give one answer only."
    );
}

#[test]
fn every_multiple_choice_value_must_be_an_option() {
    assert_eq!(
        error_of(&[(1, "x"), (4, "SMS"), (4, "Fax")], 4),
        "Choose only from the listed options."
    );
    let answers =
        validate_answers(&survey(), &raw(&[(1, "x"), (4, "SMS"), (4, "SMS")])).expect("valid");
    assert_eq!(
        answers[&4],
        Answer::Choices(opts(&["SMS"])),
        "no duplicates"
    );
}

#[test]
fn a_rating_is_one_to_five() {
    for bad in ["0", "6", "-1", "3.5", "five", "256"] {
        assert_eq!(
            error_of(&[(1, "x"), (6, bad)], 6),
            "Choose a rating from 1 to 5.",
            "{bad}"
        );
    }
    for good in 1..=5 {
        let answers =
            validate_answers(&survey(), &raw(&[(1, "x"), (6, &good.to_string())])).expect("valid");
        assert_eq!(answers[&6], Answer::Rating(good));
    }
}

#[test]
fn yes_no_takes_yes_or_no() {
    assert_eq!(error_of(&[(1, "x"), (5, "maybe")], 5), "Answer yes or no.");
    let answers = validate_answers(&survey(), &raw(&[(1, "x"), (5, "yes")])).expect("valid");
    assert_eq!(answers[&5], Answer::YesNo(true));
}

#[test]
fn texts_have_length_limits_in_characters() {
    let short_ok = "é".repeat(MAX_SHORT_TEXT);
    assert!(validate_answers(&survey(), &raw(&[(1, &short_ok)])).is_ok());
    let short_long = "é".repeat(MAX_SHORT_TEXT + 1);
    assert_eq!(
        error_of(&[(1, &short_long)], 1),
        "Keep this to 200 characters (it has 201)."
    );
    let long_ok = "a".repeat(MAX_LONG_TEXT);
    assert!(validate_answers(&survey(), &raw(&[(1, "x"), (2, &long_ok)])).is_ok());
    let long_long = "a".repeat(MAX_LONG_TEXT + 1);
    assert_eq!(
        error_of(&[(1, "x"), (2, &long_long)], 2),
        "Keep this to 5000 characters (it has 5001)."
    );
}

#[test]
fn answers_fill_the_form_in_again() {
    let s = survey();
    let given = raw(&[
        (1, "Fine"),
        (3, "Red"),
        (4, "SMS"),
        (4, "Email"),
        (5, "yes"),
        (6, "2"),
    ]);
    let answers = validate_answers(&s, &given).expect("valid");
    let refilled: RawAnswers = answers
        .iter()
        .map(|(id, a)| (*id, a.form_values()))
        .collect();
    assert_eq!(validate_answers(&s, &refilled).expect("valid"), answers);
}

#[test]
fn records_round_trip_through_json() {
    let s = survey();
    let json = serde_json::to_string(&s).expect("json");
    assert!(
        json.contains(r#""type":"single_choice","options":["Red","Green"]"#),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<Survey>(&json).expect("back"), s);
    let response = SurveyResponse {
        survey: s.id,
        answers: [(1, Answer::Text("hi".into())), (6, Answer::Rating(5))].into(),
        updated_at: chrono::Utc::now(),
        updated_by: UserId(3),
    };
    let json = serde_json::to_string(&response).expect("json");
    assert!(
        json.contains(r#""6":{"type":"rating","value":5}"#),
        "{json}"
    );
    assert_eq!(
        serde_json::from_str::<SurveyResponse>(&json).expect("back"),
        response
    );
    // A survey stored before `next_question_id` existed still loads.
    let old = r#"{"id":2,"name":"Old","questions":[{"id":4,"text":"Q","kind":{"type":"rating"},"required":false}]}"#;
    let old: Survey = serde_json::from_str(old).expect("old record");
    assert_eq!(old.first_free_question_id(), 5);
}

fn defn_error(name: &str, questions: &[Question], field: &str) -> String {
    let errors = validate_survey(name, questions).expect_err("should be refused");
    errors
        .get(field)
        .unwrap_or_else(|| panic!("no error for {field}: {errors:?}"))
        .to_owned()
}

#[test]
fn a_valid_definition_passes() {
    let s = survey();
    assert_eq!(validate_survey(&s.name, &s.questions), Ok(()));
}

#[test]
fn a_survey_needs_a_name_of_at_most_80_characters() {
    let qs = survey().questions;
    assert_eq!(defn_error("  ", &qs, "name"), "Give the survey a name.");
    assert!(validate_survey(&"n".repeat(80), &qs).is_ok());
    assert_eq!(
        defn_error(&"n".repeat(81), &qs, "name"),
        "Keep the name to 80 characters (it has 81)."
    );
}

#[test]
fn a_survey_has_one_to_fifty_questions() {
    assert_eq!(
        defn_error("S", &[], "questions"),
        "Add at least one question."
    );
    let fifty: Vec<Question> = (1..=50).map(|i| q(i, QuestionKind::YesNo, false)).collect();
    assert!(validate_survey("S", &fifty).is_ok());
    let fifty_one: Vec<Question> = (1..=51).map(|i| q(i, QuestionKind::YesNo, false)).collect();
    assert_eq!(
        defn_error("S", &fifty_one, "questions"),
        "A survey can have at most 50 questions (this one has 51)."
    );
    let twins = [
        q(1, QuestionKind::YesNo, false),
        q(1, QuestionKind::Rating, false),
    ];
    assert_eq!(
        defn_error("S", &twins, "questions"),
        "Two questions share the id 1."
    );
}

#[test]
fn question_text_is_required_and_at_most_300_characters() {
    let mut qs = survey().questions;
    qs[1].text = " ".into();
    assert_eq!(
        defn_error("S", &qs, &question_field(1, "text")),
        "Write the question."
    );
    qs[1].text = "x".repeat(301);
    assert_eq!(
        defn_error("S", &qs, &question_field(1, "text")),
        "Keep the question to 300 characters (it has 301)."
    );
    qs[1].text = "x".repeat(300);
    assert!(validate_survey("S", &qs).is_ok());
}

#[test]
fn choice_questions_need_two_to_twenty_distinct_non_empty_options() {
    let check = |options: Vec<String>| {
        let kinds = [
            QuestionKind::SingleChoice {
                options: options.clone(),
            },
            QuestionKind::MultipleChoice { options },
        ];
        let results: Vec<Option<String>> = kinds
            .into_iter()
            .map(|kind| {
                validate_survey("S", &[q(1, kind, true)])
                    .err()
                    .and_then(|e| e.get(&question_field(0, "options")).map(str::to_owned))
            })
            .collect();
        assert_eq!(results[0], results[1], "both choice kinds follow one rule");
        results[0].clone()
    };
    assert_eq!(check(opts(&["A", "B"])), None);
    assert_eq!(
        check(opts(&["A"])).as_deref(),
        Some("A choice question needs at least 2 options, one per line.")
    );
    assert_eq!(
        check(opts(&["A", " "])).as_deref(),
        Some("Options cannot be empty.")
    );
    assert_eq!(
        check(opts(&["A", "B", "A"])).as_deref(),
        Some("\"A\" is listed twice.")
    );
    let twenty: Vec<String> = (1..=20).map(|i| format!("o{i}")).collect();
    assert_eq!(check(twenty.clone()), None);
    let mut twenty_one = twenty;
    twenty_one.push("o21".into());
    assert_eq!(
        check(twenty_one).as_deref(),
        Some("A choice question can have at most 20 options (this one has 21).")
    );
    assert!(
        check(vec!["x".repeat(101), "B".into()])
            .is_some_and(|e| e.starts_with("Keep each option to 100 characters"))
    );
    // Other kinds carry no options and need none.
    assert!(validate_survey("S", &[q(1, QuestionKind::Rating, true)]).is_ok());
}

#[test]
fn kinds_parse_from_their_form_values() {
    for (value, _) in QuestionKind::CHOICES {
        let kind = QuestionKind::parse(value, opts(&["A", "B"])).expect(value);
        assert_eq!(kind.as_str(), value);
        assert_eq!(
            QuestionKind::takes_options(value),
            !kind.options().is_empty()
        );
    }
    assert_eq!(QuestionKind::parse("essay", vec![]), None);
}
