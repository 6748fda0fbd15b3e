//! Surveys: the admin builder (each rule over HTTP, roles), attaching a survey to a campaign,
//! and the agent filling it in on the Survey tab until the workitem ends.

use parley::domain::{
    Answer, CampaignId, CampaignKind, E164, QuestionKind, Role, Survey, SurveyId, SurveyResponse,
    WorkitemId,
};
use parley::store::NewCampaign;
use serde_json::json;

use crate::common::*;

mod survey_tab;

/// The campaign's own number, so its workitems carry the campaign.
pub(crate) const SURVEY_LINE: &str = "+14155550177";

/// Status, body and `Location` of a form POST sent like a browser form.
pub(crate) async fn form_post(
    client: &Client,
    path: &str,
    pairs: &[(&str, &str)],
) -> (u16, String, String) {
    client.form_post(path, pairs, true).await
}

async fn get_page(client: &Client, path: &str) -> (u16, String) {
    let res = client.get(path).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

/// A campaign on [`SURVEY_LINE`] routing to the default queue.
pub(crate) async fn survey_campaign(server: &TestServer) -> CampaignId {
    let queue = server.default_queue().await;
    let number = E164::parse(SURVEY_LINE).unwrap();
    let created = server
        .state
        .store
        .write(move |txn| {
            parley::store::insert_campaign(
                txn,
                "Survey line",
                CampaignKind::Inbound,
                queue,
                vec![number],
            )
        })
        .await
        .unwrap();
    match created {
        NewCampaign::Created(c) => c.id,
        NewCampaign::NumberTaken(n) => panic!("{n} taken"),
    }
}

/// The editor form of the standard test survey: six questions, one of each kind.
pub(crate) fn exit_survey_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("name", "Exit survey"),
        ("q0.text", "Your name?"),
        ("q0.kind", "short_text"),
        ("q0.required", "on"),
        ("q1.text", "Anything else?"),
        ("q1.kind", "long_text"),
        ("q2.text", "Favourite colour"),
        ("q2.kind", "single_choice"),
        ("q2.options", "Red\r\nGreen\r\n"),
        ("q2.required", "on"),
        ("q3.text", "Channels you use"),
        ("q3.kind", "multiple_choice"),
        ("q3.options", "Email\r\nSMS\r\nVoice"),
        ("q4.text", "Was it resolved?"),
        ("q4.kind", "yes_no"),
        ("q4.required", "on"),
        ("q5.text", "How did we do?"),
        ("q5.kind", "rating"),
        ("q5.required", "on"),
        ("action", "save"),
    ]
}

/// Creates a survey through the builder; its id.
pub(crate) async fn create_survey(admin: &Client, form: &[(&str, &str)]) -> SurveyId {
    let (status, body, location) = form_post(admin, "/admin/surveys/new", form).await;
    assert_eq!(status, 303, "survey not saved: {body}");
    let rest = location
        .strip_prefix("/admin/surveys/")
        .unwrap_or_else(|| panic!("redirect to {location}"));
    rest.split('?').next().unwrap().parse().unwrap()
}

pub(crate) async fn attach(admin: &Client, campaign: CampaignId, survey: &str) -> (u16, String) {
    let (status, body, _) = form_post(
        admin,
        &format!("/admin/surveys/campaigns/{campaign}"),
        &[("survey", survey)],
    )
    .await;
    (status, body)
}

async fn stored_surveys(server: &TestServer) -> Vec<Survey> {
    server
        .state
        .store
        .read(parley::store::all_surveys)
        .await
        .unwrap()
}

async fn stored_response(server: &TestServer, id: u64) -> Option<SurveyResponse> {
    server
        .state
        .store
        .read(move |txn| parley::store::survey_response(txn, WorkitemId(id)))
        .await
        .unwrap()
}

/// The form with `field` set to `value` (replacing it, or added when absent).
fn with(
    form: &[(&'static str, &'static str)],
    field: &'static str,
    value: &'static str,
) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&str, String)> = form
        .iter()
        .filter(|(k, _)| *k != field)
        .map(|(k, v)| (*k, v.to_string()))
        .collect();
    out.push((field, value.to_owned()));
    out
}

fn pairs<'a>(owned: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    owned.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Posts an editor form that must be refused; the 422 page.
async fn refused(admin: &Client, form: &[(&str, &str)]) -> String {
    let (status, body, _) = form_post(admin, "/admin/surveys/new", form).await;
    assert_eq!(status, 422, "expected a refusal: {body}");
    assert!(body.contains("The survey was not saved"), "{body}");
    body
}

