//! `--demo` fills a fresh data dir with everything an evaluator needs to try each feature.

use parley::store;

#[tokio::test]
async fn demo_has_logins_campaign_templates_and_a_survey() {
    let dir = tempfile::tempdir().unwrap();
    let (db, writer) = store::Store::open(&dir.path().join(parley::DB_FILE)).unwrap();
    let logins = parley::bootstrap::first_run(&db, true).await.unwrap();
    let names: Vec<&str> = logins.iter().map(|l| l.username.as_str()).collect();
    assert_eq!(names, ["admin", "alice", "bob", "sam"]);
    assert!(logins.iter().all(|l| l.password.len() >= 16));
    let (campaigns, templates, surveys, contacts, alice_prefs) = db
        .read(|txn| {
            let alice = store::user_by_name(txn, "alice")?.unwrap();
            Ok((
                store::all_campaigns(txn)?,
                store::all_response_templates(txn)?,
                store::all_surveys(txn)?,
                store::contact_by_phone(
                    txn,
                    &parley::domain::E164::parse(parley::bootstrap::DEMO_CUSTOMER).unwrap(),
                )?,
                store::user_prefs(txn, alice.id)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(campaigns.len(), 3);
    assert_eq!(campaigns[0].survey, Some(surveys[0].id));
    // A predictive campaign with leads, ready to start, its replies to the support line.
    let spring = &campaigns[2];
    assert_eq!(spring.kind, parley::domain::CampaignKind::Predictive);
    let settings = spring.predictive.as_ref().unwrap();
    assert_eq!(settings.replies_to, Some(campaigns[0].id));
    let spring_id = spring.id;
    let (leads, run) = db
        .read(move |txn| {
            Ok((
                store::count_leads(txn, spring_id)?,
                store::campaign_run(txn, spring_id)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(leads, 12);
    assert_eq!(run.state, parley::domain::RunState::Ready);
    // The outbound campaign is the agents' default SMS campaign and works at any hour.
    let follow_ups = &campaigns[1];
    assert_eq!(follow_ups.kind, parley::domain::CampaignKind::Outbound);
    assert_eq!(follow_ups.quiet_hours, None);
    assert_eq!(alice_prefs.default_sms_campaign, Some(follow_ups.id));
    // Three for the support line, two for the outbound campaign (README demo step 7).
    assert_eq!(templates.len(), 5);
    let per_campaign = |id| templates.iter().filter(|t| t.campaigns == [id]).count();
    assert_eq!(per_campaign(campaigns[0].id), 3);
    assert_eq!(per_campaign(follow_ups.id), 2);
    for t in &templates {
        assert!(
            parley::domain::response_template::placeholders_in(&t.body).is_ok(),
            "demo template {} uses an unknown placeholder",
            t.name
        );
    }
    assert_eq!(contacts.unwrap().first_name, "Dana");
    // A second start adds nothing.
    assert!(
        parley::bootstrap::first_run(&db, true)
            .await
            .unwrap()
            .is_empty()
    );
    drop(db);
    writer.join().unwrap();
}

#[tokio::test]
async fn demo_history_is_closed_unsent_and_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let (db, writer) = store::Store::open(&dir.path().join(parley::DB_FILE)).unwrap();
    parley::bootstrap::first_run(&db, true).await.unwrap();
    let (open, outbox, dana_workitems, dana_notes) = db
        .read(|txn| {
            use redb::ReadableTableMetadata;
            let dana = store::contact_by_phone(
                txn,
                &parley::domain::E164::parse(parley::bootstrap::DEMO_CUSTOMER).unwrap(),
            )?
            .unwrap();
            let workitems = txn
                .open_multimap_table(store::WORKITEMS_BY_CONTACT)?
                .get(dana.id.0)?
                .count();
            Ok((
                store::open_workitems(txn)?.len(),
                txn.open_table(store::OUTBOX)?.len()?,
                workitems,
                store::notes_of(txn, dana.id)?.len(),
            ))
        })
        .await
        .unwrap();
    assert_eq!(
        open, 0,
        "past conversations are terminated, so nothing is routed"
    );
    assert_eq!(outbox, 0, "past replies are never sent");
    assert_eq!(dana_workitems, 3);
    assert_eq!(dana_notes, 1);
    // The index built from it finds the past conversations.
    let index = parley::search::index_dir(dir.path());
    let parley::search::Opened {
        search,
        writer: mut writer_index,
        ..
    } = parley::search::SearchIndex::open(&index, &db).unwrap();
    parley::search::rebuild(&mut writer_index, &search, |_, _| {}).unwrap();
    let found = search
        .search_raw(&parley::search::SearchRequest {
            text: "refund".into(),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(found.total, 3, "{found:?}");
    drop((writer_index, search, db));
    writer.join().unwrap();
}

#[tokio::test]
async fn the_demo_has_a_month_of_traffic_in_time_order() {
    use parley::domain::{Direction, EventKind, Presence};
    let dir = tempfile::tempdir().unwrap();
    let (db, writer) = store::Store::open(&dir.path().join(parley::DB_FILE)).unwrap();
    parley::bootstrap::first_run(&db, true).await.unwrap();
    let now = chrono::Utc::now();
    let (workitems, messages, kinds, queues, alice_log) = db
        .read(move |txn| {
            let from = now - chrono::Duration::days(31);
            let first = store::first_workitem_from(txn, from)?.unwrap();
            let (workitems, _) = store::workitems_chunk(txn, 0, 100_000, now)?;
            let (messages, _) = store::messages_chunk(txn, 0, 100_000, now)?;
            let mut kinds = Vec::new();
            for w in workitems.iter().filter(|w| w.id.0 >= first) {
                kinds.extend(store::events_of(txn, w.id)?.into_iter().map(|e| e.kind));
            }
            let alice = store::user_by_name(txn, "alice")?.unwrap();
            Ok((
                workitems,
                messages,
                kinds,
                store::all_queues(txn)?,
                store::presence_log(txn, alice.id, from, now)?,
            ))
        })
        .await
        .unwrap();
    // Stored in time order, as live traffic is: exports find ranges by id.
    assert!(
        workitems
            .windows(2)
            .all(|p| p[0].created_at <= p[1].created_at)
    );
    assert!(messages.windows(2).all(|p| p[0].at <= p[1].at));
    let month: Vec<_> = workitems
        .iter()
        .filter(|w| now - w.created_at < chrono::Duration::days(31))
        .collect();
    assert!(
        month.len() > 150,
        "only {} workitems in a month",
        month.len()
    );
    assert!(month.iter().any(|w| w.outbound) && month.iter().any(|w| !w.outbound));
    assert!(
        month.iter().all(|w| w.wrap_up.is_some()),
        "every one ended with a code"
    );
    assert!(messages.iter().any(|m| m.direction == Direction::Out));
    let transfers = kinds
        .iter()
        .filter(|k| matches!(k, EventKind::Transferred { .. }))
        .count();
    assert!(transfers >= 5, "{transfers} transfers");
    let names: Vec<&str> = queues.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["Support", "Billing"]);
    assert!(
        alice_log
            .iter()
            .any(|c| c.reason.as_deref() == Some("Lunch"))
    );
    assert!(alice_log.iter().any(|c| c.presence == Presence::Offline));
    drop(db);
    writer.join().unwrap();
}
