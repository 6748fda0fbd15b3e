//! The Search page (`/search`) and the read-only workitem page (`/workitems/{id}`) over HTTP:
//! filters from the form, refused searches keeping what was typed, escaped snippets with the
//! match marked, paging, roles, and the whole conversation behind a hit.

use parley::domain::{
    Answer, Question, QuestionKind, Role, Survey, SurveyResponse, User, WorkitemId,
};
use parley::store;
use serde_json::{Value, json};

use crate::common::*;
use crate::search::{enc, until};

const ANN_CUSTOMER: &str = "+14155550101";
const OTHER_CUSTOMER: &str = "+14155550102";

async fn page(client: &Client, path: &str) -> (u16, String) {
    let res = client.get(path).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The text of the element with `id` (up to its first tag inside).
fn text_of<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    &rest[start..start + rest[start..].find('<').unwrap()]
}

/// The link of the element with `id`, unescaped.
fn href_of(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let tag_start = html[..at].rfind('<').unwrap();
    let tag = &html[tag_start..at + html[at..].find('>').unwrap()];
    let href = &tag[tag.find("href=\"").unwrap() + 6..];
    href[..href.find('"').unwrap()]
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// Ann accepts one customer's text and answers it; another customer texts too. Returns Ann,
/// the accepted workitem, and a supervisor's client once all three messages are searchable.
async fn two_conversations(server: &TestServer) -> (User, u64, Client) {
    let queue = server.default_queue().await;
    let ann = server.add_agent("ann", &[queue], None).await;
    let client = server.login("ann").await;
    client.available().await;
    let mut events = client.events().await;
    server
        .twilio_sms("SMp1", ANN_CUSTOMER, "my invoice is wrong")
        .await;
    let workitem = events.offer().await;
    client
        .post_ok(&format!("/api/workitems/{workitem}/accept"), Value::Null)
        .await;
    client
        .post_ok(
            &format!("/api/workitems/{workitem}/messages"),
            json!({"body": "I will fix the invoice now"}),
        )
        .await;
    server
        .twilio_sms("SMp2", OTHER_CUSTOMER, "invoice question from someone else")
        .await;
    server.add_user("boss", Role::Supervisor).await;
    let boss = server.login("boss").await;
    // The agent filter needs the accepted workitem's messages re-indexed with their agent.
    until(
        &boss,
        &format!("/api/search?q=invoice&agent={}", ann.id.0),
        DEADLINE,
        |v| v["total"] == 2,
    )
    .await;
    until(&boss, "/api/search?q=invoice", DEADLINE, |v| {
        v["total"] == 3
    })
    .await;
    (ann, workitem, boss)
}

#[tokio::test]
async fn the_forms_filters_narrow_the_results_and_paging_keeps_them() {
    let server = TestServer::start().await;
    let (ann, _, boss) = two_conversations(&server).await;
    let queue = server.default_queue().await;
    let count = |query: String| {
        let boss = &boss;
        async move {
            let (status, html) = page(boss, &format!("/search?q=invoice&{query}")).await;
            assert_eq!(status, 200, "{query}: {html}");
            text_of(&html, "search-count").to_owned()
        }
    };
    assert_eq!(count(String::new()).await, "3 results");
    assert_eq!(count("direction=out".into()).await, "1 result");
    assert_eq!(count("direction=in".into()).await, "2 results");
    assert_eq!(count(format!("agent={}", ann.id.0)).await, "2 results");
    assert_eq!(count(format!("queue={queue}")).await, "3 results");
    assert_eq!(count("queue=999".into()).await, "0 results");
    let today = server.clock.now().date_naive();
    let yesterday = today.pred_opt().unwrap();
    assert_eq!(
        count(format!("from={today}&to={today}")).await,
        "3 results",
        "a to date includes its whole day"
    );
    assert_eq!(count(format!("to={yesterday}")).await, "0 results");
    assert_eq!(count("kind=note".into()).await, "0 results");

    // The form shows the filters it ran with.
    let (_, html) = page(
        &boss,
        &format!(
            "/search?q=invoice&direction=out&agent={}&sort=newest",
            ann.id.0
        ),
    )
    .await;
    assert!(html.contains("<option value=\"out\" selected>"), "{html}");
    assert!(html.contains(&format!("<option value=\"{}\" selected>", ann.id.0)));
    assert!(html.contains("<option value=\"newest\" selected>"));
    assert!(html.contains("id=\"search-q\" name=\"q\" type=\"search\" value=\"invoice\""));
    assert!(html.contains("<span class=\"search-agent\">ann</span>"));
    assert!(html.contains("<span class=\"search-direction\">outbound</span>"));

    // Paging keeps every filter.
    let (_, first) = page(&boss, "/search?q=invoice&direction=in&per_page=1").await;
    assert_eq!(text_of(&first, "search-count"), "2 results · page 1 of 2");
    assert!(!first.contains("id=\"search-prev\""));
    let next = href_of(&first, "search-next");
    assert_eq!(next, "/search?q=invoice&direction=in&per_page=1&page=2");
    let (status, second) = page(&boss, &next).await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&second, "search-count"), "2 results · page 2 of 2");
    assert!(!second.contains("id=\"search-next\""));
    assert_eq!(
        href_of(&second, "search-prev"),
        "/search?q=invoice&direction=in&per_page=1&page=1"
    );
    // Without words there is only the form.
    let (status, empty) = page(&boss, "/search").await;
    assert_eq!(status, 200);
    assert!(empty.contains("id=\"search-form\""));
    assert!(!empty.contains("search-count") && !empty.contains("search-error"));
    server.stop().await;
}

