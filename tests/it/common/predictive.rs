//! Predictive campaigns set up straight through the store: the campaign, its leads, its run
//! changed as the run page would change it, and its counters.

use chrono::{DateTime, Duration, Timelike, Utc};
use parley::domain::{
    CampaignId, CampaignKind, CampaignRun, ChannelPreference, ContactId, E164, Lead, LeadId,
    LeadProgress, PredictiveSettings, QueueId, RunAction, RunState, RunStats, SendingHours,
};
use parley::store::{self};

use super::*;

/// The numbers [`predictive`] sends from.
pub const NUMBERS: [&str; 2] = ["+15005550101", "+15005550102"];

/// Hours that contain `now` in UTC with room either side (the manual clock starts at the
/// real time, which may be any hour).
pub fn hours_around(now: DateTime<Utc>) -> SendingHours {
    let start = (now - Duration::hours(1)).time();
    let end = (now + Duration::hours(6)).time();
    let hm = |t: chrono::NaiveTime| format!("{:02}:{:02}", t.hour(), t.minute());
    SendingHours::parse(&hm(start), &hm(end)).expect("hours")
}

/// A predictive campaign on `NUMBERS` (1 message/s each) in `queue`, open now, sending
/// `per_minute`, with `tweak` applied to its settings.
pub async fn predictive(
    server: &TestServer,
    queue: QueueId,
    per_minute: f64,
    tweak: impl FnOnce(&mut PredictiveSettings) + Send + 'static,
) -> CampaignId {
    predictive_on(server, queue, &NUMBERS, per_minute, move |c| {
        if let Some(p) = c.predictive.as_mut() {
            tweak(p);
        }
    })
    .await
}

/// A predictive campaign "Spring offer" on `numbers` in `queue`, in UTC, open now, sending
/// `per_minute`; `tweak` changes it further.
pub async fn predictive_on(
    server: &TestServer,
    queue: QueueId,
    numbers: &'static [&'static str],
    per_minute: f64,
    tweak: impl FnOnce(&mut parley::domain::Campaign) + Send + 'static,
) -> CampaignId {
    let now = server.clock.now();
    server
        .campaign(
            "Spring offer",
            CampaignKind::Predictive,
            queue,
            numbers[0],
            move |c| {
                c.numbers = numbers.iter().map(|n| E164::parse(n).unwrap()).collect();
                c.time_zone = "UTC".into();
                c.predictive = Some(PredictiveSettings {
                    message: "Hi {first_name}, spring offer inside.".into(),
                    per_minute,
                    hours: hours_around(now),
                    ..PredictiveSettings::new()
                });
                tweak(c);
            },
        )
        .await
}

/// Lead number `n` ("Lead{n}") of `campaign`, as an import would give it to the store.
pub fn lead(
    campaign: CampaignId,
    n: usize,
    phone: &str,
    zone: &str,
    channel: ChannelPreference,
    at: DateTime<Utc>,
) -> Lead {
    Lead {
        id: LeadId(0),
        campaign,
        phone: E164::parse(phone).expect("phone"),
        contact: ContactId(0),
        first_name: format!("Lead{n}"),
        last_name: String::new(),
        time_zone: zone.to_owned(),
        channel,
        fields: Vec::new(),
        imported_at: at,
    }
}

/// Stores leads (phone, zone, channel) for `campaign`, named Lead1, Lead2, …; their ids.
pub async fn store_leads(
    server: &TestServer,
    campaign: CampaignId,
    rows: &[(&str, &str, ChannelPreference)],
) -> Vec<LeadId> {
    let at = server.clock.now();
    let leads: Vec<Lead> = rows
        .iter()
        .enumerate()
        .map(|(i, (phone, zone, channel))| lead(campaign, i + 1, phone, zone, *channel, at))
        .collect();
    server
        .state
        .store
        .write(move |txn| store::insert_leads(txn, leads, at))
        .await
        .expect("leads")
        .into_iter()
        .map(|i| match i {
            store::Imported::Added(id) => id,
            store::Imported::Duplicate => panic!("duplicate lead"),
        })
        .collect()
}

/// `n` SMS-preferring leads in the campaign's zone, numbered from +1415555 1000.
pub fn sms_leads(n: usize) -> Vec<(String, &'static str, ChannelPreference)> {
    (0..n)
        .map(|i| {
            (
                format!("+1415555{:04}", 1000 + i),
                "",
                ChannelPreference::Sms,
            )
        })
        .collect()
}

/// Starts, pauses, resumes or cancels the campaign's run as the run page does, and wakes the
/// scheduler; the run after it.
pub async fn change_run(
    server: &TestServer,
    campaign: CampaignId,
    action: RunAction,
) -> CampaignRun {
    let now = server.clock.now();
    let run = server
        .state
        .store
        .write(move |txn| store::change_run(txn, campaign, action, now))
        .await
        .expect("store")
        .expect("action allowed");
    server.state.scheduler.wake();
    run
}

/// The campaign's counters.
pub async fn stats(server: &TestServer, campaign: CampaignId) -> RunStats {
    server
        .state
        .store
        .read(move |txn| store::campaign_stats(txn, campaign))
        .await
        .expect("stats")
}

/// What became of `lead` (`None`: not reached yet).
pub async fn progress(server: &TestServer, lead: LeadId) -> Option<LeadProgress> {
    server
        .state
        .store
        .read(move |txn| store::lead_progress(txn, lead))
        .await
        .expect("progress")
}

/// The campaign's run state as the store holds it.
pub async fn run_state(server: &TestServer, campaign: CampaignId) -> RunState {
    server
        .state
        .store
        .read(move |txn| store::campaign_run(txn, campaign))
        .await
        .expect("run")
        .state
}

/// Waits until the campaign's counters satisfy `ok`.
pub async fn wait_stats(
    server: &TestServer,
    campaign: CampaignId,
    what: &str,
    ok: impl Fn(&RunStats) -> bool,
) -> RunStats {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let s = stats(server, campaign).await;
        if ok(&s) {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited for {what}; counters are {s:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
