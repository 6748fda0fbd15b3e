//! The agent's Survey tab: filling the survey in and editing it until the workitem ends, who
//! may save it, and workitems without a survey.

use super::*;

/// Sends a customer's text to `to`; the offer's workitem, accepted by `agent`.
async fn accepted_from(
    server: &TestServer,
    agent: &Client,
    events: &mut Events,
    sid: &str,
    to: &str,
) -> u64 {
    let res = server.twilio_sms_to(sid, "+14155550101", to, "hello").await;
    assert_eq!(res.status(), 200);
    let id = events.offer().await;
    agent
        .post_ok(&format!("/api/workitems/{id}/accept"), json!({}))
        .await;
    id
}

/// A campaign with the exit survey, alice in its queue with one accepted workitem.
async fn surveyed_workitem(server: &TestServer) -> (Client, u64) {
    let campaign = survey_campaign(server).await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let survey = create_survey(&admin, &exit_survey_form()).await;
    assert_eq!(attach(&admin, campaign, &survey.to_string()).await.0, 303);
    let q = server.default_queue().await;
    server.add_agent("alice", &[q], None).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;
    let id = accepted_from(server, &alice, &mut events, "SM1", SURVEY_LINE).await;
    (alice, id)
}

const ANSWERS: [(&str, &str); 7] = [
    ("q1", "Ann"),
    ("q2", "Line one\r\nline <two>"),
    ("q3", "Green"),
    ("q4", "SMS"),
    ("q4", "Email"),
    ("q5", "yes"),
    ("q6", "4"),
];

#[tokio::test]
async fn the_agent_fills_in_the_survey_and_edits_it_until_the_workitem_ends() {
    let server = TestServer::start().await;
    let (alice, id) = surveyed_workitem(&server).await;
    let tab = format!("/workspace/workitems/{id}/tabs/survey");
    let save = format!("/workspace/workitems/{id}/survey");
    let (status, html) = get_page(&alice, &tab).await;
    assert_eq!(status, 200);
    for part in [
        "Exit survey",
        "<input id=\"q1\" name=\"q1\" value=\"\" maxlength=\"200\" required>",
        "<textarea id=\"q2\" name=\"q2\"",
        "type=\"radio\" name=\"q3\" value=\"Green\"",
        "type=\"checkbox\" name=\"q4\" value=\"Voice\"",
        "type=\"radio\" name=\"q5\" value=\"no\"",
        "type=\"radio\" name=\"q6\" value=\"5\"",
        "Your name? <span class=\"required\">(required)</span>",
        "id=\"survey-save\"",
    ] {
        assert!(html.contains(part), "{part} missing in {html}");
    }
    assert!(!html.contains("Saved at"));

    // Refused: a required answer missing, a crafted choice, a rating out of range.
    let bad = [
        ("q2", "kept <typed> text"),
        ("q3", "Purple"),
        ("q4", "SMS"),
        ("q5", "no"),
        ("q6", "9"),
    ];
    let (status, html, _) = form_post(&alice, &save, &bad).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("3 answers need attention; nothing was saved."));
    for (q, message) in [
        (1, "This question needs an answer."),
        (3, "Choose one of the listed options."),
        (6, "Choose a rating from 1 to 5."),
    ] {
        assert!(
            html.contains(&format!(
                "<span class=\"field-error\" id=\"q{q}-error\">{message}</span>"
            )),
            "q{q}: {html}"
        );
    }
    assert!(
        html.contains("kept &#60;typed&#62; text</textarea>"),
        "typed text kept, escaped"
    );
    assert!(html.contains("value=\"SMS\" checked"), "typed choice kept");
    assert!(html.contains("value=\"no\" checked"));
    assert!(html.contains(
        "id=\"q1\" name=\"q1\" value=\"\" maxlength=\"200\" required aria-invalid=\"true\""
    ));
    let crafted = [
        ("q1", "Ann"),
        ("q3", "Red"),
        ("q4", "Fax"),
        ("q5", "yes"),
        ("q6", "3"),
    ];
    let (status, html, _) = form_post(&alice, &save, &crafted).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"q4-error\">Choose only from the listed options."));
    assert_eq!(
        stored_response(&server, id).await,
        None,
        "nothing refused was stored"
    );

    // Saved: typed answers stored with the workitem.
    let (status, html, _) = form_post(&alice, &save, &ANSWERS).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("id=\"survey-saved\">Saved at <time"),
        "{html}"
    );
    let r = stored_response(&server, id).await.expect("stored");
    assert_eq!(r.answers[&1], Answer::Text("Ann".into()));
    assert_eq!(r.answers[&2], Answer::Text("Line one\nline <two>".into()));
    assert_eq!(r.answers[&3], Answer::Choice("Green".into()));
    assert_eq!(
        r.answers[&4],
        Answer::Choices(vec!["Email".into(), "SMS".into()])
    );
    assert_eq!(r.answers[&5], Answer::YesNo(true));
    assert_eq!(r.answers[&6], Answer::Rating(4));

    // Opening the tab again shows the answers.
    let (_, html) = get_page(&alice, &tab).await;
    for part in [
        "id=\"q1\" name=\"q1\" value=\"Ann\"",
        "Line one\nline &#60;two&#62;</textarea>",
        "value=\"Green\" checked",
        "value=\"Email\" checked",
        "value=\"SMS\" checked",
        "name=\"q5\" value=\"yes\" checked",
        "name=\"q6\" value=\"4\" checked",
        "Last saved",
    ] {
        assert!(html.contains(part), "{part} missing in {html}");
    }
    assert!(!html.contains("value=\"Voice\" checked"));

    // Editing replaces the answers; an optional answer can be cleared.
    server.advance(30);
    let edited = [("q1", "Ann B."), ("q3", "Red"), ("q5", "no"), ("q6", "5")];
    let (status, _, _) = form_post(&alice, &save, &edited).await;
    assert_eq!(status, 200);
    let r2 = stored_response(&server, id).await.expect("stored");
    assert_eq!(r2.answers.len(), 4);
    assert_eq!(r2.answers[&1], Answer::Text("Ann B.".into()));
    assert_eq!(r2.answers[&6], Answer::Rating(5));
    assert_eq!((r2.updated_at - r.updated_at).num_seconds(), 30);

    // After termination the form is read-only and a crafted POST is refused.
    alice
        .post_ok(&format!("/api/workitems/{id}/terminate"), json!({}))
        .await;
    let (status, html) = get_page(&alice, &tab).await;
    assert_eq!(status, 200);
    assert!(html.contains("<fieldset class=\"survey-fields\" disabled>"));
    assert!(html.contains("This workitem has ended; its survey answers can no longer be changed."));
    assert!(!html.contains("id=\"survey-save\""));
    assert!(
        html.contains("value=\"Ann B.\""),
        "the answers stay visible"
    );
    let (status, html, _) = form_post(&alice, &save, &ANSWERS).await;
    assert_eq!(status, 409);
    assert!(html.contains("role=\"alert\" id=\"survey-problem\">This workitem has ended"));
    assert_eq!(
        stored_response(&server, id).await,
        Some(r2.clone()),
        "unchanged"
    );
    // The store itself re-checks inside the saving transaction, whatever the handler saw.
    let late = SurveyResponse {
        answers: Default::default(),
        ..r2.clone()
    };
    let outcome = server
        .state
        .store
        .write(move |txn| parley::store::save_survey_response(txn, WorkitemId(id), &late))
        .await
        .unwrap();
    assert_eq!(outcome, parley::store::SavedResponse::Terminated);
    assert_eq!(stored_response(&server, id).await, Some(r2), "unchanged");
    server.stop().await;
}

