//! Response templates: the admin pages (validation, roles) and the agent's list for a
//! workitem (campaign, audience, placeholders, permission).

use std::collections::BTreeSet;

use parley::domain::{
    AgentSettings, Audience, CampaignId, CampaignKind, E164, Permission, Role, User, UserId,
};
use parley::store::{self, NewCampaign};
use serde_json::{Value, json};

use crate::common::*;

mod admin_pages;

/// Posts an HTML form with the session's CSRF header, as a browser with the page open would.
async fn form_post(client: &Client, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let res = client
        .http
        .post(format!("{}{path}", client.base))
        .header("X-CSRF-Token", &client.csrf)
        .form(fields)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn admin(server: &TestServer) -> Client {
    server.add_user("root", Role::Admin).await;
    server.login("root").await
}

/// Creates a template through the admin form; `campaigns` empty = all, `agents` empty =
/// everyone.
async fn create(
    admin: &Client,
    name: &str,
    text: &str,
    campaigns: &[CampaignId],
    agents: &[UserId],
) {
    let ids: Vec<(String, String)> = campaigns
        .iter()
        .map(|c| ("campaign".to_owned(), c.to_string()))
        .chain(agents.iter().map(|a| ("agent".to_owned(), a.to_string())))
        .collect();
    let audience = if agents.is_empty() {
        "everyone"
    } else {
        "agents"
    };
    let mut fields = vec![("name", name), ("text", text), ("audience", audience)];
    fields.extend(ids.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let (status, body) = form_post(admin, "/admin/templates", &fields).await;
    assert_eq!(status, 303, "creating {name:?} was refused: {body}");
}

async fn stored(server: &TestServer) -> Vec<parley::domain::ResponseTemplate> {
    server
        .state
        .store
        .read(store::all_response_templates)
        .await
        .unwrap()
}

async fn campaign(server: &TestServer, name: &str, number: &str) -> CampaignId {
    let queue = server.default_queue().await;
    let name = name.to_owned();
    let number = E164::parse(number).unwrap();
    let created = server
        .state
        .store
        .write(move |txn| {
            store::insert_campaign(txn, &name, CampaignKind::Inbound, queue, vec![number])
        })
        .await
        .unwrap();
    match created {
        NewCampaign::Created(c) => c.id,
        NewCampaign::NumberTaken(n) => panic!("{n} taken"),
    }
}

/// An agent in the default queue with a display name of their own.
async fn agent(server: &TestServer, username: &str, display_name: &str) -> User {
    let queue = server.default_queue().await;
    let user = parley::bootstrap::add_user(
        &server.state.store,
        username,
        display_name,
        Role::Agent,
        PASSWORD,
    )
    .await
    .unwrap();
    let settings = AgentSettings {
        queues: vec![queue],
        ..Default::default()
    };
    let (id, s) = (user.id, settings.clone());
    server
        .state
        .store
        .write(move |txn| store::put_agent_settings(txn, id, &s))
        .await
        .unwrap();
    server.state.acd.configure(user.id, settings);
    user
}

/// A customer texts `to`; the (only available) agent accepts the offer. The workitem id.
async fn accepted(
    server: &TestServer,
    agent: &Client,
    events: &mut Events,
    sid: &str,
    from: &str,
    to: &str,
) -> u64 {
    let res = server.twilio_sms_to(sid, from, to, "Hello?").await;
    assert_eq!(res.status(), 200);
    let id = events.offer().await;
    agent
        .post_ok(&format!("/api/workitems/{id}/accept"), json!({}))
        .await;
    id
}

async fn templates_of(client: &Client, id: u64) -> (u16, Value) {
    let res = client.get(&format!("/api/workitems/{id}/templates")).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

fn names(list: &Value) -> Vec<&str> {
    list["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn an_agent_gets_the_templates_for_this_campaign_and_this_agent() {
    let server = TestServer::start().await;
    let root = admin(&server).await;
    let spring = campaign(&server, "Spring Sale", "+14155550111").await;
    let winter = campaign(&server, "Winter", "+14155550122").await;
    let alice_user = agent(&server, "alice", "Alice").await;
    let bob_user = server.add_user("bob", Role::Agent).await;
    create(&root, "Anywhere", "a", &[], &[]).await;
    create(&root, "Spring only", "s", &[spring], &[]).await;
    create(&root, "Winter only", "w", &[winter], &[]).await;
    create(&root, "For bob", "b", &[], &[bob_user.id]).await;
    create(&root, "Alice in spring", "as", &[spring], &[alice_user.id]).await;
    create(
        &root,
        "Both in winter",
        "bw",
        &[winter],
        &[bob_user.id, alice_user.id],
    )
    .await;

    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;
    let in_spring = accepted(
        &server,
        &alice,
        &mut events,
        "SM1",
        "+14155550201",
        "+14155550111",
    )
    .await;
    let in_winter = accepted(
        &server,
        &alice,
        &mut events,
        "SM2",
        "+14155550202",
        "+14155550122",
    )
    .await;
    let no_campaign = accepted(
        &server,
        &alice,
        &mut events,
        "SM3",
        "+14155550203",
        OUR_NUMBER,
    )
    .await;

    let (status, list) = templates_of(&alice, in_spring).await;
    assert_eq!(status, 200);
    assert_eq!(names(&list), ["Alice in spring", "Anywhere", "Spring only"]);
    assert_eq!(list["templates"][1]["text"], "a");
    assert!(list["templates"][1]["id"].is_u64());
    let (_, list) = templates_of(&alice, in_winter).await;
    assert_eq!(names(&list), ["Anywhere", "Both in winter", "Winter only"]);
    let (_, list) = templates_of(&alice, no_campaign).await;
    assert_eq!(names(&list), ["Anywhere"]);

    // Another agent, even one some templates are meant for, gets nothing of alice's workitem.
    let bob = server.login("bob").await;
    let (status, body) = templates_of(&bob, in_spring).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "No such workitem.");
    assert_eq!(templates_of(&alice, 9999).await.0, 404);
    server.stop().await;
}

#[tokio::test]
async fn placeholders_are_filled_from_the_contact_the_agent_and_the_campaign() {
    let server = TestServer::start().await;
    let root = admin(&server).await;
    campaign(&server, "Spring Sale", "+14155550111").await;
    agent(&server, "carol", "Carol Diaz").await;
    create(
        &root,
        "Intro",
        "Hi {first_name} {last_name}, this is {agent_name} from {campaign} 🌷. {first_name}?",
        &[],
        &[],
    )
    .await;
    create(&root, "Welcome", "Hello {first_name}, welcome!", &[], &[]).await;

    let carol = server.login("carol").await;
    let mut events = carol.events().await;
    carol.available().await;
    let named = accepted(
        &server,
        &carol,
        &mut events,
        "SM1",
        "+14155550201",
        "+14155550111",
    )
    .await;
    let detail = carol
        .get(&format!("/api/workitems/{named}"))
        .await
        .json::<Value>()
        .await
        .unwrap();
    let contact = parley::domain::ContactId(detail["workitem"]["contact"].as_u64().unwrap());
    server
        .state
        .store
        .write(move |txn| store::set_contact_name(txn, contact, "Zoë", "Lee"))
        .await
        .unwrap();
    let unnamed = accepted(
        &server,
        &carol,
        &mut events,
        "SM2",
        "+14155550202",
        "+14155550111",
    )
    .await;

    let (_, list) = templates_of(&carol, named).await;
    assert_eq!(
        list["templates"][0]["text"],
        "Hi Zoë Lee, this is Carol Diaz from Spring Sale 🌷. Zoë?"
    );
    assert_eq!(list["templates"][1]["text"], "Hello Zoë, welcome!");
    let (_, list) = templates_of(&carol, unnamed).await;
    assert_eq!(
        list["templates"][0]["text"], "Hi, this is Carol Diaz from Spring Sale 🌷.?",
        "empty names leave no gaps"
    );
    assert_eq!(list["templates"][1]["text"], "Hello, welcome!");
    server.stop().await;
}

#[tokio::test]
async fn without_templates_use_the_api_refuses() {
    let server = TestServer::start().await;
    let root = admin(&server).await;
    create(&root, "Greeting", "Hi!", &[], &[]).await;
    let alice_user = agent(&server, "alice", "Alice").await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;
    let id = accepted(
        &server,
        &alice,
        &mut events,
        "SM1",
        "+14155550201",
        OUR_NUMBER,
    )
    .await;
    assert_eq!(templates_of(&alice, id).await.0, 200);

    let everything_else: BTreeSet<Permission> = Permission::ALL
        .into_iter()
        .filter(|p| *p != Permission::TemplatesUse)
        .collect();
    let agent_id = alice_user.id;
    let store = &server.state.store;
    let class = store
        .write(move |txn| store::put_class(txn, None, "No templates", everything_else))
        .await
        .unwrap();
    let mut settings = store
        .read(move |txn| store::agent_settings(txn, agent_id))
        .await
        .unwrap();
    settings.class_of_service = Some(class.id);
    store
        .write(move |txn| store::put_agent_settings(txn, agent_id, &settings))
        .await
        .unwrap();
    let (status, body) = templates_of(&alice, id).await;
    assert_eq!(status, 403);
    assert!(
        body["error"].as_str().unwrap().contains("templates.use"),
        "{body}"
    );
    server.stop().await;
}
