//! Held messages (`/admin/held-messages`, admins): what the provider delivered from senders
//! that are not phone numbers (short codes, sender names), kept because the provider signed
//! them, newest first. Nobody can answer them, so they start no conversation.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::domain::HeldSms;
use crate::state::AppState;
use crate::store;
use crate::web::auth::AdminUser;
use crate::web::error::PageError;
use crate::web::nav::Nav;
use crate::web::views::render;

/// The newest this many are shown.
const SHOWN: usize = 200;

#[derive(Template)]
#[template(path = "admin/held_messages.html")]
pub struct HeldMessagesView {
    pub nav: Nav,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub total: usize,
    pub shown: Vec<HeldSms>,
}

#[tracing::instrument(skip_all)]
pub async fn held_messages_get(
    State(state): State<AppState>,
    me: AdminUser,
) -> Result<Response, PageError> {
    let (total, shown) = state.store.read(|txn| store::held_sms(txn, SHOWN)).await?;
    Ok(render(&HeldMessagesView {
        nav: Nav::admin(&state, &me, "held_messages"),
        notice: None,
        error: None,
        total,
        shown,
    }))
}
