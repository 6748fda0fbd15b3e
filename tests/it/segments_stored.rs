//! Every stored message records how many SMS parts it takes and its encoding, computed by
//! the server (`domain::segments`), for inbound messages and agents' replies alike.

use parley::domain::segments::Encoding;
use serde_json::{Value, json};

use crate::common::*;

/// The stored messages of a workitem, as the workspace reads them.
async fn messages(client: &Client, id: u64) -> Vec<Value> {
    let detail: Value = client
        .get(&format!("/api/workitems/{id}"))
        .await
        .json()
        .await
        .unwrap();
    detail["messages"].as_array().unwrap().clone()
}

#[tokio::test]
async fn inbound_and_replies_are_stored_with_their_segments_and_encoding() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    server.add_agent("alice", &[q], None).await;
    let alice = server.login("alice").await;
    let mut events = alice.events().await;
    alice.available().await;

    // 161 GSM-7 characters: one more than a single SMS holds, so 2 parts (153 + 8).
    let long = "a".repeat(161);
    let res = server.twilio_sms("SM1", "+14155550101", &long).await;
    assert_eq!(res.status(), 200);
    let id = events.offer().await;
    alice
        .post_ok(&format!("/api/workitems/{id}/accept"), json!({}))
        .await;

    // An emoji forces UCS-2: "Thanks 😀" is 7 + 2 UTF-16 units, one SMS. 69 more units
    // make 78, over the 70 of one UCS-2 SMS: 2 parts (67 + 11).
    let short = "Thanks 😀";
    let longer = format!("{short}{}", "b".repeat(69));
    for body in [short, longer.as_str()] {
        alice
            .post_ok(
                &format!("/api/workitems/{id}/messages"),
                json!({ "body": body }),
            )
            .await;
    }

    let stored = messages(&alice, id).await;
    let summary: Vec<(String, u64, String)> = stored
        .iter()
        .map(|m| {
            (
                m["direction"].as_str().unwrap().to_owned(),
                m["segments"].as_u64().unwrap(),
                m["encoding"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("in".to_owned(), 2, "gsm7".to_owned()),
            ("out".to_owned(), 1, "ucs2".to_owned()),
            ("out".to_owned(), 2, "ucs2".to_owned()),
        ],
        "{stored:#?}"
    );

    // They are in the store itself, not worked out on the way out.
    let in_store = server.stored_messages(id).await;
    let counts: Vec<(usize, Option<Encoding>)> =
        in_store.iter().map(|m| (m.segments, m.encoding)).collect();
    assert_eq!(
        counts,
        [
            (2, Some(Encoding::Gsm7)),
            (1, Some(Encoding::Ucs2)),
            (2, Some(Encoding::Ucs2)),
        ]
    );
    server.stop().await;
}
