//! A predictive campaign's run (`/admin/campaigns/{id}/run`, admins only): its settings at a
//! glance, one button per action its state allows (start, pause, resume, cancel), and the
//! live part (counters, expected finish, chart) that `static/campaign_run.js` fetches again
//! from `.../run/live` every two seconds. Unknown and non-predictive campaigns are 404.

pub(crate) mod chart;
mod live;

use askama::Template as _;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::{Notice, redirect_with_notice};
use crate::domain::AuditKind;
use crate::domain::predictive::days_label;
use crate::domain::{Campaign, CampaignId, CampaignKind, RunAction};
use crate::state::AppState;
use crate::store::{self, StoreError};
use crate::web::audit::AuditNote;
use crate::web::auth::AdminUser;
use crate::web::error::PageError;
use crate::web::nav::Nav;
use crate::web::views::render;
use live::{LivePart, RunFacts, campaign_zone, local_time};

/// One button of the page.
pub struct ActionButton {
    /// The form's `action` value.
    pub value: &'static str,
    pub label: &'static str,
    /// Asked again in the browser before it is sent (a cancel is final).
    pub confirm: Option<&'static str>,
}

#[derive(askama::Template)]
#[template(path = "admin/campaign_run.html")]
pub struct CampaignRunView {
    pub nav: Nav,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub id: CampaignId,
    pub name: String,
    pub state_label: &'static str,
    pub started: String,
    pub pace: String,
    pub hours: String,
    pub days: String,
    /// `from … until …` in the campaign's zone, when limited.
    pub window: Option<String>,
    pub numbers: Vec<String>,
    pub message: String,
    pub actions: Vec<ActionButton>,
    pub live: LivePart,
}

/// The live part alone (`admin/campaign_run_live.html`).
#[derive(askama::Template)]
#[template(path = "admin/campaign_run_live.html")]
pub struct CampaignRunLiveView {
    pub id: CampaignId,
    pub live: LivePart,
}

#[derive(Deserialize)]
pub struct RunForm {
    #[serde(default)]
    pub action: String,
    /// `list` when posted from the campaign list, which the answer then goes back to;
    /// anything else goes back to the run page.
    #[serde(default)]
    pub back: String,
}

impl RunForm {
    fn back_to_list(&self) -> bool {
        self.back == "list"
    }
}

fn not_found(message: impl Into<String>) -> PageError {
    PageError {
        status: StatusCode::NOT_FOUND,
        message: message.into(),
    }
}

/// Everything the page shows, read at once; `Err` (a 404's message) for an unknown or
/// non-predictive campaign.
async fn facts(state: &AppState, id: u64) -> Result<Result<RunFacts, String>, StoreError> {
    let id = CampaignId(id);
    state
        .store
        .read(move |txn| {
            let campaign = match store::campaign(txn, id)? {
                None => return Ok(Err("There is no such campaign.".to_owned())),
                Some(c) => c,
            };
            let Some(settings) = campaign
                .predictive
                .clone()
                .filter(|_| campaign.kind == CampaignKind::Predictive)
            else {
                return Ok(Err(format!(
                    "“{}” is not a predictive campaign; only predictive campaigns run by \
                     themselves.",
                    campaign.name
                )));
            };
            let run = store::campaign_run(txn, id)?;
            Ok(Ok(RunFacts {
                stats: store::campaign_stats(txn, id)?,
                leads: store::count_leads(txn, id)?,
                minutes: store::campaign_minutes(txn, id, i64::MIN)?,
                campaign,
                settings,
                run,
            }))
        })
        .await
}

fn page(state: &AppState, me: &AdminUser, facts: RunFacts) -> CampaignRunView {
    let now = state.clock.now();
    let (zone, zone_name) = campaign_zone(&facts.campaign);
    let s = &facts.settings;
    let at = |t| format!("{} ({zone_name})", local_time(t, zone));
    let window = match (s.starts_at, s.ends_at) {
        (None, None) => None,
        (Some(from), None) => Some(format!("From {}", at(from))),
        (None, Some(until)) => Some(format!("Until {}", at(until))),
        (Some(from), Some(until)) => Some(format!("From {} until {}", at(from), at(until))),
    };
    let actions = facts
        .run
        .state
        .actions()
        .iter()
        .map(|a| ActionButton {
            value: a.as_str(),
            label: a.label(),
            confirm: (*a == RunAction::Cancel).then_some(
                "Cancel this campaign for good? Leads not messaged yet will never be; it \
                 cannot be started again.",
            ),
        })
        .collect();
    CampaignRunView {
        nav: Nav::admin(state, me, "campaigns"),
        notice: None,
        error: None,
        id: facts.campaign.id,
        name: facts.campaign.name.clone(),
        state_label: facts.run.state.label(),
        started: facts
            .run
            .started_at
            .map_or_else(|| "Not yet".to_owned(), at),
        pace: format!("{} messages per minute", s.per_minute),
        hours: format!(
            "{}, in each lead's own zone ({zone_name} for leads without one)",
            s.hours.label()
        ),
        days: match days_label(&s.days) {
            d if d.is_empty() => "Every day".to_owned(),
            d => d,
        },
        window,
        numbers: facts
            .campaign
            .numbers
            .iter()
            .map(|n| n.as_str().to_owned())
            .collect(),
        message: s.message.clone(),
        actions,
        live: LivePart::of(&facts, now),
    }
}

#[tracing::instrument(skip_all, fields(campaign = id))]
pub async fn campaign_run_get(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<u64>,
    Query(q): Query<Notice>,
) -> Result<Response, PageError> {
    let facts = facts(&state, id).await?.map_err(not_found)?;
    let mut view = page(&state, &me, facts);
    view.notice = q.notice;
    Ok(render(&view))
}

