//! The leads page's list: a page of the campaign's leads (50 at a time, in import order),
//! filtered by what became of them, each with its phone, name, channel, status and skip
//! reason. Read from `?status=…&after=ID` or `&before=ID` (keyset paging), so a page
//! reads its own leads and not the whole list.

use redb::ReadTransaction;
use serde::Deserialize;

use crate::domain::{Campaign, LeadFilter, LeadId, LeadStatus, PredictiveSettings};
use crate::store::{self, LeadCursor, StoreError};

/// Leads on one page.
pub const PER_PAGE: usize = 50;

/// The list's part of the address.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub status: Option<String>,
    /// A lead id; anything else is ignored (the first page).
    #[serde(default)]
    pub after: Option<String>,
    #[serde(default)]
    pub before: Option<String>,
    #[serde(default)]
    pub notice: Option<String>,
}

impl ListQuery {
    /// The filter asked for (an unknown word shows every lead), and where the page starts.
    fn read(&self) -> (LeadFilter, LeadCursor) {
        let filter = self
            .status
            .as_deref()
            .and_then(LeadFilter::parse)
            .unwrap_or(LeadFilter::All);
        let id = |s: &Option<String>| s.as_deref().and_then(|s| s.trim().parse::<u64>().ok());
        let cursor = match (id(&self.after), id(&self.before)) {
            (Some(a), _) => LeadCursor::After(LeadId(a)),
            (None, Some(b)) => LeadCursor::Before(LeadId(b)),
            (None, None) => LeadCursor::First,
        };
        (filter, cursor)
    }
}

/// One filter link above the list.
pub struct FilterLink {
    pub value: &'static str,
    pub label: &'static str,
    pub count: u64,
    pub current: bool,
}

/// One lead in the list.
pub struct LeadLine {
    pub id: LeadId,
    pub phone: String,
    pub name: String,
    pub channel: &'static str,
    pub zone: String,
    pub status_key: &'static str,
    pub status: String,
    pub reason: String,
}

pub struct LeadList {
    pub filters: Vec<FilterLink>,
    /// The chosen filter's value and how many leads it has.
    pub filter: &'static str,
    pub filter_label: &'static str,
    pub total: u64,
    pub lines: Vec<LeadLine>,
    /// Addresses of the pages before and after, when there are any.
    pub previous: Option<String>,
    pub next: Option<String>,
    /// The first page, when this is not it.
    pub first: Option<String>,
    pub per_page: usize,
}

/// The page of `campaign`'s leads that `query` asks for; `leads` is how many it has.
pub fn read(
    txn: &ReadTransaction,
    campaign: &Campaign,
    leads: u64,
    query: &ListQuery,
) -> Result<LeadList, StoreError> {
    let (filter, cursor) = query.read();
    let settings = campaign.predictive.clone().unwrap_or_default();
    let stats = store::campaign_stats(txn, campaign.id)?;
    let unknown_too = settings.include_unknown_channel;
    let filters = LeadFilter::ALL
        .into_iter()
        .map(|f| FilterLink {
            value: f.as_str(),
            label: f.label(),
            count: f.count(&stats, leads, unknown_too),
            current: f == filter,
        })
        // A filter with nothing in it is left out, unless it is the one chosen.
        .filter(|l| l.current || l.count > 0 || l.value == "all")
        .collect();
    let page = store::lead_page(txn, campaign.id, filter, &settings, cursor, PER_PAGE)?;
    let base = format!("/admin/campaigns/{}/leads", campaign.id);
    let with = |key: &str, id: LeadId| match filter {
        LeadFilter::All => format!("{base}?{key}={id}#lead-list"),
        f => format!("{base}?status={}&{key}={id}#lead-list", f.as_str()),
    };
    let previous = page
        .rows
        .first()
        .filter(|_| page.earlier)
        .map(|r| with("before", r.lead.id));
    let next = page
        .rows
        .last()
        .filter(|_| page.later)
        .map(|r| with("after", r.lead.id));
    let first = page.earlier.then(|| match filter {
        LeadFilter::All => format!("{base}#lead-list"),
        f => format!("{base}?status={}#lead-list", f.as_str()),
    });
    Ok(LeadList {
        filters,
        filter: filter.as_str(),
        filter_label: filter.label(),
        total: filter.count(&stats, leads, unknown_too),
        lines: page.rows.iter().map(|r| line(r, &settings)).collect(),
        previous,
        next,
        first,
        per_page: PER_PAGE,
    })
}

fn line(row: &store::LeadRow, settings: &PredictiveSettings) -> LeadLine {
    let l = &row.lead;
    let eligible = settings.messages_channel(l.channel);
    let status = LeadStatus::of(l, row.progress.as_ref(), eligible, row.delivery);
    LeadLine {
        id: l.id,
        phone: l.phone.as_str().to_owned(),
        name: format!("{} {}", l.first_name, l.last_name)
            .trim()
            .to_owned(),
        channel: l.channel.label(),
        zone: l.time_zone.clone(),
        status_key: status.key,
        status: status.label,
        reason: status.reason.unwrap_or_default(),
    }
}