#[tokio::test]
async fn only_the_workitems_agent_may_save_its_survey() {
    let server = TestServer::start().await;
    let (_alice, id) = surveyed_workitem(&server).await;
    let tab = format!("/workspace/workitems/{id}/tabs/survey");
    let save = format!("/workspace/workitems/{id}/survey");
    server.add_user("bob", Role::Agent).await;
    let bob = server.login("bob").await;
    assert_eq!(get_page(&bob, &tab).await.0, 404);
    let (status, html, _) = form_post(&bob, &save, &ANSWERS).await;
    assert_eq!(status, 404, "{html}");

    server.add_user("sue", Role::Supervisor).await;
    let sue = server.login("sue").await;
    let (status, html) = get_page(&sue, &tab).await;
    assert_eq!(status, 200);
    assert!(html.contains("Only the agent handling this workitem can fill in its survey."));
    assert!(html.contains("<fieldset class=\"survey-fields\" disabled>"));
    let (status, html, _) = form_post(&sue, &save, &ANSWERS).await;
    assert_eq!(status, 403);
    assert!(html.contains("Only the agent handling this workitem can fill in its survey."));
    assert_eq!(stored_response(&server, id).await, None);

    // A request without the session's CSRF token is refused before anything else.
    let forged = Client {
        csrf: "wrong".into(),
        ..server.login("alice").await
    };
    assert_eq!(form_post(&forged, &save, &ANSWERS).await.0, 403);
    assert_eq!(stored_response(&server, id).await, None);
    server.stop().await;
}

#[tokio::test]
async fn workitems_without_a_survey_say_so() {
    let server = TestServer::start().await;
    let campaign = survey_campaign(&server).await;
    let q = server.default_queue().await;
    server.add_agent("alice", &[q], Some(5)).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;
    // A number no campaign owns: the workitem has no campaign.
    let loose = accepted_from(&server, &alice, &mut events, "SM1", OUR_NUMBER).await;
    let (status, html) =
        get_page(&alice, &format!("/workspace/workitems/{loose}/tabs/survey")).await;
    assert_eq!(status, 200);
    assert!(html.contains("This workitem has no campaign"), "{html}");
    // A campaign without a survey.
    let plain = accepted_from(&server, &alice, &mut events, "SM2", SURVEY_LINE).await;
    let (status, html) =
        get_page(&alice, &format!("/workspace/workitems/{plain}/tabs/survey")).await;
    assert_eq!(status, 200);
    assert!(html.contains("No survey for this campaign."), "{html}");
    let (status, html, _) = form_post(
        &alice,
        &format!("/workspace/workitems/{plain}/survey"),
        &[("q1", "x")],
    )
    .await;
    assert_eq!(status, 409);
    assert!(html.contains("No survey for this campaign."));
    assert_eq!(campaign_survey(&server, campaign).await, None);
    server.stop().await;
}
