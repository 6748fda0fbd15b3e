//! The user's settings page (`/settings`): the default SMS campaign used when an SMS starts
//! from a contact, and whether offers play a sound.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::admin::{Notice, redirect_with_notice};
use super::auth::AgentUser;
use super::error::PageError;
use super::search_page::Choice;
use super::views::render;
use crate::domain::{Campaign, CampaignId};
use crate::sms::compose::usable_campaigns;
use crate::state::AppState;
use crate::store::{self, UserPrefs};

#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    pub csrf: String,
    pub username: String,
    pub campaigns: Vec<Choice>,
    pub sound: bool,
    pub campaign_error: Option<String>,
    pub notice: Option<String>,
}

async fn load(state: &AppState, user: &AgentUser) -> Result<(Vec<Campaign>, UserPrefs), PageError> {
    let me = user.user.id;
    Ok(state
        .store
        .read(move |txn| {
            let usable =
                usable_campaigns(store::all_campaigns(txn)?, &store::agent_settings(txn, me)?);
            Ok((usable, store::user_prefs(txn, me)?))
        })
        .await?)
}

fn page(
    user: &AgentUser,
    campaigns: &[Campaign],
    chosen: Option<CampaignId>,
    sound: bool,
) -> SettingsPage {
    SettingsPage {
        csrf: user.csrf().to_owned(),
        username: user.user.username.clone(),
        campaigns: campaigns
            .iter()
            .map(|c| Choice {
                value: c.id.to_string(),
                label: c.name.clone(),
                selected: Some(c.id) == chosen,
            })
            .collect(),
        sound,
        campaign_error: None,
        notice: None,
    }
}

#[tracing::instrument(skip_all, fields(user = %user.user.id))]
pub async fn settings_get(
    State(state): State<AppState>,
    user: AgentUser,
    Query(q): Query<Notice>,
) -> Result<Response, PageError> {
    let (campaigns, prefs) = load(&state, &user).await?;
    let mut view = page(
        &user,
        &campaigns,
        prefs.default_sms_campaign,
        !prefs.mute_notifications,
    );
    view.notice = q.notice;
    Ok(render(&view))
}

#[derive(Deserialize)]
pub struct SettingsInput {
    #[serde(default)]
    default_campaign: String,
    /// Present (`on`) when the box is ticked.
    #[serde(default)]
    sound: Option<String>,
}

#[tracing::instrument(skip_all, fields(user = %user.user.id))]
pub async fn settings_post(
    State(state): State<AppState>,
    user: AgentUser,
    axum::Form(input): axum::Form<SettingsInput>,
) -> Result<Response, PageError> {
    let (campaigns, _) = load(&state, &user).await?;
    let sound = input.sound.is_some();
    let raw = input.default_campaign.trim();
    let chosen = if raw.is_empty() {
        Ok(None)
    } else {
        raw.parse::<u64>()
            .ok()
            .map(CampaignId)
            .filter(|id| campaigns.iter().any(|c| c.id == *id))
            .map(Some)
            .ok_or("Choose one of the outbound campaigns listed; that one is not yours to use.")
    };
    let chosen = match chosen {
        Ok(c) => c,
        Err(e) => {
            let mut view = page(&user, &campaigns, None, sound);
            view.campaign_error = Some(e.to_owned());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response());
        }
    };
    let me = user.user.id;
    state
        .store
        .write(move |txn| {
            store::update_user_prefs(txn, me, |p| {
                p.default_sms_campaign = chosen;
                p.mute_notifications = !sound;
            })
        })
        .await?;
    Ok(redirect_with_notice("/settings", "Settings saved.").into_response())
}
