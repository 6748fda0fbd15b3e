//! Response templates in a real browser: the composer's button shows how many templates the
//! agent may use in the accepted workitem; the window lets them pick one; Cancel changes
//! nothing; OK puts the filled text at the caret; nothing is sent.
//!
//! Skips (loudly) without Chromium, like every browser test (harness: `browser/mod.rs`).

use fantoccini::key::Key;
use parley::domain::{Audience, CampaignId, CampaignKind, E164, UserId};
use parley::store::{self, NewCampaign, ResponseTemplateFields};
use serde_json::json;

use crate::browser::{
    catch_up_clock, js, log_in_available, open_browser, poll, texts, the_offer, wait_for, wait_js,
};
use crate::common::*;

const CUSTOMER: &str = "+14155550123";
const SPRING_NUMBER: &str = "+14155550111";

async fn add_campaign(server: &TestServer, name: &str, number: &str) -> CampaignId {
    let queue = server.default_queue().await;
    let (name, number) = (name.to_owned(), E164::parse(number).expect("number"));
    let created = server
        .state
        .store
        .write(move |txn| {
            store::insert_campaign(txn, &name, CampaignKind::Inbound, queue, vec![number])
        })
        .await
        .expect("campaign");
    match created {
        NewCampaign::Created(c) => c.id,
        NewCampaign::NumberTaken(n) => panic!("{n} is taken"),
    }
}

async fn add_template(
    server: &TestServer,
    name: &str,
    body: &str,
    campaigns: Vec<CampaignId>,
    audience: Audience,
) {
    let fields = ResponseTemplateFields {
        name: name.to_owned(),
        body: body.to_owned(),
        campaigns,
        audience,
    };
    let saved = server
        .state
        .store
        .write(move |txn| store::put_response_template(txn, None, fields))
        .await
        .expect("template");
    assert!(
        matches!(saved, store::SavedResponseTemplate::Saved(_)),
        "{saved:?}"
    );
}

/// The value of the reply box.
async fn reply(c: &fantoccini::Client) -> serde_json::Value {
    js(c, "return document.getElementById('reply').value;", vec![]).await
}

async fn dialog_open(c: &fantoccini::Client) -> bool {
    js(
        c,
        "const d = document.getElementById('templates-dialog'); return !!(d && d.open);",
        vec![],
    )
    .await
        == json!(true)
}

async fn open_window(c: &fantoccini::Client) {
    wait_for(c, "#templates-button")
        .await
        .click()
        .await
        .expect("click the templates button");
    poll("the templates window to open", move || async move {
        dialog_open(c).await.then_some(())
    })
    .await;
}

async fn wait_closed(c: &fantoccini::Client) {
    poll("the templates window to close", move || async move {
        (!dialog_open(c).await).then_some(())
    })
    .await;
}

