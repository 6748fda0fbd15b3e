//! The consent ledger as CSV (`GET /consent.csv`): one number's changes for any agent
//! (`?phone=`), every number's for supervisors and admins.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::AgentUser;
use super::error::ApiError;
use crate::domain::{CampaignId, ConsentEntry, E164, Role, csv_cell};
use crate::state::AppState;
use crate::store;
use crate::web::tabs::consent::source_text;

#[derive(Deserialize)]
pub struct CsvQuery {
    #[serde(default)]
    phone: Option<String>,
}

#[tracing::instrument(skip_all, fields(user = %user.user.id))]
pub async fn consent_csv_get(
    State(state): State<AppState>,
    user: AgentUser,
    Query(q): Query<CsvQuery>,
) -> Result<Response, ApiError> {
    let phone = match q.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(E164::parse(p).map_err(|e| ApiError::bad_request(e.to_string()))?),
        None if user.user.role.at_least(Role::Supervisor) => None,
        None => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Only supervisors and admins may export every number's consent; add ?phone=.",
            ));
        }
    };
    let file = match &phone {
        Some(p) => format!("consent-{}.csv", p.as_str().trim_start_matches('+')),
        None => "consent.csv".to_owned(),
    };
    let (entries, names, campaigns) = state
        .store
        .read(move |txn| {
            let entries = match &phone {
                Some(p) => store::consent_ledger(txn, p)?,
                None => store::consent_ledger_all(txn)?,
            };
            let names: HashMap<_, _> = store::all_users(txn)?
                .into_iter()
                .map(|u| (u.id, u.username))
                .collect();
            let campaigns: HashMap<CampaignId, String> = store::all_campaigns(txn)?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect();
            Ok((entries, names, campaigns))
        })
        .await?;
    let mut csv = String::from("phone,at,change,source,campaign\r\n");
    for e in &entries {
        csv.push_str(&row(e, &names, &campaigns));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        csv,
    )
        .into_response())
}

fn row(
    e: &ConsentEntry,
    names: &HashMap<crate::domain::UserId, String>,
    campaigns: &HashMap<CampaignId, String>,
) -> String {
    let cells = [
        e.phone.as_str().to_owned(),
        e.at.to_rfc3339(),
        if e.opted_out { "opted out" } else { "opted in" }.to_owned(),
        source_text(&e.source, names),
        e.campaign
            .and_then(|c| campaigns.get(&c).cloned())
            .unwrap_or_default(),
    ];
    let mut line = cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}
