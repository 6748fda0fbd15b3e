//! The campaign form for a predictive campaign: its message, schedule, hours, days, pace and
//! reply campaign saved; 24-hour time fields; each kind shows only its own fields.

use super::*;

#[tokio::test]
async fn a_predictive_campaign_saves_its_message_schedule_hours_days_pace_and_reply_campaign() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let root = admin(&server).await;
    assert_eq!(
        post(
            &root,
            "/admin/campaigns",
            &campaign_form("Replies", q, "+14155550100")
        )
        .await
        .0,
        303
    );
    let replies = campaigns(&server).await[0].id;
    let spring = with(
        &campaign_form("Spring", q, "+14155550101\n+14155550102"),
        "kind",
        Some("predictive"),
    );
    let spring = with(&spring, "time_zone", Some("Europe/Berlin"));
    let fields: Vec<(&'static str, &str)> = vec![
        ("p_message", "Hi {first_name}, spring deals at {campaign}!"),
        // The form's own format, and the one of the old datetime-local inputs.
        ("p_starts_at", "2026-12-01 09:00"),
        ("p_ends_at", "2026-12-24T18:00"),
        ("p_hours_start", "10:00"),
        ("p_hours_end", "19:30"),
        ("p_days", "fri, mon"),
        ("p_per_minute", "1.5"),
        ("p_pace_unit", "second"),
        ("p_include_unknown", "on"),
    ];
    let mut form = spring.clone();
    for (k, v) in fields {
        form = with(&form, k, Some(v));
    }
    let replies_value = replies.to_string();
    form = with(&form, "p_replies_to", Some(&replies_value));
    let (status, body, _) = post(&root, "/admin/campaigns", &form).await;
    assert_eq!(status, 303, "{body}");
    let saved = campaigns(&server)
        .await
        .into_iter()
        .find(|c| c.name == "Spring")
        .unwrap();
    let p = saved.predictive.clone().expect("predictive settings");
    assert_eq!(p.message, "Hi {first_name}, spring deals at {campaign}!");
    // 09:00 in Berlin in December is 08:00 UTC.
    assert_eq!(
        p.starts_at.unwrap().to_rfc3339(),
        "2026-12-01T08:00:00+00:00"
    );
    assert_eq!(p.hours, SendingHours::parse("10:00", "19:30").unwrap());
    assert_eq!(p.days, vec![chrono::Weekday::Mon, chrono::Weekday::Fri]);
    assert_eq!(p.per_minute, 90.0);
    assert_eq!(p.replies_to, Some(replies));
    assert!(p.include_unknown_channel);
    let html = root
        .get(&format!("/admin/campaigns/{}", saved.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("value=\"2026-12-01 09:00\""),
        "shown in the campaign's zone"
    );
    assert!(
        html.contains("value=\"2026-12-24 18:00\""),
        "shown with a space"
    );
    assert!(html.contains("value=\"mon, fri\""));

    // A column of its leads becomes a placeholder it may use.
    let id = saved.id;
    server
        .state
        .store
        .write(move |txn| {
            let lead = parley::domain::Lead {
                id: parley::domain::LeadId(0),
                campaign: id,
                phone: parley::domain::E164::parse("+14155550150").unwrap(),
                contact: parley::domain::ContactId(0),
                first_name: "Ana".into(),
                last_name: String::new(),
                time_zone: String::new(),
                channel: Default::default(),
                fields: vec![("plan".into(), "gold".into())],
                imported_at: chrono::Utc::now(),
            };
            store::insert_leads(txn, vec![lead], chrono::Utc::now()).map(|_| ())
        })
        .await
        .unwrap();
    let path = format!("/admin/campaigns/{id}");
    let with_plan = with(&form, "p_message", Some("Your {plan} plan"));
    assert_eq!(post(&root, &path, &with_plan).await.0, 303);

    // Every refusal says why and keeps what was typed.
    let refused: Vec<(&'static str, &str, &str)> = vec![
        (
            "p_message",
            "Hi {firstname}",
            "{firstname} is not a lead field",
        ),
        (
            "p_ends_at",
            "2026-11-30T09:00",
            "The end must come after the start.",
        ),
        ("p_starts_at", "tomorrow", "is not a date and time"),
        (
            "p_starts_at",
            "12/01/2026 9:00 AM",
            "is not a date and time (YYYY-MM-DD HH:MM, 24-hour)",
        ),
        ("p_hours_start", "9:30 PM", "(HH:MM, 24-hour)"),
        (
            "p_hours_end",
            "10:00",
            "the start and end of the sending hours are the same",
        ),
        ("p_days", "mon, funday", "“funday” is not a day of the week"),
        ("p_per_minute", "121", "at most 120"),
        ("p_per_minute", "0", "above 0"),
        ("p_pace_unit", "hour", "per second or per minute"),
        ("p_per_minute", "2.5", "at most 120 a minute (2 a second)"),
        // "SELF": the predictive campaign itself, which is not an inbound campaign.
        (
            "p_replies_to",
            "SELF",
            "Choose one of the inbound campaigns listed.",
        ),
    ];
    for (key, value, says) in refused {
        let value = if value == "SELF" {
            id.to_string()
        } else {
            value.to_owned()
        };
        let (status, body, _) = post(&root, &path, &with(&with_plan, key, Some(&value))).await;
        assert_eq!(status, 422, "{key}={value}");
        let text = unescape(&body);
        assert!(text.contains(says), "{key}={value}: {says}");
    }
    let after = campaign(&server, id).await;
    assert_eq!(
        after.predictive.unwrap().message,
        "Your {plan} plan",
        "nothing stored"
    );
}

