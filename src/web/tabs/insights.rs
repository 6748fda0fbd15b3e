//! The Personality Insights tab: the customer's writing style and tips for the agent,
//! computed by [`crate::insights::analyse`] from every message of every workitem of the
//! workitem's contact, in the contact's time zone (UTC when it has none or an unknown one).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono_tz::Tz;
use redb::ReadTransaction;

use super::{TabError, fragment, human_duration, workitem_for};
use crate::domain::{ContactId, WorkitemId};
use crate::insights::{self, HistoryMessage, Insights, Measures, Tip};
use crate::state::AppState;
use crate::store::{self, StoreError, WORKITEMS_BY_CONTACT};
use crate::web::auth::AgentUser;

/// A profile as the tab shows it.
pub struct ProfileView {
    pub style_label: String,
    pub summary: String,
    pub tips: Vec<Tip>,
    /// (what, value) rows of the Measures table, already worded.
    pub measures: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "tabs/insights.html")]
pub struct InsightsTab {
    /// Why there is no profile yet and how much more history it needs.
    pub not_enough: Option<String>,
    pub profile: Option<ProfileView>,
}

#[tracing::instrument(skip_all)]
pub async fn insights_get(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
) -> Result<Response, TabError> {
    let (_, contact) = workitem_for(&state, &user, &id).await?;
    let history = state
        .store
        .read(move |txn| history_of(txn, contact.id))
        .await?;
    let zone = contact.time_zone.trim().parse::<Tz>().ok();
    let tab = match insights::analyse(&history, zone) {
        Insights::NotEnough { message, .. } => InsightsTab {
            not_enough: Some(message),
            profile: None,
        },
        Insights::Profile(p) => InsightsTab {
            not_enough: None,
            profile: Some(ProfileView {
                style_label: p.style_label,
                summary: p.summary,
                tips: p.tips,
                measures: measure_rows(&p.measures),
            }),
        },
    };
    Ok(fragment(StatusCode::OK, &tab))
}

/// Every message of every workitem of the contact, in both directions.
fn history_of(
    txn: &ReadTransaction,
    contact: ContactId,
) -> Result<Vec<HistoryMessage>, StoreError> {
    let mut workitems = Vec::new();
    for id in txn
        .open_multimap_table(WORKITEMS_BY_CONTACT)?
        .get(contact.0)?
    {
        workitems.push(WorkitemId(id?.value()));
    }
    let mut history = Vec::new();
    for w in workitems {
        history.extend(
            store::messages_of(txn, w)?
                .into_iter()
                .map(|m| HistoryMessage {
                    workitem: m.workitem,
                    at: m.at,
                    direction: m.direction,
                    body: m.body,
                }),
        );
    }
    Ok(history)
}

fn percent(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

fn measure_rows(m: &Measures) -> Vec<(String, String)> {
    let zone = if m.zone_assumed {
        format!("{} (time zone unknown)", m.zone)
    } else {
        m.zone.clone()
    };
    let reply = match m.median_reply_secs {
        Some(secs) => format!(
            "{} (median of {})",
            human_duration(chrono::Duration::seconds(secs)),
            m.replies
        ),
        None => "no replies yet".to_owned(),
    };
    [
        ("Customer messages", m.customer_messages.to_string()),
        ("Conversations", m.workitems.to_string()),
        (
            "Median length",
            format!("{} characters", m.median_length_chars),
        ),
        ("Formality (0–1)", format!("{:.2}", m.formality)),
        ("Emoji per message", format!("{:.2}", m.emoji_per_message)),
        ("Messages with “!”", percent(m.exclamation_rate)),
        ("Messages with “?”", percent(m.question_rate)),
        ("Reply delay", reply),
        (
            "Busiest time",
            format!(
                "{} ({}, {} messages) in {zone}",
                m.busiest_period.phrase(),
                m.busiest_period.hours(),
                m.busiest_period_messages
            ),
        ),
        (
            "Tone (−1 to 1)",
            format!(
                "{:+.2} ({} positive, {} negative words)",
                m.tone, m.positive_words, m.negative_words
            ),
        ),
    ]
    .into_iter()
    .map(|(what, value)| (what.to_owned(), value))
    .collect()
}
