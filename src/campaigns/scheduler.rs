//! The predictive scheduler: one task that messages the leads of every running campaign, in
//! import order, each within its own allowed hours (see [`plan::decide`]), at the campaign's
//! pace. Its only memory is a cache of the store: each lead's message and progress are
//! written in one transaction, so a restart resumes where the last commit left off.
//!
//! Fair sharing with agents: the scheduler keeps at most a couple of seconds of a campaign's
//! messages waiting in the outbox, which sends in arrival order, so an agent's message on the
//! same number waits behind at most that much; the outbox's per-number buckets cap the total.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use tokio::sync::Notify;

use super::plan::{Decision, decide};
use crate::clock::Clock;
use crate::domain::predictive::message_for;
use crate::domain::sending_hours::zone;
use crate::domain::{Campaign, CampaignId, Lead, LeadId, PredictiveSettings, SkipReason};
use crate::sms::outbound::Outbox;
use crate::store::{self, LeadMessage, LeadSent, Store, StoreError};
use crate::tasks::{Shutdown, Tasks};

/// Most messages stored per transaction.
const BATCH: usize = 64;
/// How long to wait before retrying after the store failed.
const RETRY_SECS: i64 = 5;

/// Wakes the scheduler after a campaign was started, paused, resumed, cancelled, edited, or
/// given more leads.
#[derive(Clone, Default)]
pub struct Scheduler {
    wake: Arc<Notify>,
}