#[tokio::test]
async fn times_are_24_hour_text_fields_and_each_kind_shows_its_own_fields() {
    let server = TestServer::start().await;
    let q = server.default_queue().await;
    let root = admin(&server).await;
    let html = root.get("/admin/campaigns").await.text().await.unwrap();
    assert!(!html.contains("type=\"time\"") && !html.contains("datetime-local"));
    let input = |name: &str| {
        let at = html
            .find(&format!("name=\"{name}\""))
            .unwrap_or_else(|| panic!("no {name}"));
        html[at..at + html[at..].find('>').unwrap()].to_owned()
    };
    for name in ["hours_start", "hours_end", "p_hours_start", "p_hours_end"] {
        let i = input(name);
        for want in [
            "inputmode=\"numeric\"",
            "placeholder=\"HH:MM\"",
            "pattern=\"",
        ] {
            assert!(i.contains(want), "{name} lacks {want}: {i}");
        }
    }
    for name in ["p_starts_at", "p_ends_at"] {
        assert!(input(name).contains("placeholder=\"YYYY-MM-DD HH:MM\""));
    }
    assert!(html.contains("24-hour, HH:MM"));
    // Which hours are which, and which kind each part is for (the script hides the others).
    for want in [
        "Agents' sending hours",
        "When agents may start a conversation",
        "Leads' allowed hours",
        "When this campaign may message its leads by itself",
        "<fieldset data-kinds=\"outbound\"",
        "data-kinds=\"outbound predictive\"",
        "data-kinds=\"predictive\"",
        "<script src=\"/static/campaign_form.js\"></script>",
    ] {
        assert!(html.contains(want), "lacks {want}");
    }
    let script = root.get("/static/campaign_form.js").await;
    assert_eq!(script.status(), 200);
    assert!(script.text().await.unwrap().contains("data-kinds"));

    // A 12-hour time is refused next to its field, as typed.
    let outbound = with(
        &campaign_form("Renewals", q, "+14155550102"),
        "kind",
        Some("outbound"),
    );
    let twelve = with(&outbound, "hours_start", Some("9:30 PM"));
    let (status, body, _) = post(&root, "/admin/campaigns", &twelve).await;
    assert_eq!(status, 422);
    assert!(
        unescape(&body).contains(
            "id=\"campaign-new-hours-error\" data-kinds=\"outbound\">“9:30 PM” is not a time of \
             day (HH:MM, 24-hour)."
        ),
        "{body}"
    );
    assert!(body.contains("value=\"9:30 PM\""));
    // One digit for the hour is read, and shown back with two.
    let early = with(&outbound, "hours_start", Some("9:05"));
    assert_eq!(post(&root, "/admin/campaigns", &early).await.0, 303);
    let saved = campaigns(&server).await.pop().unwrap();
    assert_eq!(
        saved.quiet_hours,
        Some(SendingHours::parse("09:05", "21:00").unwrap())
    );
    let html = root
        .get(&format!("/admin/campaigns/{}", saved.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("name=\"hours_start\" value=\"09:05\""),
        "{html}"
    );
    server.stop().await;
}
