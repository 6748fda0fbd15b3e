//! The user's settings page (`/settings`): the default SMS campaign used when an SMS starts
//! from a contact, whether offers play a sound or show a browser notification, and their own
//! password.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::accounts::{AccountChange, change_account};
use super::admin::{Notice, redirect_with_notice};
use super::audit::AuditNote;
use super::auth::AgentUser;
use super::error::PageError;
use super::search_page::Choice;
use super::views::render;
use crate::domain::{AuditKind, Campaign, CampaignId, MIN_PASSWORD_CHARS, validate_password};
use crate::passwords::{hash_password, verify_password};
use crate::sms::compose::usable_campaigns;
use crate::state::AppState;
use crate::store::{self, UserPrefs};
use crate::web::nav::{self, Nav};

#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    pub nav: Nav,
    pub campaigns: Vec<Choice>,
    pub sound: bool,
    /// Offers show a browser notification while the workspace is in the background.
    pub notify: bool,
    pub campaign_error: Option<String>,
    pub password_error: Option<String>,
    pub min_password_chars: usize,
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

/// How offers reach the agent besides their card.
#[derive(Clone, Copy)]
struct Alerts {
    sound: bool,
    notify: bool,
}

fn page(
    user: &AgentUser,
    campaigns: &[Campaign],
    chosen: Option<CampaignId>,
    alerts: Alerts,
) -> SettingsPage {
    SettingsPage {
        nav: Nav::new(user, nav::SETTINGS, "Settings"),
        campaigns: campaigns
            .iter()
            .map(|c| Choice {
                value: c.id.to_string(),
                label: c.name.clone(),
                selected: Some(c.id) == chosen,
            })
            .collect(),
        sound: alerts.sound,
        notify: alerts.notify,
        campaign_error: None,
        password_error: None,
        min_password_chars: MIN_PASSWORD_CHARS,
        notice: None,
    }
}

/// The page with the user's settings as stored.
async fn stored_page(state: &AppState, user: &AgentUser) -> Result<SettingsPage, PageError> {
    let (campaigns, prefs) = load(state, user).await?;
    Ok(page(
        user,
        &campaigns,
        prefs.default_sms_campaign,
        Alerts {
            sound: !prefs.mute_notifications,
            notify: prefs.notify_offers,
        },
    ))
}

#[tracing::instrument(skip_all, fields(user = %user.user.id))]
pub async fn settings_get(
    State(state): State<AppState>,
    user: AgentUser,
    Query(q): Query<Notice>,
) -> Result<Response, PageError> {
    let mut view = stored_page(&state, &user).await?;
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
    /// Present (`on`) when the notification box is ticked.
    #[serde(default)]
    notify: Option<String>,
}

#[tracing::instrument(skip_all, fields(user = %user.user.id))]
pub async fn settings_post(
    State(state): State<AppState>,
    user: AgentUser,
    axum::Form(input): axum::Form<SettingsInput>,
) -> Result<Response, PageError> {
    let (campaigns, _) = load(&state, &user).await?;
    let alerts = Alerts {
        sound: input.sound.is_some(),
        notify: input.notify.is_some(),
    };
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
            let mut view = page(&user, &campaigns, None, alerts);
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
                p.mute_notifications = !alerts.sound;
                p.notify_offers = alerts.notify;
            })
        })
        .await?;
    Ok(redirect_with_notice("/settings", "Settings saved.").into_response())
}

#[derive(Deserialize)]
pub struct PasswordInput {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// Changes the user's own password: the current one is required. Every session of the user
/// ends (their other browsers are logged out); this browser gets a new one.
#[tracing::instrument(skip_all, fields(user = %user.user.id))]
pub async fn password_post(
    State(state): State<AppState>,
    user: AgentUser,
    axum::Form(input): axum::Form<PasswordInput>,
) -> Result<Response, PageError> {
    let current_ok = verify_password(
        input.current_password,
        Some(user.user.password_hash.clone()),
    )
    .await;
    let refusal = if !current_ok {
        Some("Your current password is not right; nothing was changed.".to_owned())
    } else if input.new_password != input.confirm_password {
        Some("The two new passwords differ; nothing was changed.".to_owned())
    } else {
        validate_password(&input.new_password)
            .err()
            .map(|e| format!("The new {e}; nothing was changed."))
    };
    if let Some(message) = refusal {
        let mut view = stored_page(&state, &user).await?;
        view.password_error = Some(message);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response());
    }
    let hash = hash_password(input.new_password)
        .await
        .map_err(PageError::internal)?;
    let me = user.user.id;
    change_account(
        &state,
        me,
        AccountChange::Password(hash),
        &user.user.username,
    )
    .await
    .map_err(PageError::internal)?;
    let cookie = super::sessions::open(&state, me).await?;
    let note = AuditNote::new(AuditKind::PasswordChanged, user.user.username.clone(), "");
    Ok(note.on((
        [(header::SET_COOKIE, cookie)],
        redirect_with_notice(
            "/settings",
            "Password changed; your other sessions were logged out.",
        ),
    )))
}
