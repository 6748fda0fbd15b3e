//! Campaigns (`/admin/campaigns`): the list with a new-campaign form, and each campaign's
//! edit form. Nothing is cached elsewhere: routing, sending and the rate limits read the
//! stored campaign, so a save applies to the next message.

mod check;
mod predictive;
mod runs;
mod times;

use std::collections::HashMap;

use askama::Template as _;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{MAX_NAME_CHARS, Notice, redirect_with_notice};
use crate::domain::{
    Campaign, CampaignId, MAX_SEND_RATE, QueueId, ResponseTemplate, ResponseTemplateId,
};
use crate::state::AppState;
use crate::store::{self, NewCampaign};
use crate::web::auth::AdminUser;
use crate::web::error::PageError;
use crate::web::nav::Nav;
use crate::web::views::render;
use check::{
    CampaignErrors, CampaignInput, Directory, KINDS, MAX_REPLY_CHARS, kind_label, kind_name,
    kind_value, new_campaign,
};
pub use runs::RunSummary;

/// A campaign's form: as stored, or as typed when the save was refused.
pub struct CampaignForm {
    /// `None` for the new-campaign form.
    pub id: Option<CampaignId>,
    pub typed: CampaignInput,
    pub errors: CampaignErrors,
    /// What HELP and STOP answer while the texts are empty.
    pub default_help: String,
    pub default_opt_out: String,
}

impl CampaignForm {
    fn new(id: Option<CampaignId>, typed: CampaignInput, errors: CampaignErrors) -> CampaignForm {
        // The defaults are signed with the campaign's name.
        let name = match typed.name.trim() {
            "" => "Campaign name",
            name => name,
        };
        let sample = Campaign::new(CampaignId(0), name, KINDS[0], QueueId(0));
        CampaignForm {
            id,
            typed,
            errors,
            default_help: sample.help_reply(),
            default_opt_out: sample.opt_out_reply(),
        }
    }

    /// Prefix of the form's element ids: `campaign-3` or `campaign-new`.
    pub fn key(&self) -> String {
        match self.id {
            Some(id) => format!("campaign-{id}"),
            None => "campaign-new".into(),
        }
    }

    pub fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/admin/campaigns/{id}"),
            None => "/admin/campaigns".into(),
        }
    }

    pub fn limits_hours(&self) -> bool {
        self.typed.limit_hours.is_some()
    }
}

/// An option of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The options the form offers.
pub struct Choices {
    pub kinds: Vec<Choice>,
    pub queues: Vec<Choice>,
    pub surveys: Vec<Choice>,
    /// Inbound campaigns, where a predictive campaign's replies may go.
    pub inbound: Vec<Choice>,
    pub zones: Vec<&'static str>,
    /// The providers a campaign may choose; the first is the server's configured one.
    pub providers: Vec<&'static str>,
    pub max_name: usize,
    pub max_rate: f64,
    pub max_reply: usize,
}

impl Choices {
    fn of(dir: &Directory) -> Choices {
        let mut queues: Vec<Choice> = dir
            .queues
            .iter()
            .map(|q| Choice {
                value: q.id.to_string(),
                label: q.name.clone(),
            })
            .collect();
        queues.sort_by_key(|c| c.label.to_lowercase());
        let mut surveys: Vec<Choice> = dir
            .surveys
            .iter()
            .map(|s| Choice {
                value: s.id.to_string(),
                label: s.name.clone(),
            })
            .collect();
        surveys.sort_by_key(|c| c.label.to_lowercase());
        Choices {
            kinds: KINDS
                .into_iter()
                .map(|k| Choice {
                    value: kind_value(k).into(),
                    label: kind_label(k).into(),
                })
                .collect(),
            queues,
            surveys,
            inbound: dir
                .campaigns
                .iter()
                .filter(|c| c.kind == crate::domain::CampaignKind::Inbound)
                .map(|c| Choice {
                    value: c.id.to_string(),
                    label: c.name.clone(),
                })
                .collect(),
            zones: chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect(),
            providers: dir.providers.clone(),
            max_name: MAX_NAME_CHARS,
            max_rate: MAX_SEND_RATE,
            max_reply: MAX_REPLY_CHARS,
        }
    }
}

/// One campaign in the list.
pub struct CampaignRow {
    pub id: CampaignId,
    pub name: String,
    pub kind: &'static str,
    pub numbers: Vec<String>,
    pub queue: String,
    pub send_rate: String,
    /// The sending hours with the zone used for customers without one.
    pub hours: String,
    /// A predictive campaign's run; `None` for the other kinds.
    pub run: Option<RunSummary>,
}

