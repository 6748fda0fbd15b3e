//! The consent part of the Contact tab: whether the customer may be messaged, every change of
//! it (the ledger, also as CSV), and an agent's own opt-out or opt-in on the customer's word.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::info::Stamp;
use super::{TabError, fragment, workitem_for};
use crate::domain::AuditKind;
use crate::domain::{CampaignId, ConsentEntry, ConsentSource, Contact, Permission};
use crate::state::AppState;
use crate::store;
use crate::web::audit::AuditNote;
use crate::web::auth::AgentUser;

/// One ledger row as the tab lists it.
pub struct LedgerRow {
    pub at: Stamp,
    pub change: &'static str,
    /// "keyword STOP", "agent alice", "carrier 21610", …
    pub source: String,
    pub campaign: String,
}

/// What the tab shows about the customer's consent.
pub struct ConsentView {
    pub opted_out: bool,
    /// The warning shown when they opted out.
    pub warning: Option<String>,
    pub rows: Vec<LedgerRow>,
    /// `/consent.csv?phone=…` for this customer.
    pub csv_url: String,
    /// The agent may record an opt-out or opt-in (`contacts.edit`).
    pub can_change: bool,
}

impl ConsentView {
    pub async fn load(
        state: &AppState,
        user: &AgentUser,
        contact: &Contact,
    ) -> Result<ConsentView, TabError> {
        let phone = contact.mobile.clone();
        let (consent, ledger, names, campaigns) = state
            .store
            .read(move |txn| {
                let users: HashMap<_, _> = store::all_users(txn)?
                    .into_iter()
                    .map(|u| (u.id, u.username))
                    .collect();
                let campaigns: HashMap<CampaignId, String> = store::all_campaigns(txn)?
                    .into_iter()
                    .map(|c| (c.id, c.name))
                    .collect();
                Ok((
                    store::consent_of(txn, &phone)?,
                    store::consent_ledger(txn, &phone)?,
                    users,
                    campaigns,
                ))
            })
            .await?;
        let rows = ledger
            .iter()
            .rev()
            .map(|e| LedgerRow {
                at: Stamp::new(e.at),
                change: change_word(e),
                source: source_text(&e.source, &names),
                campaign: e
                    .campaign
                    .and_then(|c| campaigns.get(&c).cloned())
                    .unwrap_or_default(),
            })
            .collect();
        let phone: String =
            form_urlencoded::byte_serialize(contact.mobile.as_str().as_bytes()).collect();
        Ok(ConsentView {
            opted_out: consent.as_ref().is_some_and(|c| c.opted_out),
            warning: consent.as_ref().and_then(|c| c.warning()),
            rows,
            csv_url: format!("/consent.csv?phone={phone}"),
            can_change: user.may(Permission::ContactsEdit),
        })
    }
}

pub fn change_word(e: &ConsentEntry) -> &'static str {
    if e.opted_out { "Opted out" } else { "Opted in" }
}

pub fn source_text(
    source: &ConsentSource,
    names: &HashMap<crate::domain::UserId, String>,
) -> String {
    match source {
        ConsentSource::Keyword { word } => format!("keyword {word}"),
        ConsentSource::Agent { user } => format!(
            "agent {}",
            names.get(user).cloned().unwrap_or_else(|| user.to_string())
        ),
        ConsentSource::Import => "import".into(),
        ConsentSource::Api => "API".into(),
        ConsentSource::Carrier { code } => format!("carrier error {code}"),
    }
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    change: String,
}

/// `POST /workspace/workitems/{id}/consent`: the agent records that the customer asked to get
/// no more messages (`change=opt_out`) or agreed again (`change=opt_in`); answers with the
/// Contact tab.
#[tracing::instrument(skip_all)]
pub async fn consent_post(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ConsentForm>,
) -> Result<Response, TabError> {
    let (w, contact) = workitem_for(&state, &user, &id).await?;
    user.require(Permission::ContactsEdit)?;
    let opted_out = match form.change.as_str() {
        "opt_out" => true,
        "opt_in" => false,
        other => {
            return Err(TabError::new(
                StatusCode::BAD_REQUEST,
                format!("Unknown consent change “{other}”: use opt_out or opt_in."),
            ));
        }
    };
    let entry = ConsentEntry {
        phone: contact.mobile.clone(),
        at: state.clock.now(),
        opted_out,
        source: ConsentSource::Agent { user: user.user.id },
        campaign: w.campaign,
    };
    let consent = entry.consent();
    let changed = state
        .store
        .write(move |txn| store::change_consent(txn, &entry))
        .await?;
    if changed {
        state.hub.consent_changed(&contact.mobile, &consent);
    }
    let notice = match (changed, opted_out) {
        (true, true) => "Opted out: nothing more will be sent to this customer.",
        (true, false) => "Opted in: messages to this customer are allowed again.",
        (false, _) => "Nothing changed: that was already the customer's consent.",
    };
    let view =
        super::contact::render_tab(&state, &user, w.id.0, &contact, Some(notice.into())).await?;
    let note = AuditNote::new(
        AuditKind::ConsentChanged,
        contact.mobile.to_string(),
        format!(
            "{} in workitem {}{}",
            if opted_out { "opted out" } else { "opted in" },
            w.id,
            if changed { "" } else { " (no change)" }
        ),
    );
    Ok(note.on(fragment(StatusCode::OK, &view)))
}