#[tracing::instrument(skip_all, fields(campaign = id))]
pub async fn campaign_run_live_get(
    State(state): State<AppState>,
    _me: AdminUser,
    Path(id): Path<u64>,
) -> Result<Response, PageError> {
    let facts = facts(&state, id).await?.map_err(not_found)?;
    Ok(render(&CampaignRunLiveView {
        id: facts.campaign.id,
        live: LivePart::of(&facts, state.clock.now()),
    }))
}

/// Why starting (or resuming) `campaign` would send nothing, if so.
fn cannot_send(campaign: &Campaign, action: RunAction, leads: u64, waiting: u64) -> Option<String> {
    if !matches!(action, RunAction::Start | RunAction::Resume) {
        return None;
    }
    let verb = action.as_str();
    if leads == 0 {
        return Some(format!(
            "The campaign has no leads; import a list before you {verb} it."
        ));
    }
    if campaign.numbers.is_empty() {
        return Some(format!(
            "The campaign has no number to send from; add one on the campaign's page before \
             you {verb} it."
        ));
    }
    let message = campaign
        .predictive
        .as_ref()
        .map_or("", |p| p.message.trim());
    if message.is_empty() {
        return Some(format!(
            "The campaign has no message; write the leads' message on the campaign's page \
             before you {verb} it."
        ));
    }
    if waiting == 0 {
        return Some(format!(
            "Every lead has been messaged or skipped; import more leads before you {verb} the \
             campaign again."
        ));
    }
    None
}

/// What the page says after each action.
fn done(action: RunAction) -> &'static str {
    match action {
        RunAction::Start => "Started: leads are messaged within their allowed hours.",
        RunAction::Pause => "Paused: no more messages until you resume.",
        RunAction::Resume => "Resumed.",
        RunAction::Cancel => "Cancelled: no more messages will be sent.",
    }
}

#[tracing::instrument(skip_all, fields(campaign = id))]
pub async fn campaign_run_post(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<u64>,
    axum::Form(form): axum::Form<RunForm>,
) -> Result<Response, PageError> {
    let before = facts(&state, id).await?.map_err(not_found)?;
    let Some(action) = RunAction::parse(form.action.trim()) else {
        let why = "Choose start, pause, resume or cancel.".to_owned();
        return refused(&state, &me, id, &form, why).await;
    };
    let campaign = before.campaign.id;
    let (leads, waiting) = (before.leads, before.stats.waiting(before.leads));
    let now = state.clock.now();
    // The campaign is read again inside the write, so a number or message removed meanwhile
    // still stops a start. Leads are never removed, so the count read above holds.
    let outcome = state
        .store
        .write(move |txn| {
            let Some(c) = store::campaign_in(txn, campaign)? else {
                return Ok(Err("There is no such campaign.".to_owned()));
            };
            if let Some(why) = cannot_send(&c, action, leads, waiting) {
                return Ok(Err(why));
            }
            store::change_run(txn, campaign, action, now)
        })
        .await?;
    match outcome {
        Ok(_) => {
            state.scheduler.wake();
            let name = before.campaign.name.clone();
            let note = AuditNote::new(
                AuditKind::CampaignRun,
                name.clone(),
                form.action.trim().to_owned(),
            );
            let back = if form.back_to_list() {
                let notice = format!("{name}: {}", done(action));
                redirect_with_notice("/admin/campaigns", &notice)
            } else {
                let path = format!("/admin/campaigns/{campaign}/run");
                redirect_with_notice(&path, done(action))
            };
            Ok(note.on(back))
        }
        Err(why) => refused(&state, &me, id, &form, why).await,
    }
}

/// The page the form came from (the run page or the campaign list) drawn again with `why`,
/// answered 422.
async fn refused(
    state: &AppState,
    me: &AdminUser,
    id: u64,
    form: &RunForm,
    why: String,
) -> Result<Response, PageError> {
    if form.back_to_list() {
        let name = facts(state, id).await?.map_err(not_found)?.campaign.name;
        return super::campaigns::list_refused(state, me, format!("{name}: {why}")).await;
    }
    let facts = facts(state, id).await?.map_err(not_found)?;
    let mut view = page(state, me, facts);
    view.error = Some(why);
    let html = view.render().map_err(PageError::internal)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{E164, PredictiveSettings, QueueId};

    fn campaign(number: bool, message: &str) -> Campaign {
        let mut c = Campaign::new(
            CampaignId(1),
            "Spring",
            CampaignKind::Predictive,
            QueueId(1),
        );
        if number {
            c.numbers = vec![E164::parse("+14155550100").expect("number")];
        }
        c.predictive = Some(PredictiveSettings {
            message: message.into(),
            ..PredictiveSettings::new()
        });
        c
    }

    #[test]
    fn a_start_needs_leads_a_number_and_a_message() {
        let ready = campaign(true, "Hi {first_name}");
        assert_eq!(cannot_send(&ready, RunAction::Start, 3, 3), None);
        let why = |c: &Campaign, leads, waiting| {
            cannot_send(c, RunAction::Start, leads, waiting).expect("refused")
        };
        assert!(why(&ready, 0, 0).contains("no leads"));
        assert!(why(&campaign(false, "Hi"), 3, 3).contains("no number"));
        assert!(why(&campaign(true, "  "), 3, 3).contains("no message"));
        assert!(why(&ready, 3, 0).contains("import more leads"));
        // Only starting and resuming send; pausing and cancelling are always allowed here.
        assert_eq!(
            cannot_send(&campaign(false, ""), RunAction::Cancel, 0, 0),
            None
        );
        assert!(
            cannot_send(&campaign(false, "Hi"), RunAction::Resume, 3, 3)
                .expect("refused")
                .contains("before you resume it")
        );
    }
}
