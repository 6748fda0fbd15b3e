//! The Survey tab in a real browser: a save with a required answer missing shows the message next
//! to that question and keeps every other answer; a complete save says "Saved at …", and the
//! answers are still there after switching tabs and back. Skips like the other browser tests
//! without Chromium (fails instead with `PARLEY_REQUIRE_BROWSER=1`).

use parley::domain::{Answer, Role, WorkitemId};
use serde_json::json;

use crate::browser::{
    catch_up_clock, click, js, log_in_available, open_browser, texts, the_offer, type_into,
    wait_for, wait_text,
};
use crate::common::*;
use crate::surveys::{SURVEY_LINE, attach, create_survey, exit_survey_form, survey_campaign};

const CUSTOMER: &str = "+14155550123";

/// What the survey form holds: text values and the checked choices, per field name.
async fn form_state(c: &fantoccini::Client) -> serde_json::Value {
    js(
        c,
        "const f = document.querySelector('#panel-survey #survey-form'); \
         const out = {}; \
         for (const e of f.elements) { \
           if (!e.name) continue; \
           if (e.type === 'radio' || e.type === 'checkbox') { \
             if (e.checked) (out[e.name] = out[e.name] || []).push(e.value); \
           } else { out[e.name] = e.value; } \
         } \
         return out;",
        vec![],
    )
    .await
}

#[tokio::test]
async fn the_survey_tab_refuses_a_missing_answer_in_place_and_keeps_saved_answers() {
    let Some((driver, c)) = open_browser().await else {
        return;
    };
    let server = TestServer::start().await;

    // A campaign whose survey has one question of each kind (q1 short text, required).
    let campaign = survey_campaign(&server).await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let survey = create_survey(&admin, &exit_survey_form()).await;
    assert_eq!(attach(&admin, campaign, &survey.to_string()).await.0, 303);
    let queue = server.default_queue().await;
    let alice = server.add_agent("alice", &[queue], None).await;

    // Log in, become Available, accept the customer's text to the campaign's number.
    log_in_available(&c, &server, &alice).await;
    catch_up_clock(&server);
    let res = server
        .twilio_sms_to("SM1", CUSTOMER, SURVEY_LINE, "Thanks for the help")
        .await;
    assert_eq!(res.status(), 200);
    let id = the_offer(&c).await;
    click(&c, &format!("#offer-{id} .accept")).await;
    wait_for(&c, &format!("#item-{id}.current")).await;

    // The Survey tab: answer everything but the required name, and save.
    click(&c, "#tab-survey").await;
    wait_for(&c, "#panel-survey #survey-form").await;
    wait_text(&c, "#panel-survey .survey-name", "Exit survey").await;
    type_into(&c, "#q2", "Quick and friendly").await;
    click(&c, "#panel-survey input[name=q3][value=Green]").await;
    click(&c, "#panel-survey input[name=q4][value=SMS]").await;
    click(&c, "#panel-survey input[name=q4][value=Voice]").await;
    click(&c, "#panel-survey input[name=q5][value=yes]").await;
    click(&c, "#panel-survey input[name=q6][value=\"4\"]").await;
    click(&c, "#survey-save").await;
    wait_text(
        &c,
        "#panel-survey #q1-error",
        "This question needs an answer.",
    )
    .await;
    assert_eq!(
        js(
            &c,
            "const f = document.getElementById('q1'); \
             return [f.getAttribute('aria-invalid'), f.nextElementSibling.id, \
                     f.closest('.survey-question').id];",
            vec![],
        )
        .await,
        json!(["true", "q1-error", "question-1"]),
        "the message sits right after the name field, which is marked invalid"
    );
    assert_eq!(
        texts(&c, "#panel-survey .field-error").await.len(),
        1,
        "only the name is missing"
    );
    let expected_rest = json!({
        "q1": "",
        "q2": "Quick and friendly",
        "q3": ["Green"],
        "q4": ["SMS", "Voice"],
        "q5": ["yes"],
        "q6": ["4"],
    });
    assert_eq!(form_state(&c).await, expected_rest, "typed answers kept");
    let stored = |server: &TestServer| {
        let store = server.state.store.clone();
        async move {
            store
                .read(move |txn| parley::store::survey_response(txn, WorkitemId(id)))
                .await
                .expect("read")
        }
    };
    assert_eq!(stored(&server).await, None, "nothing saved");

    // Fill in the name: saved, and shown as saved.
    type_into(&c, "#q1", "Ann").await;
    click(&c, "#survey-save").await;
    wait_text(&c, "#panel-survey #survey-saved", "Saved at").await;
    assert!(texts(&c, "#panel-survey .field-error").await.is_empty());
    let saved = stored(&server).await.expect("stored");
    assert_eq!(saved.answers[&1], Answer::Text("Ann".into()));
    assert_eq!(saved.answers[&6], Answer::Rating(4));

    // Another tab and back: the answers are still there.
    click(&c, "#tab-data").await;
    wait_text(&c, "#panel-data dd", CUSTOMER).await;
    click(&c, "#tab-survey").await;
    wait_for(&c, "#panel-survey #survey-form").await;
    wait_text(&c, "#panel-survey #survey-last-saved", "Last saved").await;
    let mut expected = expected_rest;
    expected["q1"] = json!("Ann");
    assert_eq!(form_state(&c).await, expected, "answers shown again");

    crate::browser::assert_page_clean(&c, "the end of browser_survey").await;

    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
