//! A predictive campaign survives SIGKILL of the real binary: the restarted server resumes it
//! by itself, every lead is messaged exactly once (none twice, none skipped), and the one
//! message the provider held at the kill is recorded as interrupted rather than sent again.

use std::collections::HashSet;

use parley::domain::{
    CampaignKind, ChannelPreference, ContactId, E164, Lead, LeadId, LeadOutcome,
    PredictiveSettings, RunAction,
};
use parley::store;

use crate::common::*;
use crate::crash::start_binary_with;
use crate::outbox_crash::{HangingTwilio, wait_for};

const LEADS: usize = 60;
/// The provider never answers this call (1-based) of the first run.
const HANG_ON: usize = 20;

/// A running predictive campaign of `LEADS` leads at 10 a second, written straight to the
/// data dir; the lead ids.
async fn prepare(dir: &std::path::Path) -> Vec<LeadId> {
    let (store, writer) = open_store_at(dir);
    let queue = parley::bootstrap::ensure_default_queue(&store)
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let ids = store
        .write(move |txn| {
            let mut c = parley::domain::Campaign::new(
                parley::domain::CampaignId(0),
                "Resumable",
                CampaignKind::Predictive,
                queue,
            );
            c.numbers = NUMBERS.iter().map(|n| E164::parse(n).unwrap()).collect();
            c.send_rate = 50.0;
            let mut p = PredictiveSettings::new();
            p.message = "Hi {first_name}".into();
            p.per_minute = 600.0;
            p.hours = hours_around(now);
            c.predictive = Some(p);
            let store::NewCampaign::Created(c) = store::save_campaign(txn, c)? else {
                panic!("number taken");
            };
            let leads = (0..LEADS)
                .map(|i| Lead {
                    id: LeadId(0),
                    campaign: c.id,
                    phone: E164::parse(&format!("+1415555{:04}", 3000 + i)).unwrap(),
                    contact: ContactId(0),
                    first_name: format!("Lead{i}"),
                    last_name: String::new(),
                    time_zone: String::new(),
                    channel: ChannelPreference::Sms,
                    fields: Vec::new(),
                    imported_at: now,
                })
                .collect();
            let ids = store::insert_leads(txn, leads, now)?
                .into_iter()
                .map(|i| match i {
                    store::Imported::Added(id) => id,
                    store::Imported::Duplicate => panic!("duplicate"),
                })
                .collect::<Vec<_>>();
            store::change_run(txn, c.id, RunAction::Start, now)?.expect("start");
            Ok(ids)
        })
        .await
        .unwrap();
    close_store(store, writer).await;
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_campaign_resumes_with_no_lead_messaged_twice_or_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let leads = prepare(dir.path()).await;
    let mut twilio = HangingTwilio::start(HANG_ON).await;
    let bodies = twilio.bodies.clone();

    let (mut child, _) = start_binary_with(dir.path(), &twilio.env());
    twilio.held().await;
    child.kill().unwrap();
    child.wait().unwrap();

    // Nobody starts it again: the restarted server resumes the running campaign itself.
    twilio.release();
    let (mut child, _) = start_binary_with(dir.path(), &twilio.env());
    wait_for(&bodies, LEADS).await;
    child.kill().unwrap();
    child.wait().unwrap();

    let got = bodies.lock().unwrap().clone();
    let distinct: HashSet<&String> = got.iter().collect();
    assert_eq!(got.len(), LEADS, "one call per lead: {got:?}");
    assert_eq!(distinct.len(), LEADS, "no lead twice: {got:?}");

    // The store agrees: every lead reached once, the held message interrupted.
    let (store, writer) = open_store_at(dir.path());
    let mut interrupted = 0;
    for lead in leads {
        let p = store
            .read(move |txn| store::lead_progress(txn, lead))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("lead {lead:?} skipped"));
        let LeadOutcome::Messaged(m) = p.outcome else {
            panic!("lead {lead:?}: {p:?}");
        };
        let m = store
            .read(move |txn| store::message(txn, m))
            .await
            .unwrap()
            .unwrap();
        if m.error.as_deref() == Some(store::INTERRUPTED) {
            interrupted += 1;
        }
    }
    assert_eq!(interrupted, 1, "only the held message was interrupted");
    close_store(store, writer).await;
}
