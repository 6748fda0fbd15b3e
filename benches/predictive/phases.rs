//! The two measured phases: agent messages through the outbox alone (the baseline), then the
//! campaign.

use std::time::{Duration, Instant};

use chrono::Utc;
use parley::domain::{
    Campaign, CampaignId, CampaignKind, E164, Role, RunAction, RunStats, UserId, WorkitemId,
};
use parley::state::AppState;
use parley::store;

use crate::common::{PASSWORD, Res, say, thousands};
use crate::leads::{message_for, numbers, save, send_rate};
use crate::server::{Call, Cost, RecordingProvider, cost, usage};

/// Workitems the baseline's agent messages are spread over.
pub const BASELINE_WORKITEMS: usize = 1_000;
const POLL: Duration = Duration::from_millis(250);
/// How long after the last expected send the harness watches for stray ones.
pub const GRACE: Duration = Duration::from_secs(5);

async fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Res<()> {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            return Err(format!("{what}: not within {limit:?}").into());
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// (1) Baseline: agent messages through the outbox alone

/// Stores `count` agent messages at `pace` a minute on an outbound campaign's workitems (its
/// own numbers, same per-number rate) and waits until the provider had them all.
pub async fn baseline(
    state: &AppState,
    provider: &RecordingProvider,
    count: usize,
    pace: f64,
    writer_stat: Option<&str>,
) -> Res<(Cost, Vec<Call>)> {
    let agent = parley::bootstrap::add_user(
        &state.store,
        "bench-agent",
        "Bench Agent",
        Role::Agent,
        PASSWORD,
    )
    .await?
    .id;
    let queue = parley::bootstrap::ensure_default_queue(&state.store).await?;
    let mut campaign = Campaign::new(CampaignId(0), "Agents", CampaignKind::Outbound, queue);
    campaign.numbers = numbers(628)?;
    campaign.send_rate = send_rate(pace);
    campaign.quiet_hours = None;
    let campaign = save(state, campaign).await?;
    let workitems = open_workitems(state, agent, &campaign, BASELINE_WORKITEMS.min(count)).await?;
    wait_until(
        "the baseline's first messages",
        Duration::from_secs(120),
        || provider.count() >= workitems.len(),
    )
    .await?;
    provider.take();

    let interval = Duration::from_secs_f64(60.0 / pace);
    let before = usage(state, writer_stat);
    let start = tokio::time::Instant::now();
    let mut queued = 0;
    while queued < count {
        tokio::time::sleep_until(start + interval.mul_f64(queued as f64)).await;
        // Everything due by now, at most a batch as the scheduler stores them.
        let due = (start.elapsed().as_secs_f64() / interval.as_secs_f64()) as usize + 1;
        let take = due.saturating_sub(queued).clamp(1, 64).min(count - queued);
        let batch: Vec<(WorkitemId, String)> = (queued..queued + take)
            .map(|i| (workitems[i % workitems.len()], message_for(i)))
            .collect();
        let at = Utc::now();
        state
            .store
            .write(move |txn| {
                for (w, body) in &batch {
                    store::insert_outbound(txn, *w, agent, body, at)?;
                }
                Ok(())
            })
            .await?;
        state.outbox.wake();
        queued += take;
    }
    wait_until("the baseline's sends", Duration::from_secs(600), || {
        provider.count() >= count
    })
    .await?;
    let after = usage(state, writer_stat);
    Ok((cost(&before, &after, count), provider.take()))
}

/// `n` agent conversations with customers of their own, spread over the campaign's numbers
/// (each opened with a first message).
async fn open_workitems(
    state: &AppState,
    agent: UserId,
    campaign: &Campaign,
    n: usize,
) -> Res<Vec<WorkitemId>> {
    let campaign = campaign.clone();
    let at = Utc::now();
    let opened = state
        .store
        .write(move |txn| {
            let mut ids = Vec::with_capacity(n);
            for k in 0..n {
                let Ok(to) = E164::parse(&format!("+1628{}", 2_000_000 + k)) else {
                    return Ok(Err(format!("bad customer number #{k}")));
                };
                // The agent picks one of the campaign's numbers for each conversation.
                let from = Campaign {
                    numbers: vec![campaign.numbers[k % campaign.numbers.len()].clone()],
                    ..campaign.clone()
                };
                match store::start_outbound(txn, agent, &from, &to, &message_for(k), at)? {
                    Ok(started) => ids.push(started.workitem.id),
                    Err(refused) => return Ok(Err(format!("{refused:?}"))),
                }
            }
            Ok(Ok(ids))
        })
        .await?;
    state.outbox.wake();
    Ok(opened?)
}

// ---------------------------------------------------------------------------------------------
// (2) The campaign

pub struct CampaignRun {
    pub cost: Cost,
    pub calls: Vec<Call>,
    pub started: Instant,
    /// Every open-zone lead messaged and sent before the time limit.
    pub finished: bool,
    /// Sends in the grace period after the last expected one.
    pub stray: usize,
    pub stats: RunStats,
}

pub async fn run_campaign(
    state: &AppState,
    provider: &RecordingProvider,
    id: CampaignId,
    expect_messaged: usize,
    expect_skipped: usize,
    limit: Duration,
    writer_stat: Option<&str>,
) -> Res<CampaignRun> {
    provider.take();
    let before = usage(state, writer_stat);
    let started = Instant::now();
    let now = Utc::now();
    state
        .store
        .write(move |txn| store::change_run(txn, id, RunAction::Start, now))
        .await?
        .map_err(|why| format!("start refused: {why}"))?;
    state.scheduler.wake();
    let mut finished = false;
    let mut shown = Instant::now();
    while started.elapsed() < limit {
        tokio::time::sleep(POLL).await;
        let sent = provider.count();
        let stats = state
            .store
            .read(move |txn| store::campaign_stats(txn, id))
            .await?;
        if stats.messaged as usize >= expect_messaged
            && sent >= expect_messaged
            && stats.skipped_total() as usize >= expect_skipped
        {
            finished = true;
            break;
        }
        if shown.elapsed() >= Duration::from_secs(30) {
            shown = Instant::now();
            say(&format!(
                "    {:>4.0} s: {} sent of {}",
                started.elapsed().as_secs_f64(),
                thousands(sent as f64),
                thousands(expect_messaged as f64)
            ));
        }
    }
    let after = usage(state, writer_stat);
    let at_end = provider.count();
    tokio::time::sleep(GRACE).await;
    let stray = provider.count() - at_end;
    let now = Utc::now();
    // Closed-zone leads keep it running: cancel so nothing is left for the shutdown.
    let _ = state
        .store
        .write(move |txn| store::change_run(txn, id, RunAction::Cancel, now))
        .await?;
    state.scheduler.wake();
    let stats = state
        .store
        .read(move |txn| store::campaign_stats(txn, id))
        .await?;
    Ok(CampaignRun {
        cost: cost(&before, &after, at_end),
        calls: provider.take(),
        started,
        finished,
        stray,
        stats,
    })
}
