//! A predictive campaign's run controls against the real server with a manual clock: a pause
//! sends nothing until the resume, and a cancel ends the run and withdraws what the outbox
//! still holds.

use chrono::Duration;
use parley::domain::{DeliveryStatus, LeadOutcome, RunAction, RunState};
use parley::store;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_stops_sending_resume_goes_on_with_the_next_lead_and_cancel_ends_it() {
    let (server, fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    let id = predictive(&server, queue, 60.0, |_| {}).await;
    let rows = sms_leads(8);
    let rows: Vec<_> = rows.iter().map(|(p, z, c)| (p.as_str(), *z, *c)).collect();
    let leads = store_leads(&server, id, &rows).await;
    change_run(&server, id, RunAction::Start).await;
    wait_stats(&server, id, "first", |s| s.messaged == 1).await;
    server.advance(1);
    wait_stats(&server, id, "2 messaged", |s| s.messaged == 2).await;

    let paused_at = server.clock.now();
    change_run(&server, id, RunAction::Pause).await;
    for _ in 0..5 {
        server.advance(1);
    }
    let resumed_at = server.clock.now();
    change_run(&server, id, RunAction::Resume).await;
    wait_stats(&server, id, "3 messaged", |s| s.messaged >= 3).await;
    let third = progress(&server, leads[2])
        .await
        .expect("third lead reached");
    assert_eq!(third.at, resumed_at, "nothing went out while paused");
    assert!(third.at >= paused_at + Duration::seconds(5));

    server.advance(1);
    wait_stats(&server, id, "4 messaged", |s| s.messaged == 4).await;
    // The fourth must have left the outbox: a cancel withdraws what it still holds.
    fake.wait_calls(4).await;
    change_run(&server, id, RunAction::Cancel).await;
    for _ in 0..5 {
        server.advance(1);
    }
    // Let whatever the outbox still held settle, then nothing more was reached.
    wait_stats(&server, id, "outbox settled", |s| s.queued == 0).await;
    assert_eq!(stats(&server, id).await.messaged, 4);
    for lead in &leads[4..] {
        assert_eq!(
            progress(&server, *lead).await,
            None,
            "cancelled before its turn"
        );
    }
    assert_eq!(run_state(&server, id).await, RunState::Cancelled);
    let now = server.clock.now();
    let again = server
        .state
        .store
        .write(move |txn| store::change_run(txn, id, RunAction::Resume, now))
        .await
        .unwrap();
    assert!(again.is_err(), "a cancelled campaign cannot resume");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_withdraws_the_messages_still_waiting_in_the_outbox() {
    let (server, fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    // Two a second from one number allowed one a second: a backlog waits in the outbox.
    const ONE: [&str; 1] = [NUMBERS[0]];
    let id = predictive_on(&server, queue, &ONE, 120.0, |_| {}).await;
    let rows = sms_leads(6);
    let rows: Vec<_> = rows.iter().map(|(p, z, c)| (p.as_str(), *z, *c)).collect();
    let leads = store_leads(&server, id, &rows).await;
    change_run(&server, id, RunAction::Start).await;
    fake.wait_calls(1).await;
    server.advance(1);
    fake.wait_calls(2).await;
    wait_stats(&server, id, "one waiting", |s| {
        (s.messaged, s.queued) == (3, 1)
    })
    .await;

    change_run(&server, id, RunAction::Cancel).await;
    for _ in 0..5 {
        server.advance(1);
    }
    let s = wait_stats(&server, id, "outbox settled", |s| s.queued == 0).await;
    assert_eq!((s.messaged, s.sent, s.failed), (3, 2, 1));
    assert_eq!(fake.sent().len(), 2, "the waiting message never went out");
    let Some(LeadOutcome::Messaged(third)) = progress(&server, leads[2]).await.map(|p| p.outcome)
    else {
        panic!("the third lead was messaged");
    };
    let message = server
        .state
        .store
        .read(move |txn| store::message(txn, third))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(message.status, DeliveryStatus::Failed);
    assert_eq!(message.error.as_deref(), Some(store::CANCELLED));
}