#[tokio::test]
async fn a_refused_search_shows_why_and_keeps_what_was_typed() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.add_user("boss", Role::Supervisor).await;
    let boss = server.login("boss").await;
    let (status, html) = page(
        &boss,
        &format!("/search?q=invoice&from=2024-02-30&to=2024-03-01&direction=out&queue={queue}"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        text_of(&html, "search-error"),
        "from must be a date (YYYY-MM-DD) or a time (RFC 3339), not &#34;2024-02-30&#34;."
    );
    assert!(html.contains("name=\"from\" type=\"date\" value=\"2024-02-30\""));
    assert!(html.contains("name=\"to\" type=\"date\" value=\"2024-03-01\""));
    assert!(html.contains("value=\"invoice\""));
    assert!(html.contains("<option value=\"out\" selected>"));
    assert!(html.contains(&format!("<option value=\"{queue}\" selected>")));
    assert!(
        !html.contains("search-count"),
        "no results with a refused search"
    );

    let (status, html) = page(&boss, "/search?q=invoice&from=2024-03-02&to=2024-03-01").await;
    assert_eq!(status, 400);
    assert!(text_of(&html, "search-error").contains("must be before"));
    let (status, html) = page(&boss, &format!("/search?q={}", enc("!!! ???"))).await;
    assert_eq!(status, 400);
    assert_eq!(
        text_of(&html, "search-error"),
        "Type at least one word to search for."
    );
    server.stop().await;
}

#[tokio::test]
async fn snippets_are_escaped_with_the_match_marked() {
    let server = TestServer::start().await;
    server.add_user("boss", Role::Supervisor).await;
    let boss = server.login("boss").await;
    server
        .twilio_sms(
            "SMx1",
            "+14155550166",
            "<script>alert(1)</script> refund please",
        )
        .await;
    until(&boss, "/api/search?q=refund", DEADLINE, |v| v["total"] == 1).await;
    let (status, html) = page(&boss, "/search?q=refund").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62; <mark>refund</mark> please"),
        "{html}"
    );
    assert!(!html.contains("<script>"), "the customer's markup is text");
    let (_, html) = page(&boss, "/search?q=alert").await;
    assert!(
        html.contains("&#60;script&#62;<mark>alert</mark>(1)"),
        "{html}"
    );
    server.stop().await;
}

#[tokio::test]
async fn only_supervisors_and_admins_reach_search_and_workitem_pages() {
    let server = TestServer::start().await;
    server
        .twilio_sms("SMr1", "+14155550155", "hello there")
        .await;
    server.add_user("agent1", Role::Agent).await;
    let agent = server.login("agent1").await;
    assert_eq!(page(&agent, "/search?q=hello").await.0, 403);
    assert_eq!(page(&agent, "/workitems/1").await.0, 403);
    let anon = Client::anonymous(&server.url);
    for path in ["/search?q=hello", "/workitems/1"] {
        let res = anon.get(path).await;
        assert_eq!(res.status(), 303, "{path}");
        let to = res.headers()["location"].to_str().unwrap();
        assert!(to.starts_with("/login?next="), "{path} → {to}");
    }
    server.add_user("root", Role::Admin).await;
    let root = server.login("root").await;
    assert_eq!(page(&root, "/search").await.0, 200);
    assert_eq!(page(&root, "/workitems/1").await.0, 200);
    // The workspace offers the page to supervisors and admins only.
    let (_, workspace) = page(&agent, "/workspace").await;
    assert!(!workspace.contains("href=\"/search\""));
    let (_, workspace) = page(&root, "/workspace").await;
    assert!(workspace.contains("href=\"/search\""));
    server.stop().await;
}

