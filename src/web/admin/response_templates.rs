//! Administration of response templates (`/admin/templates`): list, create, edit, delete.
//! A refused save answers 422 with every error next to its field and everything typed kept.

use askama::Template as _;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::Notice;
use crate::domain::response_template::{
    MAX_BODY_CHARS, MAX_NAME_CHARS, PLACEHOLDERS, validate_body, validate_name,
};
use crate::domain::{
    Audience, Campaign, CampaignId, ResponseTemplate, ResponseTemplateId, User, UserId,
};
use crate::state::AppState;
use crate::store::{self, ResponseTemplateFields, SavedResponseTemplate};
use crate::web::auth::AdminUser;
use crate::web::error::PageError;
use crate::web::nav::Nav;

/// A checkbox: a campaign or an agent.
pub struct Choice {
    pub value: u64,
    pub label: String,
    pub checked: bool,
}

/// One template in the list.
pub struct TemplateRow {
    pub id: ResponseTemplateId,
    pub name: String,
    pub text: String,
    pub campaigns: String,
    pub audience: String,
}

/// Why a field was refused, shown next to it.
#[derive(Default)]
pub struct FieldErrors {
    pub name: Option<String>,
    pub text: Option<String>,
    pub campaigns: Option<String>,
    pub audience: Option<String>,
}

impl FieldErrors {
    fn any(&self) -> bool {
        self.name.is_some()
            || self.text.is_some()
            || self.campaigns.is_some()
            || self.audience.is_some()
    }
}

/// The create/edit form as typed, kept whole when a save is refused.
#[derive(Default)]
pub struct TemplateForm {
    /// The template being edited; `None` for a new one.
    pub editing: Option<ResponseTemplateId>,
    pub name: String,
    pub text: String,
    pub campaigns: Vec<u64>,
    pub everyone: bool,
    pub agents: Vec<u64>,
}

impl TemplateForm {
    fn new_template() -> TemplateForm {
        TemplateForm {
            everyone: true,
            ..TemplateForm::default()
        }
    }

    fn of(t: &ResponseTemplate) -> TemplateForm {
        let (everyone, agents) = match &t.audience {
            Audience::Everyone => (true, Vec::new()),
            Audience::Agents(a) => (false, a.iter().map(|u| u.0).collect()),
        };
        TemplateForm {
            editing: Some(t.id),
            name: t.name.clone(),
            text: t.body.clone(),
            campaigns: t.campaigns.iter().map(|c| c.0).collect(),
            everyone,
            agents,
        }
    }

    /// Reads the posted form: repeated `campaign` and `agent` fields, so not serde.
    fn parse(editing: Option<ResponseTemplateId>, body: &[u8]) -> (TemplateForm, Vec<String>) {
        let mut form = TemplateForm {
            editing,
            ..TemplateForm::default()
        };
        let mut bad_ids = Vec::new();
        let mut audience = String::new();
        for (k, v) in form_urlencoded::parse(body) {
            match k.as_ref() {
                "name" => form.name = v.into_owned(),
                "text" => form.text = v.into_owned(),
                "audience" => audience = v.into_owned(),
                "campaign" | "agent" => match v.parse::<u64>() {
                    Ok(id) if k == "campaign" => form.campaigns.push(id),
                    Ok(id) => form.agents.push(id),
                    Err(_) => bad_ids.push(k.into_owned()),
                },
                _ => {}
            }
        }
        form.everyone = audience != "agents";
        if audience != "agents" && audience != "everyone" {
            bad_ids.push("audience".into());
        }
        (form, bad_ids)
    }
}

#[derive(askama::Template)]
#[template(path = "admin/response_templates.html")]
pub struct AdminTemplatesView {
    pub nav: Nav,
    pub notice: Option<String>,
    /// Admin pages' shared error line; this page puts errors next to their fields instead.
    pub error: Option<String>,
    pub templates: Vec<TemplateRow>,
    pub form: TemplateForm,
    pub errors: FieldErrors,
    pub campaign_choices: Vec<Choice>,
    pub agent_choices: Vec<Choice>,
    pub placeholders: String,
    pub max_name: usize,
    pub max_text: usize,
}

struct Directory {
    templates: Vec<ResponseTemplate>,
    campaigns: Vec<Campaign>,
    users: Vec<User>,
}

