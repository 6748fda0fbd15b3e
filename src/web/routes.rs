//! Every route of the app, added through [`Routes`], which keeps the list of (method, path)
//! as it builds the router: the authorization matrix test walks that list, so a route added
//! without a rule there fails it.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{get, post};

use super::*;
use crate::config::ProviderKind;
use crate::state::AppState;

/// A router under construction and the routes added to it so far.
#[derive(Default)]
struct Routes {
    router: Router<AppState>,
    list: Vec<(Method, &'static str)>,
}

impl Routes {
    fn get<H: Handler<T, AppState>, T: 'static>(mut self, path: &'static str, h: H) -> Self {
        self.router = self.router.route(path, get(h));
        self.list.push((Method::GET, path));
        self
    }

    fn post<H: Handler<T, AppState>, T: 'static>(mut self, path: &'static str, h: H) -> Self {
        self.router = self.router.route(path, post(h));
        self.list.push((Method::POST, path));
        self
    }
}

/// The routes behind the session and CSRF layer (`auth::protect`), and the ones outside it:
/// webhooks prove themselves with the provider's signature instead; health and static
/// files are public.
fn routes(state: &AppState) -> (Routes, Routes) {
    let mut app = Routes::default()
        .get("/", root_get)
        .get("/login", login::login_get)
        .post("/login", login::login_post)
        .post("/logout", login::logout_post)
        .get("/workspace", workspace::workspace_get)
        .get("/api/me", workspace::me_get)
        .get("/api/search", search_api::search_get)
        .get("/search", search_page::search_page_get)
        .get("/supervisor", supervisor::wallboard_get)
        .get("/api/supervisor/floor", supervisor::floor_get)
        .get("/api/supervisor/events", supervisor::events_get)
        .post(
            "/api/supervisor/agents/{id}/presence",
            supervisor::force_state_post,
        )
        .get("/supervisor/workitems/{id}", supervisor::monitor_get)
        .get(
            "/api/supervisor/workitems/{id}/events",
            supervisor::monitor_events_get,
        )
        .post(
            "/api/supervisor/workitems/{id}/whisper",
            supervisor::whisper_post,
        )
        .post(
            "/api/supervisor/workitems/{id}/take-over",
            supervisor::take_over_post,
        )
        .get("/workitems/{id}", transcript::transcript_get)
        .get("/reports", reports::reports_get)
        .get("/reports/workitems.csv", reports::workitems_csv_get)
        .get("/reports/messages.csv", reports::messages_csv_get)
        .get("/reports/agents.csv", reports::agents_csv_get)
        .get("/reports/surveys.csv", reports::surveys_csv_get)
        .post("/api/presence", workspace::presence_post)
        .post("/api/outbound", outbound::outbound_post)
        .get("/api/outbound/options", outbound::options_get)
        .get("/api/outbound/templates", outbound::templates_get)
        .get("/api/outbound/contacts", outbound::contacts_get)
        .get("/api/consent", outbound::consent_get)
        .get("/settings", settings::settings_get)
        .post("/settings", settings::settings_post)
        .post("/settings/password", settings::password_post)
        .get("/api/events", sse::agent_events_get)
        .get("/api/activity", workspace::activity_get)
        .get("/api/workitems/{id}", workspace::workitem_get)
        .get(
            "/api/workitems/{id}/templates",
            response_templates_api::workitem_templates_get,
        )
        .post("/api/workitems/{id}/accept", workspace::accept_post)
        .post("/api/workitems/{id}/reject", workspace::reject_post)
        .post("/api/workitems/{id}/terminate", workspace::terminate_post)
        .post("/api/workitems/{id}/transfer", handover::transfer_post)
        .get("/api/transfer/targets", handover::targets_get)
        .post("/api/workitems/{id}/messages", workspace::message_post)
        // Tabs of the active workitem (HTML fragments).
        .get("/workspace/workitems/{id}/tabs/data", tabs::info::data_get)
        .get(
            "/workspace/workitems/{id}/tabs/information",
            tabs::info::information_get,
        )
        .get(
            "/workspace/workitems/{id}/tabs/events",
            tabs::info::events_get,
        )
        .get(
            "/workspace/workitems/{id}/tabs/insights",
            tabs::insights::insights_get,
        )
        .get(
            "/workspace/workitems/{id}/tabs/survey",
            tabs::survey::survey_get,
        )
        .post(
            "/workspace/workitems/{id}/survey",
            tabs::survey::survey_post,
        )
        .get(
            "/workspace/workitems/{id}/tabs/notes",
            tabs::notes::notes_get,
        )
        .post("/workspace/workitems/{id}/notes", tabs::notes::note_post)
        .get(
            "/workspace/workitems/{id}/tabs/history",
            tabs::history::history_get,
        )
        .post(
            "/workspace/workitems/{id}/history/range",
            tabs::history::history_range_post,
        )
        .get(
            "/workspace/workitems/{id}/history/{kind}/{item}",
            tabs::history_detail::history_detail_get,
        )
        .get(
            "/workspace/workitems/{id}/tabs/contact",
            tabs::contact::contact_get,
        )
        .post(
            "/workspace/workitems/{id}/contact",
            tabs::contact::contact_post,
        )
        .post(
            "/workspace/workitems/{id}/consent",
            tabs::consent::consent_post,
        )
        .get("/consent.csv", consent_csv::consent_csv_get)
        .get("/contacts", contacts::contacts_get)
        .post("/contacts", contacts::contacts_post)
        .get("/admin", admin::admin_get)
        // Surveys: the builder and the survey of each campaign.
        .get("/admin/surveys", admin::surveys::surveys_get)
        .get("/admin/surveys/new", admin::surveys::survey_new_get)
        .post("/admin/surveys/new", admin::surveys::survey_new_post)
        .get("/admin/surveys/{id}", admin::surveys::survey_edit_get)
        .post("/admin/surveys/{id}", admin::surveys::survey_edit_post)
        .post(
            "/admin/surveys/campaigns/{id}",
            admin::surveys::campaign_survey_post,
        )
        // Response templates.
        .get("/admin/templates", admin::response_templates::templates_get)
        .post(
            "/admin/templates",
            admin::response_templates::templates_post,
        )
        .get(
            "/admin/templates/{id}",
            admin::response_templates::template_get,
        )
        .post(
            "/admin/templates/{id}",
            admin::response_templates::template_post,
        )
        .post(
            "/admin/templates/{id}/delete",
            admin::response_templates::template_delete_post,
        )
        .post("/admin/users", admin::users_post)
        .post("/admin/users/{id}/settings", admin::user_settings_post)
        .post("/admin/users/{id}/role", admin::accounts::user_role_post)
        .post(
            "/admin/users/{id}/disable",
            admin::accounts::user_disable_post,
        )
        .post(
            "/admin/users/{id}/enable",
            admin::accounts::user_enable_post,
        )
        .post(
            "/admin/users/{id}/password",
            admin::accounts::user_password_post,
        )
        .get("/admin/queues", admin::queues::queues_get)
        .post("/admin/queues", admin::queues::queues_post)
        .post("/admin/queues/{id}", admin::queues::queue_post)
        .get("/admin/campaigns", admin::campaigns::campaigns_get)
        .post("/admin/campaigns", admin::campaigns::campaigns_post)
        .get("/admin/campaigns/{id}", admin::campaigns::campaign_get)
        .post("/admin/campaigns/{id}", admin::campaigns::campaign_post)
        // A predictive campaign's leads: the page, the preview, the import and its progress.
        .get("/admin/campaigns/{id}/leads", admin::leads::leads_get)
        .post(
            "/admin/campaigns/{id}/leads/preview",
            admin::leads::preview_post,
        )
        .post(
            "/admin/campaigns/{id}/leads/import",
            admin::leads::import_post,
        )
        .get(
            "/admin/campaigns/{id}/leads/jobs/{token}",
            admin::leads::job_get,
        )
        .get(
            "/admin/campaigns/{id}/leads/jobs/{token}/errors.csv",
            admin::leads::job_errors_get,
        )
        // A predictive campaign's run: start/pause/resume/cancel, and its live part.
        .get(
            "/admin/campaigns/{id}/run",
            admin::campaign_run::campaign_run_get,
        )
        .post(
            "/admin/campaigns/{id}/run",
            admin::campaign_run::campaign_run_post,
        )
        .get(
            "/admin/campaigns/{id}/run/live",
            admin::campaign_run::campaign_run_live_get,
        )
        .get("/admin/away-reasons", admin::away_reasons::away_reasons_get)
        .post(
            "/admin/away-reasons",
            admin::away_reasons::away_reasons_post,
        )
        .get("/admin/classes", admin::classes::classes_get)
        .post("/admin/classes", admin::classes::classes_post)
        .post("/admin/classes/{id}", admin::classes::class_post)
        .get("/admin/audit", admin::audit::audit_get)
        .get(
            "/admin/held-messages",
            admin::held_messages::held_messages_get,
        )
        .get("/admin/audit.csv", admin::audit::audit_csv_get)
        .get("/admin/backup", admin::backup::backup_get)
        // API tokens.
        .get("/admin/tokens", admin::tokens::tokens_get)
        .post("/admin/tokens", admin::tokens::tokens_post)
        .post(
            "/admin/tokens/{id}/revoke",
            admin::tokens::token_revoke_post,
        );
    if state.config.sms.provider == ProviderKind::Simulator {
        app = app
            .get("/simulator", simulator::simulator_get)
            .get("/simulator/messages", simulator::messages_get)
            .post("/simulator/messages", simulator::messages_post)
            .get("/simulator/events", simulator::events_get);
    }
    let open = Routes::default()
        .post("/webhooks/twilio/sms", webhooks::twilio_sms_post)
        .post("/webhooks/twilio/status", webhooks::twilio_status_post)
        .get("/healthz", || async { "ok" })
        .get("/static/{*path}", static_get);
    // Its own access rule (loopback, or its bearer token); unknown (404) unless enabled.
    let open = if state.config.metrics.enabled {
        open.get("/metrics", metrics::metrics_get)
    } else {
        open
    };
    (app, open)
}

/// Every (method, path) the router answers, in the order they were added.
pub fn route_list(state: &AppState) -> Vec<(Method, &'static str)> {
    let (app, open) = routes(state);
    app.list.into_iter().chain(open.list).collect()
}

/// The app. Security headers wrap everything, fallback included; the audit layer sits inside
/// `protect`, so it sees the session's user; with metrics on, each request is counted.
pub fn router(state: AppState) -> Router {
    let headers = security_headers::SecurityHeaders::new(&state.config);
    let (app, open) = routes(&state);
    let app = app
        .router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit::record,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::protect,
        ));
    let counted = state.config.metrics.enabled.then(|| state.metrics.clone());
    let mut router = open.router.merge(app).fallback(not_found).with_state(state);
    if let Some(metrics) = counted {
        // Around each route and the fallback: the matched route is known by then.
        router = router.layer(axum::middleware::from_fn_with_state(
            metrics,
            request_metrics::record,
        ));
    }
    router.layer(axum::middleware::from_fn_with_state(
        headers,
        security_headers::add,
    ))
}