#[tokio::test]
async fn a_hit_leads_to_the_whole_conversation_with_its_message_marked() {
    let server = TestServer::start().await;
    let (ann, workitem, boss) = two_conversations(&server).await;
    let ann_client = server.login("ann").await;
    let res = ann_client
        .http
        .post(format!(
            "{}/workspace/workitems/{workitem}/notes",
            ann_client.base
        ))
        .header("X-CSRF-Token", &ann_client.csrf)
        .form(&[("body", "Credit note <b>issued</b>")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    server
        .twilio_sms("SMp3", ANN_CUSTOMER, "thanks, and where is my parcel?")
        .await;
    let answered = server.clock.now();
    server
        .state
        .store
        .write(move |txn| {
            let survey = Survey {
                id: store::next_survey_id(txn)?,
                name: "Exit survey".into(),
                questions: vec![Question {
                    id: 1,
                    text: "How did we do?".into(),
                    kind: QuestionKind::Rating,
                    required: true,
                }],
                next_question_id: 2,
            };
            store::put_survey(txn, &survey)?;
            let response = SurveyResponse {
                survey: survey.id,
                answers: [(1, Answer::Rating(4))].into_iter().collect(),
                updated_at: answered,
                updated_by: ann.id,
            };
            store::save_survey_response(txn, WorkitemId(workitem), &response)
        })
        .await
        .unwrap();

    let found = until(&boss, "/api/search?q=parcel", DEADLINE, |v| v["total"] == 1).await;
    let hit = found["hits"][0]["id"].as_u64().unwrap();
    let (_, html) = page(&boss, "/search?q=parcel").await;
    let link = format!("/workitems/{workitem}?hit={hit}#m{hit}");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");

    let (status, html) = page(&boss, &link).await;
    assert_eq!(status, 200, "{html}");
    let order: Vec<usize> = [
        "my invoice is wrong",
        "I will fix the invoice now",
        "thanks, and where is my parcel?",
    ]
    .iter()
    .map(|body| {
        html.find(&format!("<span class=\"body\">{body}</span>"))
            .unwrap_or_else(|| panic!("{body} missing: {html}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "oldest first");
    assert!(!html.contains("someone else"), "only this conversation");
    assert!(
        html.contains(&format!(
            "class=\"bubble in hit\" id=\"m{hit}\" aria-current=\"true\""
        )),
        "the hit is marked: {html}"
    );
    assert_eq!(html.matches("aria-current=\"true\"").count(), 1);
    assert!(html.contains("<dt>Queue</dt><dd>Support</dd>"));
    assert!(html.contains("<dt>Agent</dt><dd>ann</dd>"));
    assert!(html.contains("<dt>State</dt><dd>active</dd>"));
    assert!(html.contains("Credit note &#60;b&#62;issued&#60;/b&#62;"));
    assert!(html.contains("<dt>How did we do?</dt>"));
    assert!(html.contains("<dd>4 of 5</dd>"));
    assert!(html.contains("ann · outbound"));
    // Unknown or malformed ids.
    for path in ["/workitems/999999", "/workitems/abc"] {
        let (status, html) = page(&boss, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("There is no workitem with this number."));
    }
    server.stop().await;
}

#[tokio::test]
async fn without_notes_read_notes_stay_out_of_search_and_the_workitem_page() {
    let server = TestServer::start().await;
    let (_, workitem, boss) = two_conversations(&server).await;
    let ann = server.login("ann").await;
    let res = ann
        .http
        .post(format!("{}/workspace/workitems/{workitem}/notes", ann.base))
        .header("X-CSRF-Token", &ann.csrf)
        .form(&[("body", "Customer prefers a voucher")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    until(&boss, "/api/search?q=voucher", DEADLINE, |v| {
        v["total"] == 1
    })
    .await;
    let (_, html) = page(&boss, "/search?q=voucher").await;
    assert_eq!(text_of(&html, "search-count"), "1 result");
    assert!(html.contains(&format!("href=\"/workitems/{workitem}#n")));
    let (_, html) = page(&boss, &format!("/workitems/{workitem}")).await;
    assert!(html.contains("Customer prefers a voucher"));

    // A class of service without notes.read: the supervisor no longer sees notes.
    let boss_id = server
        .state
        .store
        .read(|txn| store::user_by_name(txn, "boss"))
        .await
        .unwrap()
        .unwrap()
        .id;
    server
        .state
        .store
        .write(move |txn| {
            let class = store::put_class(txn, None, "No notes", Default::default())?;
            let settings = parley::domain::AgentSettings {
                class_of_service: Some(class.id),
                ..Default::default()
            };
            store::put_agent_settings(txn, boss_id, &settings)
        })
        .await
        .unwrap();
    let (status, html) = page(&boss, "/search?q=voucher").await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&html, "search-count"), "0 results");
    let (status, html) = page(&boss, "/search?q=voucher&kind=note").await;
    assert_eq!(status, 400);
    assert_eq!(
        text_of(&html, "search-error"),
        "Your class of service does not allow reading notes (notes.read)."
    );
    let (status, html) = page(&boss, &format!("/workitems/{workitem}")).await;
    assert_eq!(status, 200);
    assert!(!html.contains("voucher") && !html.contains("<h2>Notes</h2>"));
    assert!(html.contains("my invoice is wrong"), "the transcript stays");
    server.stop().await;
}
