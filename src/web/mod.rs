//! The HTTP face: one router, per-area handlers, server-rendered pages.

pub mod accounts;
pub mod admin;
mod api_tokens;
pub mod audit;
pub mod auth;
pub mod charts;
pub mod client_addr;
pub mod consent_csv;
pub mod contacts;
pub mod error;
pub mod handover;
pub mod login;
pub mod metrics;
pub mod nav;
pub mod outbound;
pub mod plain_http;
pub mod redirect;
pub mod reports;
pub mod request_metrics;
pub mod response_templates_api;
mod routes;
pub mod search_api;
pub mod search_page;
pub mod security_headers;
pub mod sessions;
pub mod settings;
pub mod simulator;
pub mod sse;
pub mod supervisor;
pub mod tabs;
pub mod transcript;
pub mod views;
pub mod webhooks;
pub mod workspace;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rust_embed::RustEmbed;

pub use routes::{route_list, router};

#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

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