#[tokio::test]
async fn an_agent_puts_a_filled_template_into_the_reply_box_without_sending() {
    let Some((driver, c)) = open_browser().await else {
        return;
    };

    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice = server.add_agent("alice", &[queue], None).await;
    let spring = add_campaign(&server, "Spring Sale", SPRING_NUMBER).await;
    let winter = add_campaign(&server, "Winter", "+14155550122").await;
    add_template(
        &server,
        "Greeting",
        "Hello {first_name}, this is {agent_name} from {campaign}.",
        vec![],
        Audience::Everyone,
    )
    .await;
    add_template(
        &server,
        "Closing",
        "Thanks {first_name}!",
        vec![spring],
        Audience::Agents(vec![alice.id]),
    )
    .await;
    // Neither counts for alice in Spring Sale.
    add_template(&server, "Frost", "Brr", vec![winter], Audience::Everyone).await;
    add_template(
        &server,
        "Not alice",
        "No",
        vec![],
        Audience::Agents(vec![UserId(999)]),
    )
    .await;

    // The agent logs in and becomes Available.
    log_in_available(&c, &server, &alice).await;

    // A named customer texts the Spring Sale number; alice accepts.
    catch_up_clock(&server);
    let res = server
        .twilio_sms_to("SM1", CUSTOMER, SPRING_NUMBER, "Is the sale still on?")
        .await;
    assert_eq!(res.status(), 200);
    let phone = E164::parse(CUSTOMER).expect("phone");
    let store = &server.state.store;
    let contact = store
        .read(move |txn| store::contact_by_phone(txn, &phone))
        .await
        .expect("read")
        .expect("the contact was created");
    store
        .write(move |txn| store::set_contact_name(txn, contact.id, "Ann", "Lee"))
        .await
        .expect("name");
    let id = the_offer(&c).await;
    wait_for(&c, &format!("#offer-{id} .accept"))
        .await
        .click()
        .await
        .expect("accept");
    wait_for(&c, &format!("#item-{id}.current")).await;

    // The button shows the two templates alice may use here.
    wait_js(
        &c,
        "the templates button to show 2",
        "const b = document.getElementById('templates-button'); \
         return !b.hidden && b.querySelector('.badge').textContent === '2' \
           && !b.querySelector('.badge').hidden \
           && b.getAttribute('aria-label') === 'Response templates (2)';",
    )
    .await;
    let order = js(
        &c,
        "const b = document.getElementById('templates-button'), s = document.getElementById('send'); \
         return !!(b.compareDocumentPosition(s) & Node.DOCUMENT_POSITION_FOLLOWING);",
        vec![],
    )
    .await;
    assert_eq!(order, json!(true), "the button sits left of Send");

    wait_for(&c, "#reply")
        .await
        .send_keys("Hi  there")
        .await
        .expect("type a reply");

    // Open, pick a template (its filled text shows on the right), Cancel: nothing changes.
    open_window(&c).await;
    assert_eq!(
        texts(&c, "#templates-list [role=option]").await,
        ["Closing", "Greeting"]
    );
    wait_for(&c, "#templates-list [role=option]:nth-child(2)")
        .await
        .click()
        .await
        .expect("pick Greeting");
    let filled = "Hello Ann, this is alice from Spring Sale.";
    assert_eq!(
        js(
            &c,
            "return document.getElementById('templates-preview').value;",
            vec![]
        )
        .await,
        json!(filled)
    );
    wait_for(&c, "#templates-cancel")
        .await
        .click()
        .await
        .expect("cancel");
    wait_closed(&c).await;
    assert_eq!(
        reply(&c).await,
        json!("Hi  there"),
        "Cancel changes nothing"
    );

    // Escape closes without change too.
    open_window(&c).await;
    wait_for(&c, "#templates-list")
        .await
        .send_keys(&Key::Escape)
        .await
        .expect("Escape");
    wait_closed(&c).await;
    assert_eq!(
        reply(&c).await,
        json!("Hi  there"),
        "Escape changes nothing"
    );

    // The caret between the two spaces; the keyboard picks Greeting and Enter is OK.
    js(
        &c,
        "document.getElementById('reply').setSelectionRange(3, 3); return null;",
        vec![],
    )
    .await;
    open_window(&c).await;
    crate::browser::snapshot(&c, "templates").await;
    let list = wait_for(&c, "#templates-list").await;
    list.send_keys(&Key::Down).await.expect("arrow down");
    wait_js(
        &c,
        "Greeting to be selected",
        "const o = document.querySelector('#templates-list [aria-selected=true]'); \
         return !!o && o.textContent === 'Greeting';",
    )
    .await;
    list.send_keys(&Key::Enter).await.expect("Enter");
    wait_closed(&c).await;
    let expected = format!("Hi {filled} there");
    assert_eq!(reply(&c).await, json!(expected));
    let caret = js(
        &c,
        "const r = document.getElementById('reply'); \
         return [r.selectionStart, r.selectionEnd, document.activeElement === r];",
        vec![],
    )
    .await;
    let after = 3 + filled.len();
    assert_eq!(caret, json!([after, after, true]), "caret after the insert");

    // The search box, labelled and focused on opening, narrows the list by name or text.
    open_window(&c).await;
    wait_js(
        &c,
        "the labelled search box to have the focus",
        "const s = document.getElementById('templates-search'); \
         return document.activeElement === s && s.labels.length === 1 \
           && s.labels[0].textContent === 'Search templates';",
    )
    .await;
    for (typed, want) in [
        ("thanks", vec!["Closing"]),
        ("GREET", vec!["Greeting"]),
        ("spring sale", vec!["Greeting"]),
        ("zzz", vec![]),
        ("", vec!["Closing", "Greeting"]),
    ] {
        if typed.is_empty() {
            // Clearing a field sends no input event; deleting by key does ("zzz" was last).
            let search = wait_for(&c, "#templates-search").await;
            for _ in 0..3 {
                search.send_keys(&Key::Backspace).await.expect("backspace");
            }
        } else {
            crate::browser::type_into(&c, "#templates-search", typed).await;
        }
        let b = &c;
        let want2 = want.clone();
        poll(&format!("the list for {typed:?}"), move || {
            let want = want2.clone();
            async move { (texts(b, "#templates-list [role=option]").await == want).then_some(()) }
        })
        .await;
        let state = js(
            &c,
            "return [document.getElementById('templates-ok').disabled, \
               !document.getElementById('templates-empty').hidden];",
            vec![],
        )
        .await;
        assert_eq!(
            state,
            json!([want.is_empty(), want.is_empty()]),
            "OK and the no-match line for {typed:?}"
        );
        if want.is_empty() {
            assert_eq!(
                texts(&c, "#templates-empty").await,
                [format!("No template matches “{typed}”.")]
            );
        }
    }
    crate::browser::type_into(&c, "#templates-search", "thanks").await;
    let search = wait_for(&c, "#templates-search").await;
    wait_js(
        &c,
        "Closing alone to be selected",
        "const o = document.querySelectorAll('#templates-list [role=option]'); \
         return o.length === 1 && o[0].getAttribute('aria-selected') === 'true';",
    )
    .await;
    search.send_keys(&Key::Escape).await.expect("Escape");
    if dialog_open(&c).await {
        // The first Escape may only empty the search box.
        search.send_keys(&Key::Escape).await.expect("Escape");
    }
    wait_closed(&c).await;
    assert_eq!(reply(&c).await, json!(expected), "a search changes nothing");

    // Nothing was sent: no outbound bubble, and the server holds only the customer's text.
    assert!(texts(&c, "#messages li.bubble.out").await.is_empty());
    let workitem = parley::domain::WorkitemId(id);
    let messages = store
        .read(move |txn| store::messages_of(txn, workitem))
        .await
        .expect("messages");
    assert_eq!(
        messages.len(),
        1,
        "only the customer's message: {messages:?}"
    );

    crate::browser::assert_page_clean(&c, "the end of browser_templates").await;

    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