async fn directory(state: &AppState) -> Result<Directory, PageError> {
    let (templates, mut campaigns, mut users) = state
        .store
        .read(|txn| {
            Ok((
                store::all_response_templates(txn)?,
                store::all_campaigns(txn)?,
                store::all_users(txn)?,
            ))
        })
        .await?;
    campaigns.sort_by_key(|c| c.name.to_lowercase());
    users.sort_by_key(|u| u.display_name.to_lowercase());
    Ok(Directory {
        templates,
        campaigns,
        users,
    })
}

fn user_label(u: &User) -> String {
    if u.display_name.is_empty() || u.display_name == u.username {
        u.username.clone()
    } else {
        format!("{} ({})", u.display_name, u.username)
    }
}

fn view(
    state: &AppState,
    me: &AdminUser,
    dir: &Directory,
    notice: Option<String>,
    form: TemplateForm,
    errors: FieldErrors,
) -> AdminTemplatesView {
    let campaign_name = |id: &CampaignId| {
        dir.campaigns
            .iter()
            .find(|c| c.id == *id)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| format!("campaign {id} (deleted)"))
    };
    let user_name = |id: &UserId| {
        dir.users
            .iter()
            .find(|u| u.id == *id)
            .map(user_label)
            .unwrap_or_else(|| format!("user {id} (deleted)"))
    };
    let templates = dir
        .templates
        .iter()
        .map(|t| TemplateRow {
            id: t.id,
            name: t.name.clone(),
            text: t.body.clone(),
            campaigns: if t.campaigns.is_empty() {
                "All campaigns".into()
            } else {
                t.campaigns
                    .iter()
                    .map(campaign_name)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            audience: match &t.audience {
                Audience::Everyone => "Everyone".into(),
                Audience::Agents(a) => a.iter().map(user_name).collect::<Vec<_>>().join(", "),
            },
        })
        .collect();
    let campaign_choices = dir
        .campaigns
        .iter()
        .map(|c| Choice {
            value: c.id.0,
            label: c.name.clone(),
            checked: form.campaigns.contains(&c.id.0),
        })
        .collect();
    let agent_choices = dir
        .users
        .iter()
        .map(|u| Choice {
            value: u.id.0,
            label: user_label(u),
            checked: form.agents.contains(&u.id.0),
        })
        .collect();
    AdminTemplatesView {
        nav: Nav::admin(state, me, "templates"),
        error: None,
        notice,
        templates,
        form,
        errors,
        campaign_choices,
        agent_choices,
        placeholders: PLACEHOLDERS
            .iter()
            .map(|p| format!("{{{p}}}"))
            .collect::<Vec<_>>()
            .join(" "),
        max_name: MAX_NAME_CHARS,
        max_text: MAX_BODY_CHARS,
    }
}

fn page(status: StatusCode, v: &AdminTemplatesView) -> Response {
    match v.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => PageError::internal(e).into_response(),
    }
}

fn not_found() -> PageError {
    PageError {
        status: StatusCode::NOT_FOUND,
        message: "There is no such template (it may have been deleted).".into(),
    }
}

fn template_id(raw: &str) -> Result<ResponseTemplateId, PageError> {
    raw.parse().map_err(|_| not_found())
}

fn redirect_with_notice(notice: &str) -> Response {
    super::redirect_with_notice("/admin/templates", notice).into_response()
}

/// The list and an empty form for a new template.
#[tracing::instrument(skip_all)]
pub async fn templates_get(
    State(state): State<AppState>,
    me: AdminUser,
    Query(q): Query<Notice>,
) -> Result<Response, PageError> {
    let dir = directory(&state).await?;
    let v = view(
        &state,
        &me,
        &dir,
        q.notice,
        TemplateForm::new_template(),
        FieldErrors::default(),
    );
    Ok(page(StatusCode::OK, &v))
}

/// The list with one template's edit form.
#[tracing::instrument(skip_all, fields(template = %id))]
pub async fn template_get(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = template_id(&id)?;
    let dir = directory(&state).await?;
    let t = dir
        .templates
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(not_found)?;
    let form = TemplateForm::of(t);
    let v = view(&state, &me, &dir, None, form, FieldErrors::default());
    Ok(page(StatusCode::OK, &v))
}

