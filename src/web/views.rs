//! One askama struct per page, named after its template file. Auto-escaping is on for every
//! `.html` template.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};

use crate::domain::User;

/// Renders a template, turning a (programming) error into a logged 500.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be drawn.",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorView {
    pub title: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginView {
    pub csrf: String,
    pub username: String,
    pub next: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "workspace.html")]
pub struct WorkspaceView {
    pub nav: super::nav::Nav,
    pub csrf: String,
    pub user: User,
    /// The reasons the away control offers.
    pub away: crate::domain::AwayReasons,
}

#[derive(Template)]
#[template(path = "simulator.html")]
pub struct SimulatorView {
    pub csrf: String,
    pub phone: String,
    pub our_number: String,
    /// Our numbers the simulated customer can text: those of campaigns sending through the
    /// simulator.
    pub numbers: Vec<(String, String)>,
}