#[tokio::test]
async fn the_builder_checks_every_rule_next_to_its_field_and_keeps_what_was_typed() {
    let server = TestServer::start().await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let (status, list) = get_page(&admin, "/admin/surveys").await;
    assert_eq!(status, 200);
    assert!(list.contains("No surveys yet."), "{list}");
    let (status, editor) = get_page(&admin, "/admin/surveys/new").await;
    assert_eq!(status, 200);
    assert!(
        editor.contains("name=\"q0.text\""),
        "one empty row to start"
    );

    let form = exit_survey_form();
    // "Add question" adds an empty row and keeps every typed value; nothing is saved.
    let add = with(&form, "action", "add");
    let (status, page, _) = form_post(&admin, "/admin/surveys/new", &pairs(&add)).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("name=\"q6.text\" value=\"\""),
        "a new empty row"
    );
    assert!(page.contains("value=\"Exit survey\""));
    assert!(page.contains("value=\"Favourite colour\""));
    assert!(page.contains("Red\r\nGreen"), "options kept as typed");

    // Name: required, at most 80 characters.
    let page = refused(&admin, &pairs(&with(&form, "name", "  "))).await;
    assert!(
        page.contains("id=\"survey-name-error\">Give the survey a name."),
        "{page}"
    );
    assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"survey-name-error\""));
    assert!(page.contains("value=\"How did we do?\""), "questions kept");
    let long_name = "n".repeat(81);
    let mut f = with(&form, "name", "");
    f.last_mut().unwrap().1 = long_name.clone();
    let page = refused(&admin, &pairs(&f)).await;
    assert!(page.contains("Keep the name to 80 characters (it has 81)."));
    assert!(
        page.contains(&format!("value=\"{long_name}\"")),
        "typed name kept"
    );

    // 1 to 50 questions (rows without text are dropped first).
    let page = refused(
        &admin,
        &[("name", "Empty"), ("q0.text", " "), ("q0.kind", "rating")],
    )
    .await;
    assert!(page.contains("id=\"questions-error\">Add at least one question."));
    let many: Vec<(String, String)> = (0..51)
        .flat_map(|i| {
            [
                (format!("q{i}.text"), format!("Question {i}")),
                (format!("q{i}.kind"), "yes_no".to_owned()),
            ]
        })
        .chain([("name".to_owned(), "Long".to_owned())])
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let page = refused(&admin, &many).await;
    assert!(page.contains("A survey can have at most 50 questions (this one has 51)."));

    // Question text at most 300 characters; the long text is kept.
    let long_text = "q".repeat(301);
    let mut f = with(&form, "q1.text", "");
    f.last_mut().unwrap().1 = long_text.clone();
    let page = refused(&admin, &pairs(&f)).await;
    assert!(page.contains("Keep the question to 300 characters (it has 301)."));
    assert!(page.contains(&format!("value=\"{long_text}\"")));

    // Choice questions: 2 to 20 distinct options.
    for (options, message) in [
        (
            "Red",
            "A choice question needs at least 2 options, one per line.",
        ),
        ("Red\nGreen\nRed", "&#34;Red&#34; is listed twice."),
    ] {
        let page = refused(&admin, &pairs(&with(&form, "q2.options", options))).await;
        assert!(page.contains(message), "{message} missing: {page}");
        assert!(
            page.contains("aria-describedby=\"q2-options-error\""),
            "next to row 2"
        );
    }
    let twenty_one: String = (1..=21).map(|i| format!("o{i}\n")).collect();
    let mut f = with(&form, "q3.options", "");
    f.last_mut().unwrap().1 = twenty_one;
    let page = refused(&admin, &pairs(&f)).await;
    assert!(page.contains("id=\"q3-options-error\">A choice question can have at most 20 options"));

    // Order numbers and kinds are checked too.
    let page = refused(&admin, &pairs(&with(&form, "q4.order", "soon"))).await;
    assert!(page.contains("id=\"q4-order-error\">Order must be a whole number"));
    assert!(page.contains("value=\"soon\""));
    let page = refused(&admin, &pairs(&with(&form, "q0.kind", "essay"))).await;
    assert!(page.contains("id=\"q0-kind-error\""));

    assert!(
        stored_surveys(&server).await.is_empty(),
        "nothing refused was stored"
    );

    // A valid survey is stored with stable ids and listed.
    let id = create_survey(&admin, &form).await;
    let stored = stored_surveys(&server).await;
    assert_eq!(stored.len(), 1);
    let s = &stored[0];
    assert_eq!((s.id, s.name.as_str()), (id, "Exit survey"));
    let ids: Vec<u32> = s.questions.iter().map(|q| q.id).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    assert_eq!(
        s.questions[2].kind,
        QuestionKind::SingleChoice {
            options: vec!["Red".into(), "Green".into()]
        }
    );
    assert!(s.questions[0].required && !s.questions[1].required);
    let (_, list) = get_page(&admin, "/admin/surveys").await;
    assert!(list.contains(&format!("<a href=\"/admin/surveys/{id}\">Exit survey</a>")));

    // Editing: reorder, drop a question by clearing its text, add one; ids stay stable.
    let (status, editor) = get_page(&admin, &format!("/admin/surveys/{id}")).await;
    assert_eq!(status, 200);
    assert!(editor.contains("name=\"q5.id\" value=\"6\""), "{editor}");
    let mut edit = exit_survey_form();
    edit.extend([
        ("q0.id", "1"),
        ("q1.id", "2"),
        ("q2.id", "3"),
        ("q3.id", "4"),
        ("q4.id", "5"),
        ("q5.id", "6"),
        ("q5.order", "0"),
        ("q6.text", "Would you recommend us?"),
        ("q6.kind", "yes_no"),
    ]);
    let edit = with(&edit, "q1.text", "");
    let (status, body, location) =
        form_post(&admin, &format!("/admin/surveys/{id}"), &pairs(&edit)).await;
    assert_eq!(status, 303, "{body}");
    assert!(location.starts_with(&format!("/admin/surveys/{id}?notice=")));
    let s = stored_surveys(&server).await.remove(0);
    let order: Vec<(u32, &str)> = s
        .questions
        .iter()
        .map(|q| (q.id, q.text.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            (6, "How did we do?"),
            (1, "Your name?"),
            (3, "Favourite colour"),
            (4, "Channels you use"),
            (5, "Was it resolved?"),
            (7, "Would you recommend us?"),
        ]
    );
    let (_, editor) = get_page(&admin, &format!("/admin/surveys/{id}")).await;
    assert!(
        editor.contains("name=\"q0.order\" value=\"1\"")
            && editor.contains("name=\"q5.order\" value=\"6\""),
        "renumbered by order"
    );
    // Removing a question never lets a new one take its id.
    let mut again = edit.clone();
    again.push(("q6.id", "7".to_owned()));
    again.push(("q7.text", "Newest".to_owned()));
    again.push(("q7.kind", "short_text".to_owned()));
    let (status, _, _) = form_post(&admin, &format!("/admin/surveys/{id}"), &pairs(&again)).await;
    assert_eq!(status, 303);
    let s = stored_surveys(&server).await.remove(0);
    let ids: Vec<u32> = s.questions.iter().map(|q| q.id).collect();
    assert_eq!(
        ids,
        [6, 1, 3, 4, 5, 7, 8],
        "2 was deleted and is not reused"
    );
    assert_eq!(get_page(&admin, "/admin/surveys/999").await.0, 404);
    server.stop().await;
}

