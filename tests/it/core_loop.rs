//! The core loop end to end over HTTP: a customer texts, an agent is offered the workitem
//! live, accepts, replies (the customer's phone sees it), terminates, and the next text
//! starts a new workitem.

use serde_json::json;

use crate::common::*;

const CUSTOMER: &str = "+14155550123";

#[tokio::test]
async fn text_offer_accept_reply_terminate_and_text_again() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    server.simulator_number(queue).await;
    server.add_agent("alice", &[queue], None).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;

    // The customer's phone (a logged-in demo user's simulator page, whose script uses the
    // session's CSRF token): its own live stream, then a text.
    let phone = server.login("alice").await;
    let page = phone.get(&format!("/simulator?phone={CUSTOMER}")).await;
    assert_eq!(page.status(), 200);
    assert_eq!(hidden_or_data_csrf(&page.text().await.unwrap()), phone.csrf);
    let mut phone_events = phone_stream(&phone).await;
    phone
        .post_ok(
            "/simulator/messages",
            json!({"from": CUSTOMER, "to": OUR_NUMBER, "body": "Hi, my order never arrived"}),
        )
        .await;

    let offer = events.next_named("offer").await;
    assert_eq!(offer["workitem"]["customer"], CUSTOMER);
    assert_eq!(offer["workitem"]["preview"], "Hi, my order never arrived");
    assert_eq!(offer["workitem"]["queue_name"], "Support");
    let id = offer["workitem"]["id"].as_u64().unwrap();

    alice
        .post_ok(&format!("/api/workitems/{id}/accept"), json!({}))
        .await;
    let detail: serde_json::Value = alice
        .get(&format!("/api/workitems/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["workitem"]["state"], "active");
    assert_eq!(detail["messages"][0]["body"], "Hi, my order never arrived");
    assert!(detail["messages"][0]["at"].is_string());

    alice
        .post_ok(
            &format!("/api/workitems/{id}/messages"),
            json!({"body": "Sorry to hear that! Let me check."}),
        )
        .await;
    // The phone sees its own text, then the reply.
    let mine = phone_events.next_named("message").await;
    assert_eq!(mine["body"], "Hi, my order never arrived");
    let reply = phone_events.next_named("message").await;
    assert_eq!(reply["body"], "Sorry to hear that! Let me check.");
    assert_eq!(reply["direction"], "out");

    // A further customer text goes to the same workitem, live.
    phone
        .post_ok(
            "/simulator/messages",
            json!({"from": CUSTOMER, "to": OUR_NUMBER, "body": "Order 1234"}),
        )
        .await;
    let m = loop {
        let m = events.next_named("message").await;
        if m["message"]["direction"] == "in" {
            break m;
        }
    };
    assert_eq!(m["message"]["workitem"], id);
    assert_eq!(m["message"]["body"], "Order 1234");

    alice
        .post_ok(&format!("/api/workitems/{id}/terminate"), json!({}))
        .await;
    // Replying after termination is refused.
    let res = alice
        .post(
            &format!("/api/workitems/{id}/messages"),
            json!({"body": "hello?"}),
        )
        .await;
    assert_eq!(res.status(), 409);

    phone
        .post_ok(
            "/simulator/messages",
            json!({"from": CUSTOMER, "to": OUR_NUMBER, "body": "One more thing"}),
        )
        .await;
    let again = events.offer().await;
    assert_ne!(again, id, "a text after termination starts a new workitem");
    server.stop().await;
}

/// The CSRF token a page carries, as a hidden field or a `data-csrf` attribute.
pub fn hidden_or_data_csrf(html: &str) -> String {
    if html.contains("name=\"_csrf\"") {
        return hidden_csrf(html);
    }
    let at = html.find("data-csrf=\"").expect("csrf in page") + "data-csrf=\"".len();
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

async fn phone_stream(phone: &Client) -> Events {
    let res = phone
        .get(&format!(
            "/simulator/events?phone={}",
            CUSTOMER.replace('+', "%2B")
        ))
        .await;
    assert_eq!(res.status(), 200);
    Events::from_response(res)
}
