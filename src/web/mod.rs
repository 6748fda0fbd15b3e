//! The HTTP face: one router, per-area handlers, server-rendered pages.

pub mod admin;
pub mod admin_surveys;
pub mod admin_templates;
mod api_tokens;
pub mod auth;
pub mod client_addr;
pub mod consent_csv;
pub mod contacts;
pub mod error;
mod hash_limit;
pub mod login;
pub mod outbound;
pub mod search_api;
pub mod search_page;
pub mod settings;
pub mod simulator;
pub mod sse;
pub mod tabs;
pub mod templates_api;
pub mod transcript;
pub mod views;
pub mod webhooks;
pub mod workspace;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rust_embed::RustEmbed;

use crate::config::ProviderKind;
use crate::state::AppState;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

/// Every route. Webhooks sit outside the session/CSRF layer: they prove themselves with the
/// provider's signature instead.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .route("/", get(root_get))
        .route("/login", get(login::login_get).post(login::login_post))
        .route("/logout", post(login::logout_post))
        .route("/workspace", get(workspace::workspace_get))
        .route("/api/me", get(workspace::me_get))
        .route("/api/search", get(search_api::search_get))
        .route("/search", get(search_page::search_page_get))
        .route("/workitems/{id}", get(transcript::transcript_get))
        .route("/api/presence", post(workspace::presence_post))
        .route("/api/outbound", post(outbound::outbound_post))
        .route("/api/outbound/options", get(outbound::options_get))
        .route("/api/outbound/templates", get(outbound::templates_get))
        .route("/api/outbound/contacts", get(outbound::contacts_get))
        .route("/api/consent", get(outbound::consent_get))
        .route(
            "/settings",
            get(settings::settings_get).post(settings::settings_post),
        )
        .route("/api/events", get(sse::agent_events_get))
        .route("/api/workitems/{id}", get(workspace::workitem_get))
        .route(
            "/api/workitems/{id}/templates",
            get(templates_api::workitem_templates_get),
        )
        .route("/api/workitems/{id}/accept", post(workspace::accept_post))
        .route("/api/workitems/{id}/reject", post(workspace::reject_post))
        .route(
            "/api/workitems/{id}/terminate",
            post(workspace::terminate_post),
        )
        .route(
            "/api/workitems/{id}/messages",
            post(workspace::message_post),
        )
        // Tabs of the active workitem (HTML fragments).
        .route(
            "/workspace/workitems/{id}/tabs/data",
            get(tabs::info::data_get),
        )
        .route(
            "/workspace/workitems/{id}/tabs/information",
            get(tabs::info::information_get),
        )
        .route(
            "/workspace/workitems/{id}/tabs/events",
            get(tabs::info::events_get),
        )
        .route(
            "/workspace/workitems/{id}/tabs/insights",
            get(tabs::insights::insights_get),
        )
        .route(
            "/workspace/workitems/{id}/tabs/survey",
            get(tabs::survey::survey_get),
        )
        .route(
            "/workspace/workitems/{id}/survey",
            post(tabs::survey::survey_post),
        )
        .route(
            "/workspace/workitems/{id}/tabs/notes",
            get(tabs::notes::notes_get),
        )
        .route(
            "/workspace/workitems/{id}/notes",
            post(tabs::notes::note_post),
        )
        .route(
            "/workspace/workitems/{id}/tabs/history",
            get(tabs::history::history_get),
        )
        .route(
            "/workspace/workitems/{id}/history/range",
            post(tabs::history::history_range_post),
        )
        .route(
            "/workspace/workitems/{id}/history/{kind}/{item}",
            get(tabs::history_detail::history_detail_get),
        )
        .route(
            "/workspace/workitems/{id}/tabs/contact",
            get(tabs::contact::contact_get),
        )
        .route(
            "/workspace/workitems/{id}/contact",
            post(tabs::contact::contact_post),
        )
        .route(
            "/workspace/workitems/{id}/consent",
            post(tabs::consent::consent_post),
        )
        .route("/consent.csv", get(consent_csv::consent_csv_get))
        .route(
            "/contacts",
            get(contacts::contacts_get).post(contacts::contacts_post),
        )
        .route("/admin", get(admin::admin_get))
        // Surveys: the builder and the survey of each campaign.
        .route("/admin/surveys", get(admin_surveys::surveys_get))
        .route(
            "/admin/surveys/new",
            get(admin_surveys::survey_new_get).post(admin_surveys::survey_new_post),
        )
        .route(
            "/admin/surveys/{id}",
            get(admin_surveys::survey_edit_get).post(admin_surveys::survey_edit_post),
        )
        .route(
            "/admin/surveys/campaigns/{id}",
            post(admin_surveys::campaign_survey_post),
        )
        // Response templates.
        .route(
            "/admin/templates",
            get(admin_templates::templates_get).post(admin_templates::templates_post),
        )
        .route(
            "/admin/templates/{id}",
            get(admin_templates::template_get).post(admin_templates::template_post),
        )
        .route(
            "/admin/templates/{id}/delete",
            post(admin_templates::template_delete_post),
        )
        .route("/admin/users", post(admin::users_post))
        .route(
            "/admin/users/{id}/settings",
            post(admin::user_settings_post),
        )
        .route(
            "/admin/queues",
            get(admin::queues::queues_get).post(admin::queues::queues_post),
        )
        .route("/admin/queues/{id}", post(admin::queues::queue_post))
        .route(
            "/admin/campaigns",
            get(admin::campaigns::campaigns_get).post(admin::campaigns::campaigns_post),
        )
        .route(
            "/admin/campaigns/{id}",
            get(admin::campaigns::campaign_get).post(admin::campaigns::campaign_post),
        )
        // A predictive campaign's leads: the page, the preview, the import and its progress.
        .route("/admin/campaigns/{id}/leads", get(admin::leads::leads_get))
        .route(
            "/admin/campaigns/{id}/leads/preview",
            post(admin::leads::preview_post),
        )
        .route(
            "/admin/campaigns/{id}/leads/import",
            post(admin::leads::import_post),
        )
        .route(
            "/admin/campaigns/{id}/leads/jobs/{token}",
            get(admin::leads::job_get),
        )
        .route(
            "/admin/campaigns/{id}/leads/jobs/{token}/errors.csv",
            get(admin::leads::job_errors_get),
        )
        // A predictive campaign's run: start/pause/resume/cancel, and its live part.
        .route(
            "/admin/campaigns/{id}/run",
            get(admin::campaign_run::campaign_run_get).post(admin::campaign_run::campaign_run_post),
        )
        .route(
            "/admin/campaigns/{id}/run/live",
            get(admin::campaign_run::campaign_run_live_get),
        )
        .route(
            "/admin/classes",
            get(admin::classes::classes_get).post(admin::classes::classes_post),
        )
        .route("/admin/classes/{id}", post(admin::classes::class_post))
        // API tokens.
        .route(
            "/admin/tokens",
            get(admin::tokens::tokens_get).post(admin::tokens::tokens_post),
        )
        .route(
            "/admin/tokens/{id}/revoke",
            post(admin::tokens::token_revoke_post),
        );
    if state.config.sms.provider == ProviderKind::Simulator {
        app = app
            .route("/simulator", get(simulator::simulator_get))
            .route(
                "/simulator/messages",
                get(simulator::messages_get).post(simulator::messages_post),
            )
            .route("/simulator/events", get(simulator::events_get));
    }
    let app = app.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        auth::protect,
    ));
    Router::new()
        .route("/webhooks/twilio/sms", post(webhooks::twilio_sms_post))
        .route(
            "/webhooks/twilio/status",
            post(webhooks::twilio_status_post),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/{*path}", get(static_get))
        .merge(app)
        .fallback(not_found)
        .with_state(state)
}

async fn root_get(auth::MaybeUser(user): auth::MaybeUser) -> Redirect {
    match user {
        Some(u) if u.user.role == crate::domain::Role::Admin => Redirect::to("/admin"),
        Some(_) => Redirect::to("/workspace"),
        None => Redirect::to("/login"),
    }
}

async fn static_get(Path(path): Path<String>) -> Response {
    match Assets::get(&path) {
        Some(file) => {
            let mime = mime_guess::from_path(&path).first_or_octet_stream();
            (
                [
                    (header::CONTENT_TYPE, mime.as_ref().to_owned()),
                    (header::CACHE_CONTROL, "no-cache".to_owned()),
                ],
                file.data,
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

async fn not_found() -> error::PageError {
    error::PageError {
        status: StatusCode::NOT_FOUND,
        message: "There is no page at this address.".into(),
    }
}
