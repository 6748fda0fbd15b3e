//! Predictive campaigns against the real server with a manual clock: the pace, each lead's
//! own allowed hours and days (across a daylight-saving change), eligibility by channel,
//! sharing a number with agents, and replies routed to the linked inbound campaign's queue.

use chrono::{DateTime, Duration, Utc};
use parley::domain::{
    CampaignKind, ChannelPreference, E164, LeadOutcome, PredictiveSettings, RunAction, RunState,
    SendingHours,
};
use parley::store::{self, SavedQueue};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_are_messaged_once_each_in_import_order_at_the_set_pace() {
    let (server, fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    // Two a second, over two numbers allowed one a second each.
    let id = predictive(&server, queue, 120.0, |_| {}).await;
    let rows = sms_leads(13);
    let rows: Vec<_> = rows.iter().map(|(p, z, c)| (p.as_str(), *z, *c)).collect();
    store_leads(&server, id, &rows).await;
    let t0 = server.clock.now();
    change_run(&server, id, RunAction::Start).await;

    // One at once, then two for every second the clock moves.
    for k in 0..=6 {
        if k > 0 {
            server.advance(1);
        }
        let want = 1 + 2 * k as usize;
        wait_stats(&server, id, &format!("{want} messaged"), |s| {
            s.messaged as usize == want
        })
        .await;
        fake.wait_calls(want).await;
    }
    let sent = fake.sent();
    assert_eq!(sent.len(), 13, "one message per lead: {sent:?}");
    for (i, s) in sent.iter().enumerate() {
        assert_eq!(s.to, rows[i].0, "import order");
        assert_eq!(s.body, format!("Hi Lead{}, spring offer inside.", i + 1));
        assert_eq!(s.from, NUMBERS[i % 2], "numbers take turns");
        let second = (s.at - t0).num_seconds();
        assert_eq!(second, (i as i64 + 1) / 2, "message {i} sent at {}", s.at);
    }
    let s = wait_stats(&server, id, "all sent", |s| s.sent == 13).await;
    assert_eq!((s.messaged, s.queued, s.failed), (13, 0, 0));
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while run_state(&server, id).await != RunState::Finished {
        assert!(tokio::time::Instant::now() < deadline, "never finished");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_leads_preferring_sms_are_messaged_unless_unknown_is_allowed() {
    let (server, fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    let rows = [
        ("+14155552001", "", ChannelPreference::Sms),
        ("+14155552002", "", ChannelPreference::Unknown),
        ("+14155552003", "", ChannelPreference::Email),
        ("+14155552004", "", ChannelPreference::Voice),
        ("+14155552005", "", ChannelPreference::None),
        ("+14155552006", "", ChannelPreference::Sms),
    ];
    let strict = predictive(&server, queue, 600.0, |_| {}).await;
    store_leads(&server, strict, &rows).await;
    change_run(&server, strict, RunAction::Start).await;
    // The first goes at once; the next when the pace allows.
    wait_stats(&server, strict, "first", |s| s.messaged == 1).await;
    server.advance(1);
    let s = wait_stats(&server, strict, "2 sent", |s| s.sent == 2).await;
    assert_eq!(s.skipped_total(), 4, "{s:?}");
    assert_eq!(s.skipped.get("prefers email"), Some(&1), "{s:?}");
    assert_eq!(s.waiting(6), 0);
    let to: Vec<String> = fake.sent().into_iter().map(|s| s.to).collect();
    assert_eq!(to, ["+14155552001", "+14155552006"]);

    // The same list on a campaign that allows leads with no preference.
    let relaxed = server
        .campaign(
            "Relaxed",
            CampaignKind::Predictive,
            queue,
            "+15005550199",
            |c| {
                let mut p = PredictiveSettings::new();
                p.message = "Hello".into();
                p.per_minute = 600.0;
                p.include_unknown_channel = true;
                p.hours = hours_around(chrono::Utc::now());
                c.predictive = Some(p);
                c.send_rate = 10.0;
            },
        )
        .await;
    store_leads(&server, relaxed, &rows).await;
    change_run(&server, relaxed, RunAction::Start).await;
    // The first goes at once; the next when the pace allows.
    wait_stats(&server, relaxed, "first", |s| s.messaged == 1).await;
    server.advance(1);
    let s = wait_stats(&server, relaxed, "3 sent", |s| s.sent == 3).await;
    assert_eq!(s.skipped_total(), 3, "{s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_lead_is_messaged_at_the_opening_of_its_own_hours_across_a_dst_change() {
    let (server, fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    // Saturday 2026-03-07 12:00 UTC; the US moves its clocks on Sunday the 8th at 02:00.
    let start: DateTime<Utc> = "2026-03-07T12:00:00Z".parse().unwrap();
    server.clock.advance(start - server.clock.now());
    let id = server
        .campaign(
            "Sunday brunch",
            CampaignKind::Predictive,
            queue,
            NUMBERS[0],
            |c| {
                c.time_zone = "America/Los_Angeles".into();
                c.send_rate = 10.0;
                let mut p = PredictiveSettings::new();
                p.message = "Brunch?".into();
                p.per_minute = 60.0;
                p.hours = SendingHours::parse("09:00", "20:00").unwrap();
                p.days = vec![chrono::Weekday::Sun];
                c.predictive = Some(p);
            },
        )
        .await;
    let rows = [
        ("+14155553001", "America/New_York", ChannelPreference::Sms),
        ("+14155553002", "Asia/Tokyo", ChannelPreference::Sms),
        ("+14155553003", "", ChannelPreference::Sms), // the campaign's zone
        ("+14155553004", "Europe/Berlin", ChannelPreference::Sms),
        ("+14155553005", "Asia/Kolkata", ChannelPreference::Sms),
    ];
    let leads = store_leads(&server, id, &rows).await;
    change_run(&server, id, RunAction::Start).await;
    // Sunday 09:00 local in each zone, in import order of opening.
    let expected: [(usize, &str); 5] = [
        (1, "2026-03-08T00:00:00Z"), // Tokyo, UTC+9
        (4, "2026-03-08T03:30:00Z"), // Kolkata, UTC+5:30
        (3, "2026-03-08T08:00:00Z"), // Berlin, still winter time (UTC+1)
        (0, "2026-03-08T13:00:00Z"), // New York, already summer time (UTC−4, not −5)
        (2, "2026-03-08T16:00:00Z"), // Los Angeles, summer time (UTC−7, not −8)
    ];
    let mut next = 0;
    // Quarter-hour steps through Saturday afternoon and Sunday.
    while server.clock.now() < "2026-03-08T18:00:00Z".parse::<DateTime<Utc>>().unwrap() {
        server.clock.advance(Duration::minutes(15));
        let now = server.clock.now();
        while next < expected.len() && expected[next].1.parse::<DateTime<Utc>>().unwrap() <= now {
            let (i, at) = expected[next];
            let lead = leads[i];
            let deadline = tokio::time::Instant::now() + DEADLINE;
            let p = loop {
                if let Some(p) = progress(&server, lead).await {
                    break p;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "lead {i} not messaged by {now}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            };
            assert!(matches!(p.outcome, LeadOutcome::Messaged(_)), "{p:?}");
            assert_eq!(p.at, at.parse::<DateTime<Utc>>().unwrap(), "lead {i}");
            next += 1;
            // Sent before the clock moves on, so the provider sees the same instant.
            fake.wait_calls(next).await;
        }
    }
    assert_eq!(next, expected.len());
    let sent = fake.wait_calls(5).await;
    for s in &sent {
        let row = rows.iter().position(|r| r.0 == s.to).unwrap();
        let at = expected.iter().find(|e| e.0 == row).unwrap().1;
        assert_eq!(
            s.at,
            at.parse::<DateTime<Utc>>().unwrap(),
            "sent to {}",
            s.to
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_sharing_the_number_is_not_held_up_and_the_number_rate_holds() {
    let (server, fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    // The campaign may use the whole of one number's rate (1/s).
    let id = server
        .campaign(
            "Busy line",
            CampaignKind::Predictive,
            queue,
            NUMBERS[0],
            move |c| {
                let mut p = PredictiveSettings::new();
                p.message = "Offer".into();
                p.per_minute = 60.0;
                p.hours = hours_around(chrono::Utc::now());
                c.predictive = Some(p);
            },
        )
        .await;
    let rows = sms_leads(20);
    let rows: Vec<_> = rows.iter().map(|(p, z, c)| (p.as_str(), *z, *c)).collect();
    store_leads(&server, id, &rows).await;
    change_run(&server, id, RunAction::Start).await;
    wait_stats(&server, id, "first", |s| s.messaged == 1).await;

    // An agent's message from the same number, queued while the campaign runs.
    let agent = server.add_agent("ann", &[queue], None).await;
    let campaign = server
        .state
        .store
        .read(move |txn| store::campaign(txn, id))
        .await
        .unwrap()
        .unwrap();
    let now = server.clock.now();
    let to = E164::parse("+14155559999").unwrap();
    server
        .state
        .store
        .write(move |txn| store::start_outbound(txn, agent.id, &campaign, &to, "Agent here", now))
        .await
        .unwrap()
        .expect("outbound stored");
    server.state.outbox.wake();
    // The number allows one a second: each second one message goes, whoever queued it.
    for k in 1..=8 {
        server.advance(1);
        fake.wait_calls(k + 1).await;
    }
    let sent = fake.sent();
    let agent_at = sent
        .iter()
        .find(|s| s.body == "Agent here")
        .expect("the agent's message went out")
        .at;
    assert!(
        agent_at <= now + Duration::seconds(3),
        "the agent's message waited behind at most the campaign's short backlog: {sent:?}"
    );
    // Never more than the number's rate (1/s, with a burst of one).
    for s in &sent {
        let within = sent
            .iter()
            .filter(|o| o.at >= s.at && o.at < s.at + Duration::seconds(1))
            .count();
        assert!(
            within <= 1,
            "two sends within a second at {}: {sent:?}",
            s.at
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_waits_in_the_linked_inbound_queue_until_an_agent_is_available() {
    let (server, fake) = TestServer::start_faked(vec![]).await;
    let main_queue = server.default_queue().await;
    let replies_queue = match server
        .state
        .store
        .write(|txn| {
            store::save_queue(txn, None, "Campaign replies", 0, 30, 60, Default::default())
        })
        .await
        .unwrap()
    {
        SavedQueue::Saved(q) => q.id,
        _ => panic!("queue not saved"),
    };
    let inbound = server
        .campaign(
            "Replies line",
            CampaignKind::Inbound,
            replies_queue,
            "+15005550150",
            |_| {},
        )
        .await;
    let id = predictive(&server, main_queue, 600.0, move |p| {
        p.replies_to = Some(inbound);
    })
    .await;
    store_leads(&server, id, &[("+14155554001", "", ChannelPreference::Sms)]).await;
    change_run(&server, id, RunAction::Start).await;
    fake.wait_calls(1).await;

    // Nobody is logged in when the lead answers on the campaign's number.
    let res = server
        .twilio_sms_to("SMreply1", "+14155554001", NUMBERS[0], "Yes, tell me more")
        .await;
    assert_eq!(res.status(), 200);
    let s = wait_stats(&server, id, "reply counted", |s| s.replied == 1).await;
    assert_eq!(s.opted_out, 0);
    let open = server
        .state
        .store
        .read(store::open_workitems)
        .await
        .unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    let w = &open[0];
    assert_eq!(w.queue, replies_queue);
    assert_eq!(w.campaign, Some(inbound));
    assert_eq!(
        w.our_number.as_str(),
        NUMBERS[0],
        "answers go out on the same number"
    );
    assert_eq!(w.state, parley::domain::WorkitemState::Queued);

    // An agent of that queue comes along and gets it.
    server.add_agent("ann", &[replies_queue], None).await;
    let ann = server.login("ann").await;
    let mut events = ann.events().await;
    ann.available().await;
    assert_eq!(events.offer().await, w.id.0);

    // A second message from the lead is no second reply.
    server
        .twilio_sms_to("SMreply2", "+14155554001", NUMBERS[0], "Hello?")
        .await;
    server
        .twilio_sms_to("SMreply3", "+14155554001", NUMBERS[0], "STOP")
        .await;
    let s = wait_stats(&server, id, "opt-out counted", |s| s.opted_out == 1).await;
    assert_eq!(s.replied, 1);
}