impl Scheduler {
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

pub fn spawn(
    store: Store,
    outbox: Outbox,
    clock: Clock,
    shutdown: Shutdown,
    tasks: &mut Tasks,
) -> Scheduler {
    let scheduler = Scheduler::default();
    let wake = scheduler.wake.clone();
    tasks.spawn("campaigns", async move {
        let mut task = Task {
            store,
            outbox,
            clock: clock.clone(),
            runs: HashMap::new(),
        };
        let mut reload = true;
        loop {
            if reload {
                if let Err(e) = task.reload().await {
                    tracing::error!(error = %e, "campaigns could not be loaded");
                }
                reload = false;
            }
            let next = match task.step_all(clock.now()).await {
                Ok((_, true)) => {
                    reload = true;
                    continue;
                }
                Ok((next, false)) => next,
                Err(e) => {
                    tracing::error!(error = %e, "campaign step failed; reloading");
                    reload = true;
                    Some(clock.now() + Duration::seconds(RETRY_SECS))
                }
            };
            // Look again within the hour whatever happens (clock changes, far-off openings).
            let next = next.map(|at| at.min(clock.now() + Duration::hours(1)));
            tokio::select! {
                _ = shutdown.wait() => break,
                _ = wake.notified() => reload = true,
                _ = async {
                    match next {
                        Some(at) => clock.sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                } => {}
            }
        }
        tracing::debug!("campaign scheduler stopped");
    });
    scheduler
}

struct Task {
    store: Store,
    outbox: Outbox,
    clock: Clock,
    runs: HashMap<CampaignId, Run>,
}

/// A running campaign as the scheduler holds it.
struct Run {
    campaign: Campaign,
    settings: PredictiveSettings,
    /// Leads not reached yet, by the zone their hours are read in, each in import order.
    zones: Vec<ZoneLeads>,
    /// When the next message is due at the pace (kept across reloads).
    due: Option<DateTime<Utc>>,
    /// Which of the campaign's numbers sends next.
    next_number: usize,
    /// When its run state last changed (a pause and resume since makes a new run).
    changed_at: Option<DateTime<Utc>>,
}

struct ZoneLeads {
    zone: Tz,
    leads: VecDeque<Lead>,
    /// Outside its allowed hours until then.
    closed_until: Option<DateTime<Utc>>,
}

impl Task {
    /// Reads which campaigns run and their leads not reached yet; leads whose channel makes
    /// them ineligible are recorded as skipped on the way.
    async fn reload(&mut self) -> Result<(), StoreError> {
        let running = self.store.read(store::running_campaigns).await?;
        let mut runs = HashMap::new();
        for (id, run) in running {
            let Some(campaign) = self.store.read(move |txn| store::campaign(txn, id)).await? else {
                continue;
            };
            let Some(settings) = campaign.predictive.clone() else {
                continue;
            };
            let pending = self
                .store
                .read(move |txn| store::pending_leads(txn, id))
                .await?;
            let campaign_zone = zone(&campaign.time_zone).unwrap_or(Tz::UTC);
            let mut skips = Vec::new();
            let mut by_zone: Vec<ZoneLeads> = Vec::new();
            let now = self.clock.now();
            for lead in pending {
                // Only the channel rule skips here; time is judged when the lead's turn comes.
                if let Decision::Skip(reason @ SkipReason::Channel(_)) =
                    decide(&lead, &settings, campaign_zone, false, now)
                {
                    skips.push((lead.id, reason));
                    continue;
                }
                let z = zone(&lead.time_zone).unwrap_or(campaign_zone);
                match by_zone.iter_mut().find(|g| g.zone == z) {
                    Some(g) => g.leads.push_back(lead),
                    None => by_zone.push(ZoneLeads {
                        zone: z,
                        leads: VecDeque::from([lead]),
                        closed_until: None,
                    }),
                }
            }
            if !skips.is_empty() {
                self.store
                    .write(move |txn| store::skip_leads(txn, id, &skips, now))
                    .await?;
            }
            // The pace carries on across a reload, but not across a pause: a paused time is
            // not made up.
            let previous = self
                .runs
                .remove(&id)
                .filter(|r| r.changed_at == run.changed_at);
            runs.insert(
                id,
                Run {
                    campaign,
                    settings,
                    zones: by_zone,
                    due: previous.as_ref().and_then(|r| r.due),
                    next_number: previous.map_or(0, |r| r.next_number),
                    changed_at: run.changed_at,
                },
            );
        }
        self.runs = runs;
        Ok(())
    }

    /// Steps every running campaign; returns when to look again, and whether a run changed
    /// under it (then the store must be read again).
    async fn step_all(
        &mut self,
        now: DateTime<Utc>,
    ) -> Result<(Option<DateTime<Utc>>, bool), StoreError> {
        let mut next: Option<DateTime<Utc>> = None;
        let mut stale = false;
        let ids: Vec<CampaignId> = self.runs.keys().copied().collect();
        for id in ids {
            let Some(run) = self.runs.get_mut(&id) else {
                continue;
            };
            match run.step(&self.store, &self.outbox, now).await? {
                Step::Again(at) => next = Some(next.map_or(at, |n| n.min(at))),
                Step::Done => {
                    self.runs.remove(&id);
                }
                Step::Stale => {
                    self.runs.remove(&id);
                    stale = true;
                }
            }
        }
        Ok((next, stale))
    }
}

enum Step {
    Again(DateTime<Utc>),
    Done,
    /// The run changed under the scheduler (paused, resumed, cancelled): read it again.
    Stale,
}

impl Run {
    fn interval(&self) -> Duration {
        let per_second = (self.settings.per_minute / 60.0).max(1e-6);
        Duration::microseconds((1e6 / per_second).round().max(1.0) as i64)
    }

    /// The most of its messages the campaign keeps waiting in the outbox: two seconds' worth.
    fn backlog_limit(&self) -> u64 {
        ((self.settings.per_minute / 30.0).ceil() as u64).max(2)
    }

    async fn step(
        &mut self,
        store: &Store,
        outbox: &Outbox,
        now: DateTime<Utc>,
    ) -> Result<Step, StoreError> {
        let id = self.campaign.id;
        if self.campaign.numbers.is_empty() {
            tracing::warn!(campaign = %id, "predictive campaign has no number to send from");
            return Ok(Step::Again(now + Duration::seconds(60)));
        }
        let ended = self.settings.ends_at.is_some_and(|end| end <= now);
        if ended || self.zones.iter().all(|z| z.leads.is_empty()) {
            return self.finish(store, now).await;
        }
        let interval = self.interval();
        // Lateness of the task is made up, but an idle spell does not build up a burst.
        let mut due = self.due.unwrap_or(now).max(now - Duration::seconds(1));
        let queued = store
            .read(move |txn| store::campaign_stats(txn, id))
            .await?
            .queued;
        let room = self.backlog_limit().saturating_sub(queued) as usize;
        let mut batch = Vec::new();
        while due <= now && batch.len() < room.min(BATCH) {
            let Some(lead) = self.next_lead(now) else {
                break;
            };
            let from =
                self.campaign.numbers[self.next_number % self.campaign.numbers.len()].clone();
            self.next_number = self.next_number.wrapping_add(1);
            batch.push(LeadMessage {
                lead: lead.id,
                from,
                body: message_for(&self.settings, &lead, &self.campaign.name),
            });
            due += interval;
        }
        self.due = Some(due);
        if !batch.is_empty() {
            let campaign = self.campaign.clone();
            let changed_at = self.changed_at;
            let sent = store
                .write(move |txn| {
                    store::queue_lead_messages(txn, &campaign, changed_at, &batch, now)
                })
                .await?;
            outbox.wake();
            if sent.contains(&LeadSent::Stale) {
                return Ok(Step::Stale);
            }
            if self.zones.iter().all(|z| z.leads.is_empty()) {
                // The last lead was just reached: finish now, not at the next pace tick.
                return self.finish(store, now).await;
            }
        }
        let open = self.zones.iter().any(|z| z.is_open(now));
        let at = if !open {
            // Every zone with leads is outside its hours: wake when the first opens.
            self.zones
                .iter()
                .filter(|z| !z.leads.is_empty())
                .filter_map(|z| z.closed_until)
                .min()
                .unwrap_or(now + Duration::seconds(RETRY_SECS))
        } else if due <= now {
            // The outbox is behind (or the batch was full): look again shortly.
            now + interval.min(Duration::milliseconds(200))
        } else {
            due
        };
        let at = match self.settings.ends_at {
            Some(end) => at.min(end),
            None => at,
        };
        Ok(Step::Again(at))
    }

    /// Ends the run: leads still waiting (the end time came first) are skipped.
    async fn finish(&mut self, store: &Store, now: DateTime<Utc>) -> Result<Step, StoreError> {
        let id = self.campaign.id;
        let skips: Vec<_> = self
            .zones
            .iter()
            .flat_map(|z| z.leads.iter().map(|l| (l.id, SkipReason::Ended)))
            .collect();
        store
            .write(move |txn| {
                store::skip_leads(txn, id, &skips, now)?;
                store::finish_run(txn, id, now)
            })
            .await?;
        tracing::info!(campaign = %id, "predictive campaign finished");
        Ok(Step::Done)
    }

    /// Takes the lead imported first among the zones inside their allowed hours at `now`.
    fn next_lead(&mut self, now: DateTime<Utc>) -> Option<Lead> {
        let campaign_zone = zone(&self.campaign.time_zone).unwrap_or(Tz::UTC);
        let settings = &self.settings;
        let mut best: Option<(LeadId, usize)> = None;
        for (i, z) in self.zones.iter_mut().enumerate() {
            let Some(front) = z.leads.front() else {
                continue;
            };
            if z.closed_until.is_some_and(|until| until > now) {
                continue;
            }
            match decide(front, settings, campaign_zone, false, now) {
                Decision::Send => z.closed_until = None,
                Decision::Wait(at) => {
                    z.closed_until = Some(at);
                    continue;
                }
                Decision::Skip(_) => {
                    // Nothing allowed before the end: these leads are skipped when it comes.
                    z.closed_until = Some(settings.ends_at.unwrap_or(DateTime::<Utc>::MAX_UTC));
                    continue;
                }
            }
            if best.is_none_or(|(first, _)| front.id < first) {
                best = Some((front.id, i));
            }
        }
        self.zones[best?.1].leads.pop_front()
    }
}

impl ZoneLeads {
    fn is_open(&self, now: DateTime<Utc>) -> bool {
        !self.leads.is_empty() && self.closed_until.is_none_or(|until| until <= now)
    }
}
