//! Every refusal of the campaign form: 422, what was typed kept, nothing stored.

use super::*;

#[tokio::test]
async fn every_refusal_answers_422_keeps_what_was_typed_and_stores_nothing() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let root = admin(&server).await;
    let sales = campaign_form("Sales", q, "+14155550100");
    assert_eq!(post(&root, "/admin/campaigns", &sales).await.0, 303);
    let before = campaigns(&server).await;

    let valid = campaign_form("Service", q, "+14155550101");
    let long_name = "n".repeat(61);
    let long_text = "h".repeat(321);
    let refused: Vec<(&'static str, Option<&str>, &str)> = vec![
        ("name", Some(""), "Enter a name for the campaign."),
        ("name", Some(&long_name), "at most 60 characters"),
        (
            "name",
            Some("SALES"),
            "There is already a campaign called \"Sales\".",
        ),
        (
            "kind",
            Some("broadcast"),
            "Choose inbound, outbound or predictive.",
        ),
        (
            "provider",
            Some("pigeon"),
            "This server cannot send through “pigeon”; choose one of: simulator.",
        ),
        (
            "queue",
            Some(""),
            "Choose the queue its conversations go to.",
        ),
        ("queue", Some("999"), "Queue 999 does not exist"),
        (
            "numbers",
            Some("+14155550101\n12345"),
            "Line 2: \"12345\" is not a",
        ),
        (
            "numbers",
            Some("call me"),
            "Line 1: \"call me\" is not a phone number",
        ),
        (
            "numbers",
            Some("+14155550101\n+14155550100"),
            "Line 2: +14155550100 belongs to the campaign \"Sales\"",
        ),
        (
            "numbers",
            Some("+14155550101\n(415) 555-0101"),
            "Line 2: +14155550101 is listed twice.",
        ),
        ("survey", Some("999"), "Survey 999 does not exist"),
        (
            "help_text",
            Some(&long_text),
            "The HELP answer can be at most 320 characters",
        ),
        (
            "opt_out_text",
            Some(&long_text),
            "The opt-out confirmation can be at most 320 characters",
        ),
        ("send_rate", Some("0"), "The send rate must be a number"),
        ("send_rate", Some("-1"), "The send rate must be a number"),
        ("send_rate", Some("1000.5"), "above 0 and at most 1000"),
        ("send_rate", Some("fast"), "The send rate must be a number"),
        ("send_rate", Some("NaN"), "The send rate must be a number"),
        ("send_rate", Some(""), "The send rate must be a number"),
        (
            "hours_start",
            Some("25:00"),
            "“25:00” is not a time of day (HH:MM, 24-hour)",
        ),
        (
            "hours_end",
            Some("late"),
            "“late” is not a time of day (HH:MM, 24-hour)",
        ),
        (
            "hours_end",
            Some("08:00"),
            "The start and end of the sending hours are the same",
        ),
        (
            "time_zone",
            Some("Mars/Olympus_Mons"),
            "is not a known time zone",
        ),
        (
            "time_zone",
            Some("europe/berlin"),
            "Did you mean Europe/Berlin?",
        ),
    ];
    for (key, value, message) in &refused {
        let fields = with(&valid, key, *value);
        let (status, html, _) = post(&root, "/admin/campaigns", &fields).await;
        assert_eq!(status, 422, "{key}={value:?}");
        let text = unescape(&html);
        assert!(
            text.contains(message),
            "{message:?} missing for {key}={value:?}: {text}"
        );
        assert!(text.contains("The campaign was not added"));
        assert!(html.contains("class=\"field-error\""));
        assert!(html.contains("aria-invalid=\"true\""));
        // Everything typed comes back.
        let typed = |k: &str| fields.iter().find(|(f, _)| *f == k).unwrap().1.clone();
        assert!(text.contains(&format!("name=\"name\" value=\"{}\"", typed("name"))));
        assert!(
            text.contains(&format!(">{}</textarea>", typed("numbers"))),
            "{key}"
        );
        assert!(text.contains(&format!(">{}</textarea>", typed("help_text"))));
        assert!(text.contains(&format!(
            "name=\"send_rate\" value=\"{}\"",
            typed("send_rate")
        )));
        assert!(text.contains(&format!(
            "name=\"hours_start\" value=\"{}\"",
            typed("hours_start")
        )));
        assert!(text.contains(&format!(
            "name=\"hours_end\" value=\"{}\"",
            typed("hours_end")
        )));
        assert!(text.contains(&format!(
            "name=\"time_zone\" value=\"{}\"",
            typed("time_zone")
        )));
        assert!(text.contains("name=\"limit_hours\" value=\"on\" checked"));
        assert_eq!(
            campaigns(&server).await,
            before,
            "{key}={value:?} stored nothing"
        );
    }

    // Several problems at once: each is told next to its field.
    let mut many = with(&valid, "send_rate", Some("0"));
    many = with(&many, "time_zone", Some("Nowhere"));
    many = with(&many, "name", Some("<b>Sales</b>"));
    let (status, html, _) = post(&root, "/admin/campaigns", &many).await;
    assert_eq!(status, 422);
    assert!(html.contains("campaign-new-rate-error") && html.contains("campaign-new-zone-error"));
    assert!(!html.contains("<b>Sales</b>"), "typed markup is escaped");

    // An edit is refused the same way and leaves the stored campaign as it was.
    let path = format!("/admin/campaigns/{}", before[0].id);
    let (_, _, _) = post(&root, "/admin/campaigns", &valid).await;
    let before = campaigns(&server).await;
    assert_eq!(before.len(), 2);
    let edit = with(&sales, "numbers", Some("+14155550100\n+14155550101"));
    let edit = with(&edit, "send_rate", Some("2000"));
    let (status, html, _) = post(&root, &path, &edit).await;
    assert_eq!(status, 422);
    let text = unescape(&html);
    assert!(text.contains("Edit campaign Sales"));
    assert!(text.contains("The campaign was not saved"));
    assert!(text.contains("+14155550101 belongs to the campaign \"Service\""));
    assert!(text.contains("above 0 and at most 1000"));
    assert!(text.contains(">+14155550100\n+14155550101</textarea>"));
    assert!(text.contains("name=\"send_rate\" value=\"2000\""));
    let renamed = with(&sales, "name", Some(" service "));
    let (status, html, _) = post(&root, &path, &renamed).await;
    assert_eq!(status, 422);
    assert!(unescape(&html).contains("There is already a campaign called \"Service\"."));
    assert_eq!(
        campaigns(&server).await,
        before,
        "refused edits stored nothing"
    );
    server.stop().await;
}