impl CampaignRow {
    fn of(
        c: &Campaign,
        dir: &Directory,
        runs: &mut HashMap<CampaignId, RunSummary>,
    ) -> CampaignRow {
        CampaignRow {
            run: runs.remove(&c.id),
            id: c.id,
            name: c.name.clone(),
            kind: kind_name(c.kind),
            numbers: c.numbers.iter().map(|n| n.as_str().to_owned()).collect(),
            queue: dir
                .queues
                .iter()
                .find(|q| q.id == c.queue)
                .map(|q| q.name.clone())
                .unwrap_or_else(|| format!("queue {} (deleted)", c.queue)),
            send_rate: c.send_rate.to_string(),
            hours: match c.quiet_hours {
                None => "Any time".into(),
                Some(h) => format!("{} (default zone {})", h.label(), zone_or_utc(&c.time_zone)),
            },
        }
    }
}

fn zone_or_utc(zone: &str) -> &str {
    if zone.is_empty() { "UTC" } else { zone }
}

#[derive(askama::Template)]
#[template(path = "admin/campaigns.html")]
pub struct CampaignsView {
    pub nav: Nav,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub rows: Vec<CampaignRow>,
    /// The new-campaign form.
    pub form: CampaignForm,
    pub choices: Choices,
}

/// A template agents see on this campaign's workitems.
pub struct TemplateLink {
    pub id: ResponseTemplateId,
    pub name: String,
    /// Meant for every campaign rather than chosen for this one.
    pub everywhere: bool,
}

#[derive(askama::Template)]
#[template(path = "admin/campaign.html")]
pub struct CampaignView {
    pub nav: Nav,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// The stored name (the form may hold a refused one).
    pub name: String,
    pub form: CampaignForm,
    pub choices: Choices,
    pub templates: Vec<TemplateLink>,
    /// The stored campaign's run, when it is predictive.
    pub run: Option<RunSummary>,
}

/// What the pages show: the directory, the templates, and each predictive campaign's run.
struct Read {
    dir: Directory,
    templates: Vec<ResponseTemplate>,
    runs: HashMap<CampaignId, RunSummary>,
}

async fn directory(state: &AppState) -> Result<Read, PageError> {
    let providers = state.config.sms.available_providers();
    Ok(state
        .store
        .read(move |txn| {
            let dir = Directory::read(txn, providers)?;
            let runs = runs::read(txn, &dir.campaigns)?;
            Ok(Read {
                templates: store::all_response_templates(txn)?,
                dir,
                runs,
            })
        })
        .await?)
}

fn not_found() -> PageError {
    PageError {
        status: StatusCode::NOT_FOUND,
        message: "There is no such campaign.".into(),
    }
}

fn list_view(
    state: &AppState,
    me: &AdminUser,
    read: Read,
    form: CampaignForm,
    notice: Option<String>,
    error: Option<String>,
) -> CampaignsView {
    let Read { dir, mut runs, .. } = read;
    let dir = &dir;
    let mut campaigns: Vec<&Campaign> = dir.campaigns.iter().collect();
    campaigns.sort_by_key(|c| (c.name.to_lowercase(), c.id));
    CampaignsView {
        nav: Nav::admin(state, me, "campaigns"),
        notice,
        error,
        rows: campaigns
            .iter()
            .map(|c| CampaignRow::of(c, dir, &mut runs))
            .collect(),
        form,
        choices: Choices::of(dir),
    }
}

fn edit_view(
    state: &AppState,
    me: &AdminUser,
    read: Read,
    id: CampaignId,
    form: CampaignForm,
    error: Option<String>,
) -> Result<CampaignView, PageError> {
    let Read {
        dir,
        templates,
        mut runs,
    } = read;
    let stored = dir.campaign(id).ok_or_else(not_found)?;
    let templates = templates
        .iter()
        .filter(|t| t.campaigns.is_empty() || t.campaigns.contains(&stored.id))
        .map(|t| TemplateLink {
            id: t.id,
            name: t.name.clone(),
            everywhere: t.campaigns.is_empty(),
        })
        .collect();
    Ok(CampaignView {
        nav: Nav::admin(state, me, "campaigns"),
        notice: None,
        error,
        name: stored.name.clone(),
        form,
        choices: Choices::of(&dir),
        templates,
        run: runs.remove(&id),
    })
}