#[tokio::test]
async fn only_admins_reach_the_survey_builder() {
    let server = TestServer::start().await;
    let campaign = survey_campaign(&server).await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let survey = create_survey(&admin, &exit_survey_form()).await;
    server.add_user("alice", Role::Agent).await;
    server.add_user("sue", Role::Supervisor).await;
    for name in ["alice", "sue"] {
        let client = server.login(name).await;
        for path in [
            "/admin/surveys".to_owned(),
            "/admin/surveys/new".to_owned(),
            format!("/admin/surveys/{survey}"),
        ] {
            let (status, body) = get_page(&client, &path).await;
            assert_eq!(status, 403, "{name} GET {path}");
            assert!(body.contains("This needs the admin role."));
        }
        let (status, _, _) = form_post(&client, "/admin/surveys/new", &exit_survey_form()).await;
        assert_eq!(status, 403);
        let (status, _, _) = form_post(
            &client,
            &format!("/admin/surveys/{survey}"),
            &[
                ("name", "Hijacked"),
                ("q0.text", "Q"),
                ("q0.kind", "yes_no"),
            ],
        )
        .await;
        assert_eq!(status, 403);
        assert_eq!(attach(&client, campaign, &survey.to_string()).await.0, 403);
    }
    let anonymous = Client::anonymous(&server.url);
    assert_eq!(get_page(&anonymous, "/admin/surveys").await.0, 303);
    let stored = stored_surveys(&server).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name, "Exit survey");
    server.stop().await;
}

async fn campaign_survey(server: &TestServer, campaign: CampaignId) -> Option<SurveyId> {
    server
        .state
        .store
        .read(parley::store::all_campaigns)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == campaign)
        .and_then(|c| c.survey)
}

#[tokio::test]
async fn admins_choose_the_survey_of_each_campaign() {
    let server = TestServer::start().await;
    let campaign = survey_campaign(&server).await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let survey = create_survey(&admin, &exit_survey_form()).await;
    let (_, list) = get_page(&admin, "/admin/surveys").await;
    assert!(list.contains(&format!("action=\"/admin/surveys/campaigns/{campaign}\"")));
    assert!(list.contains("<option value=\"\" selected>None</option>"));

    assert_eq!(attach(&admin, campaign, &survey.to_string()).await.0, 303);
    assert_eq!(campaign_survey(&server, campaign).await, Some(survey));
    let (_, list) = get_page(&admin, "/admin/surveys").await;
    assert!(list.contains(&format!(
        "<option value=\"{survey}\" selected>Exit survey</option>"
    )));
    assert!(
        list.contains("<td>Survey line</td>"),
        "used by the campaign"
    );

    for bad in ["999", "abc"] {
        let (status, page) = attach(&admin, campaign, bad).await;
        assert_eq!(status, 422, "{bad}");
        assert!(page.contains(&format!(
            "id=\"campaign-{campaign}-error\">Choose one of the listed surveys, or none."
        )));
        assert_eq!(
            campaign_survey(&server, campaign).await,
            Some(survey),
            "a bad choice changes nothing"
        );
    }
    assert_eq!(attach(&admin, CampaignId(999), "").await.0, 404);
    assert_eq!(attach(&admin, campaign, "").await.0, 303);
    assert_eq!(campaign_survey(&server, campaign).await, None);
    server.stop().await;
}