#[tracing::instrument(skip_all)]
pub async fn templates_post(
    State(state): State<AppState>,
    me: AdminUser,
    body: Bytes,
) -> Result<Response, PageError> {
    save(&state, &me, None, &body).await
}

#[tracing::instrument(skip_all, fields(template = %id))]
pub async fn template_post(
    State(state): State<AppState>,
    me: AdminUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let id = template_id(&id)?;
    save(&state, &me, Some(id), &body).await
}

/// Validates every field (each error next to its field), then writes.
async fn save(
    state: &AppState,
    me: &AdminUser,
    editing: Option<ResponseTemplateId>,
    body: &[u8],
) -> Result<Response, PageError> {
    let dir = directory(state).await?;
    if let Some(id) = editing
        && !dir.templates.iter().any(|t| t.id == id)
    {
        return Err(not_found());
    }
    let (form, bad_ids) = TemplateForm::parse(editing, body);
    let mut errors = FieldErrors::default();
    let name = match validate_name(&form.name) {
        Ok(name) => {
            let lower = name.to_lowercase();
            if dir
                .templates
                .iter()
                .any(|t| Some(t.id) != editing && t.name.to_lowercase() == lower)
            {
                errors.name = Some(name_taken(&name));
            }
            name
        }
        Err(e) => {
            errors.name = Some(e);
            String::new()
        }
    };
    let text = validate_body(&form.text).unwrap_or_else(|e| {
        errors.text = Some(e);
        String::new()
    });
    let known_campaign = |id: &u64| dir.campaigns.iter().any(|c| c.id.0 == *id);
    if bad_ids.iter().any(|k| k == "campaign") || !form.campaigns.iter().all(known_campaign) {
        errors.campaigns =
            Some("A chosen campaign does not exist (any more); reload the page.".into());
    }
    let known_user = |id: &u64| dir.users.iter().any(|u| u.id.0 == *id);
    if bad_ids.iter().any(|k| k == "audience") {
        errors.audience = Some("Choose Everyone or Chosen agents.".into());
    } else if !form.everyone {
        if form.agents.is_empty() {
            errors.audience = Some("Choose at least one agent, or choose Everyone.".into());
        } else if bad_ids.iter().any(|k| k == "agent") || !form.agents.iter().all(known_user) {
            errors.audience =
                Some("A chosen agent does not exist (any more); reload the page.".into());
        }
    }
    if errors.any() {
        let v = view(state, me, &dir, None, form, errors);
        return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &v));
    }
    let mut campaigns: Vec<CampaignId> = form.campaigns.iter().copied().map(CampaignId).collect();
    campaigns.sort();
    campaigns.dedup();
    let audience = if form.everyone {
        Audience::Everyone
    } else {
        let mut agents: Vec<UserId> = form.agents.iter().copied().map(UserId).collect();
        agents.sort();
        agents.dedup();
        Audience::Agents(agents)
    };
    let fields = ResponseTemplateFields {
        name: name.clone(),
        body: text,
        campaigns,
        audience,
    };
    let saved = state
        .store
        .write(move |txn| store::put_response_template(txn, editing, fields))
        .await?;
    match saved {
        SavedResponseTemplate::Saved(t) => {
            let verb = if editing.is_some() { "Saved" } else { "Added" };
            Ok(redirect_with_notice(&format!(
                "{verb} template \"{}\".",
                t.name
            )))
        }
        SavedResponseTemplate::NotFound => Err(not_found()),
        // Another administrator took the name a moment ago.
        SavedResponseTemplate::NameTaken => {
            let errors = FieldErrors {
                name: Some(name_taken(&name)),
                ..FieldErrors::default()
            };
            let dir = directory(state).await?;
            let v = view(state, me, &dir, None, form, errors);
            Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &v))
        }
    }
}

fn name_taken(name: &str) -> String {
    format!("There is already a template named \"{name}\"; choose another name.")
}

#[tracing::instrument(skip_all, fields(template = %id))]
pub async fn template_delete_post(
    State(state): State<AppState>,
    _me: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = template_id(&id)?;
    let Some(t) = state
        .store
        .read(move |txn| store::response_template(txn, id))
        .await?
    else {
        return Err(not_found());
    };
    state
        .store
        .write(move |txn| store::delete_response_template(txn, id))
        .await?;
    Ok(redirect_with_notice(&format!(
        "Deleted template \"{}\".",
        t.name
    )))
}