#[tracing::instrument(skip_all)]
pub async fn campaigns_get(
    State(state): State<AppState>,
    me: AdminUser,
    Query(q): Query<Notice>,
) -> Result<Response, PageError> {
    let read = directory(&state).await?;
    let form = CampaignForm::new(None, CampaignInput::blank(), CampaignErrors::default());
    Ok(render(&list_view(&state, &me, read, form, q.notice, None)))
}

/// The list drawn again with `error` (an action of a row's button refused), answered 422.
pub async fn list_refused(
    state: &AppState,
    me: &AdminUser,
    error: String,
) -> Result<Response, PageError> {
    let read = directory(state).await?;
    let form = CampaignForm::new(None, CampaignInput::blank(), CampaignErrors::default());
    let html = list_view(state, me, read, form, None, Some(error))
        .render()
        .map_err(PageError::internal)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::response::Html(html)).into_response())
}

#[tracing::instrument(skip_all, fields(campaign = id))]
pub async fn campaign_get(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<u64>,
) -> Result<Response, PageError> {
    let read = directory(&state).await?;
    let id = CampaignId(id);
    let stored = read.dir.campaign(id).ok_or_else(not_found)?;
    let form = CampaignForm::new(
        Some(id),
        CampaignInput::of(stored),
        CampaignErrors::default(),
    );
    Ok(render(&edit_view(&state, &me, read, id, form, None)?))
}

/// Creates a campaign.
#[tracing::instrument(skip_all)]
pub async fn campaigns_post(
    State(state): State<AppState>,
    me: AdminUser,
    axum::Form(input): axum::Form<CampaignInput>,
) -> Result<Response, PageError> {
    save(&state, &me, None, input).await
}

/// Saves a campaign.
#[tracing::instrument(skip_all, fields(campaign = id))]
pub async fn campaign_post(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<u64>,
    axum::Form(input): axum::Form<CampaignInput>,
) -> Result<Response, PageError> {
    save(&state, &me, Some(CampaignId(id)), input).await
}

enum Outcome {
    Saved(Campaign),
    Refused(CampaignErrors),
    Missing,
}

async fn save(
    state: &AppState,
    me: &AdminUser,
    id: Option<CampaignId>,
    input: CampaignInput,
) -> Result<Response, PageError> {
    let typed = input.clone();
    let providers = state.config.sms.available_providers();
    // Checked inside the write, so a name or number taken meanwhile is refused, not doubled.
    let outcome = state
        .store
        .write(move |txn| {
            let dir = Directory::read_in(txn, providers)?;
            let base = match id {
                Some(id) => match dir.campaign(id) {
                    Some(c) => c.clone(),
                    None => return Ok(Outcome::Missing),
                },
                None => new_campaign(),
            };
            let lead_fields = match id {
                Some(id) => store::lead_field_names(txn, id)?,
                None => Vec::new(),
            };
            let campaign = match check::check(&typed, base, &dir, &lead_fields) {
                Ok(c) => c,
                Err(errors) => return Ok(Outcome::Refused(*errors)),
            };
            Ok(match store::save_campaign(txn, campaign)? {
                NewCampaign::Created(c) => Outcome::Saved(c),
                // The check above saw every owner; this is a safety net.
                NewCampaign::NumberTaken(n) => Outcome::Refused(CampaignErrors {
                    numbers: Some(format!("{n} belongs to another campaign.")),
                    ..CampaignErrors::default()
                }),
            })
        })
        .await?;
    let errors = match outcome {
        Outcome::Saved(c) => {
            // A running campaign follows its new settings (pace, hours) at once.
            state.scheduler.wake();
            let verb = if id.is_some() { "Saved" } else { "Added" };
            let notice = format!("{verb} campaign {}.", c.name);
            return Ok(redirect_with_notice("/admin/campaigns", &notice).into_response());
        }
        Outcome::Missing => return Err(not_found()),
        Outcome::Refused(errors) => errors,
    };
    let read = directory(state).await?;
    let form = CampaignForm::new(id, input, errors);
    let page = match id {
        Some(id) => {
            let error = Some("The campaign was not saved; see the fields marked below.".into());
            edit_view(state, me, read, id, form, error)?.render()
        }
        None => {
            let error = Some("The campaign was not added; see the fields marked below.".into());
            list_view(state, me, read, form, None, error).render()
        }
    };
    match page {
        Ok(html) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::response::Html(html)).into_response())
        }
        Err(e) => Err(PageError::internal(e)),
    }
}
