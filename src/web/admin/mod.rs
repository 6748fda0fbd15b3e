//! Administration (admins only): users with their queues, capacity and class of service
//! (`/admin`), queues (`/admin/queues`), campaigns (`/admin/campaigns`), classes of service
//! (`/admin/classes`), response templates (`/admin/templates`), surveys (`/admin/surveys`),
//! away reasons (`/admin/away-reasons`), API tokens (`/admin/tokens`), the audit log
//! (`/admin/audit`), held provider messages (`/admin/held-messages`) and a backup of the
//! store to download (`/admin/backup`).
//!
//! Every form here is checked on the server; a refused save answers 422 with the page drawn
//! again, everything typed kept and the reason next to the field.

pub mod accounts;
pub mod audit;
pub mod away_reasons;
pub mod backup;
pub mod campaign_run;
pub mod campaigns;
pub mod classes;
pub mod held_messages;
pub mod leads;
pub mod queues;
pub mod response_templates;
pub mod surveys;
pub mod tokens;
pub mod users;

use axum::response::Redirect;

pub use users::{admin_get, user_settings_post, users_post};

/// Longest name of a queue, campaign or class of service, in characters.
pub const MAX_NAME_CHARS: usize = 60;

/// `?notice=...` after a successful save (post/redirect/get).
#[derive(serde::Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    pub notice: Option<String>,
}

/// Back to `path` with a notice telling what was saved.
pub fn redirect_with_notice(path: &str, notice: &str) -> Redirect {
    let q: String = form_urlencoded::byte_serialize(notice.as_bytes()).collect();
    Redirect::to(&format!("{path}?notice={q}"))
}

/// A required name of at most [`MAX_NAME_CHARS`] characters, trimmed. `what` names the thing
/// in the message ("queue", "class of service").
pub fn validate_name(name: &str, what: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("Enter a name for the {what}."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "A {what} name can be at most {MAX_NAME_CHARS} characters."
        ));
    }
    Ok(name.to_owned())
}
