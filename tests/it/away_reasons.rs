//! Away reasons: admins list them (with or without "Other"); an agent going Away and a
//! supervisor setting an agent Away are held to the same list.

use parley::domain::{AwayReasons, Role};
use serde_json::{Value, json};

use crate::common::*;

async fn stored(server: &TestServer) -> AwayReasons {
    server
        .state
        .store
        .read(parley::store::away_reasons)
        .await
        .unwrap()
}

#[tokio::test]
async fn admins_save_the_list_and_bad_lists_are_refused_with_the_reason() {
    let server = TestServer::start().await;
    server.add_user("root", Role::Admin).await;
    let admin = server.login("root").await;
    let page = admin.get("/admin/away-reasons").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("href=\"/admin/away-reasons\" aria-current=\"page\""),
        "{page}"
    );

    let (status, _, location) = admin
        .form_post(
            "/admin/away-reasons",
            &[
                ("reasons", "Break\n Lunch \n\nTraining"),
                ("allow_other", "1"),
            ],
            true,
        )
        .await;
    assert_eq!(status, 303);
    assert!(
        location.contains("notice=Saved+3+away+reasons"),
        "{location}"
    );
    let saved = stored(&server).await;
    assert_eq!(saved.reasons, ["Break", "Lunch", "Training"]);
    assert!(saved.allow_other);

    let (status, page, _) = admin
        .form_post("/admin/away-reasons", &[("reasons", "Break\nBREAK")], true)
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("The away reasons were not saved."), "{page}");
    assert!(page.contains("is listed twice"), "{page}");
    assert!(
        page.contains("Break\nBREAK</textarea>"),
        "typed text kept: {page}"
    );
    assert_eq!(stored(&server).await, saved, "nothing stored");

    // Without the CSRF field the form is refused like every other.
    let (status, _, _) = admin
        .form_post("/admin/away-reasons", &[("reasons", "Nap")], false)
        .await;
    assert_eq!(status, 403);
    assert_eq!(stored(&server).await, saved);
    server.stop().await;
}

#[tokio::test]
async fn agents_and_supervisors_pick_from_the_list_unless_other_is_allowed() {
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice_user = server.add_agent("alice", &[queue], None).await;
    server.add_user("sam", Role::Supervisor).await;
    let alice = server.login("alice").await;
    let sam = server.login("sam").await;
    let force = format!("/api/supervisor/agents/{}/presence", alice_user.id);
    server.set_away_reasons(&["Break", "Lunch"], false).await;

    // The workspace offers the list, without an Other box.
    let page = alice.get("/workspace").await.text().await.unwrap();
    assert!(
        page.contains("<option value=\"Lunch\">Lunch</option>"),
        "{page}"
    );
    assert!(!page.contains("away-other"));

    let away = |reason: Value| json!({"presence": "away", "reason": reason});
    for (who, path) in [(&alice, "/api/presence"), (&sam, force.as_str())] {
        for (reason, says) in [
            (
                json!("Dentist"),
                "\"Dentist\" is not one of the away reasons",
            ),
            (Value::Null, "Choose an away reason: Break, Lunch."),
        ] {
            let res = who.post(path, away(reason.clone())).await;
            assert_eq!(res.status(), 422, "{path} {reason}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["field"], "reason");
            assert!(body["error"].as_str().unwrap().contains(says), "{body}");
        }
        // A listed reason, in any case, is stored in the list's spelling.
        let view = who.post_ok(path, away(json!("lunch"))).await;
        assert_eq!(view["view"]["away_reason"], "Lunch", "{path}");
    }

    // With Other allowed, a reason of one's own goes too, from either side.
    server.set_away_reasons(&["Break", "Lunch"], true).await;
    let page = alice.get("/workspace").await.text().await.unwrap();
    assert!(
        page.contains("<option value=\"__other__\">Other…</option>"),
        "{page}"
    );
    assert!(page.contains("id=\"away-other\""));
    for (who, path) in [(&alice, "/api/presence"), (&sam, force.as_str())] {
        let view = who.post_ok(path, away(json!("Dentist"))).await;
        assert_eq!(view["view"]["away_reason"], "Dentist", "{path}");
    }
    // Available and Offline need no reason whatever the list.
    server.set_away_reasons(&["Break"], false).await;
    alice.available().await;
    sam.post_ok(&force, json!({"presence": "offline"})).await;
    server.stop().await;
}
