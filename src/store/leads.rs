//! Leads of predictive campaigns: stored in batches by the importer, one per number and
//! campaign, each linked to (or creating) the contact with that number.

use chrono::{DateTime, Utc};
use redb::{ReadTransaction, WriteTransaction};

use super::campaign_runs::count_lead_channels;
use super::codec::{get_json, next_id, put_json};
use super::conversations::message;
use super::*;
use crate::domain::{
    CampaignId, ChannelPreference, Contact, DeliveryStatus, Lead, LeadFilter, LeadId, LeadOutcome,
    LeadProgress, PredictiveSettings,
};

/// What became of one lead handed to [`insert_leads`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imported {
    Added(LeadId),
    /// The campaign already has a lead with this number.
    Duplicate,
}

pub(super) fn number_key(campaign: CampaignId, lead: &Lead) -> String {
    format!("{campaign} {}", lead.phone)
}

/// Stores `leads` (their `id` and `contact` are assigned here) for their campaign. A new
/// number gets a contact named after the lead; an existing contact only gets the name and
/// zone it lacks.
pub fn insert_leads(
    txn: &WriteTransaction,
    leads: Vec<Lead>,
    at: DateTime<Utc>,
) -> Result<Vec<Imported>, StoreError> {
    let mut out = Vec::with_capacity(leads.len());
    note_field_names(txn, &leads)?;
    let mut added: Vec<(CampaignId, ChannelPreference)> = Vec::new();
    for mut lead in leads {
        let key = number_key(lead.campaign, &lead);
        if txn
            .open_table(LEADS_BY_NUMBER)?
            .get(key.as_str())?
            .is_some()
        {
            out.push(Imported::Duplicate);
            continue;
        }
        let contact = find_or_create_contact(txn, &lead.phone, at)?;
        lead.contact = contact.id;
        fill_blanks(txn, contact, &lead)?;
        lead.id = LeadId(next_id(txn, "lead")?);
        put_json(&mut txn.open_table(LEADS)?, lead.id.0, &lead)?;
        txn.open_table(LEADS_BY_NUMBER)?
            .insert(key.as_str(), lead.id.0)?;
        txn.open_multimap_table(CAMPAIGN_LEADS)?
            .insert(lead.campaign.0, lead.id.0)?;
        added.push((lead.campaign, lead.channel));
        out.push(Imported::Added(lead.id));
    }
    let mut campaigns: Vec<CampaignId> = added.iter().map(|(c, _)| *c).collect();
    campaigns.dedup();
    for campaign in campaigns {
        let channels: Vec<ChannelPreference> = added
            .iter()
            .filter(|(c, _)| *c == campaign)
            .map(|(_, ch)| *ch)
            .collect();
        count_lead_channels(txn, campaign, &channels)?;
    }
    Ok(out)
}

/// Gives the contact the lead's name and zone where it has none (never overwrites).
fn fill_blanks(
    txn: &WriteTransaction,
    mut contact: Contact,
    lead: &Lead,
) -> Result<(), StoreError> {
    let mut changed = false;
    for (have, from) in [
        (&mut contact.first_name, &lead.first_name),
        (&mut contact.last_name, &lead.last_name),
        (&mut contact.time_zone, &lead.time_zone),
    ] {
        if have.is_empty() && !from.is_empty() {
            *have = from.clone();
            changed = true;
        }
    }
    if changed {
        put_json(&mut txn.open_table(CONTACTS)?, contact.id.0, &contact)?;
        record_change(txn, Change::Contact(contact.id))?;
    }
    Ok(())
}

/// Adds the batch's custom field names to each campaign's list.
fn note_field_names(txn: &WriteTransaction, leads: &[Lead]) -> Result<(), StoreError> {
    let mut table = txn.open_table(CAMPAIGN_LEAD_FIELDS)?;
    let mut campaigns: Vec<CampaignId> = leads.iter().map(|l| l.campaign).collect();
    campaigns.dedup();
    for campaign in campaigns {
        let mut names: Vec<String> =
            get_json(&table, "campaign_lead_fields", campaign.0)?.unwrap_or_default();
        let before = names.len();
        for lead in leads.iter().filter(|l| l.campaign == campaign) {
            for (name, _) in &lead.fields {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        if names.len() != before {
            put_json(&mut table, campaign.0, &names)?;
        }
    }
    Ok(())
}

/// The custom field names the campaign's leads carry (placeholders its message may use),
/// read inside the write that saves the campaign.
pub fn lead_field_names(
    txn: &WriteTransaction,
    campaign: CampaignId,
) -> Result<Vec<String>, StoreError> {
    Ok(get_json(
        &txn.open_table(CAMPAIGN_LEAD_FIELDS)?,
        "campaign_lead_fields",
        campaign.0,
    )?
    .unwrap_or_default())
}

pub fn lead(txn: &ReadTransaction, id: LeadId) -> Result<Option<Lead>, StoreError> {
    get_json(&txn.open_table(LEADS)?, "leads", id.0)
}

/// The campaign's leads in the order they were imported.
pub fn campaign_leads(
    txn: &ReadTransaction,
    campaign: CampaignId,
) -> Result<Vec<Lead>, StoreError> {
    let leads = txn.open_table(LEADS)?;
    let mut out = Vec::new();
    for id in txn.open_multimap_table(CAMPAIGN_LEADS)?.get(campaign.0)? {
        if let Some(l) = get_json(&leads, "leads", id?.value())? {
            out.push(l);
        }
    }
    Ok(out)
}

pub fn count_leads(txn: &ReadTransaction, campaign: CampaignId) -> Result<u64, StoreError> {
    Ok(txn
        .open_multimap_table(CAMPAIGN_LEADS)?
        .get(campaign.0)?
        .len())
}

/// Where a page of a campaign's leads starts (keyset paging by lead id, which follows the
/// import order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeadCursor {
    First,
    /// The leads after this one.
    After(LeadId),
    /// The leads before this one (the page before a page starting with it).
    Before(LeadId),
}

/// One lead on a page, with what became of it.
#[derive(Clone, Debug)]
pub struct LeadRow {
    pub lead: Lead,
    pub progress: Option<LeadProgress>,
    /// The status of its message, when it was messaged.
    pub delivery: Option<DeliveryStatus>,
}

#[derive(Debug)]
pub struct LeadPage {
    pub rows: Vec<LeadRow>,
    /// Whether leads matching the filter come before and after this page.
    pub earlier: bool,
    pub later: bool,
}

/// At most `per_page` of the campaign's leads matching `filter`, in import order, from
/// `cursor`. It walks the campaign's lead ids (no lead is read to skip it), looks at the
/// progress only when the filter asks, and reads the leads of the page alone (plus, for the
/// not-yet-reached filters, those whose channel decides).
pub fn lead_page(
    txn: &ReadTransaction,
    campaign: CampaignId,
    filter: LeadFilter,
    settings: &PredictiveSettings,
    cursor: LeadCursor,
    per_page: usize,
) -> Result<LeadPage, StoreError> {
    let leads = txn.open_table(LEADS)?;
    let progress = txn.open_table(LEAD_PROGRESS)?;
    let ids = txn.open_multimap_table(CAMPAIGN_LEADS)?.get(campaign.0)?;
    let backwards = matches!(cursor, LeadCursor::Before(_));
    let ids: Box<dyn Iterator<Item = _>> = if backwards {
        Box::new(ids.rev())
    } else {
        Box::new(ids)
    };
    let mut found: Vec<(u64, Option<LeadProgress>, Option<Lead>)> = Vec::new();
    for id in ids {
        let id = id?.value();
        match cursor {
            LeadCursor::After(after) if id <= after.0 => continue,
            LeadCursor::Before(before) if id >= before.0 => continue,
            _ => {}
        }
        let p: Option<LeadProgress> = if filter == LeadFilter::All {
            None
        } else {
            get_json(&progress, "lead_progress", id)?
        };
        let mut lead = None;
        let mut eligible = true;
        if p.is_none() && filter.needs_channel() {
            let Some(l) = get_json::<Lead>(&leads, "leads", id)? else {
                continue;
            };
            eligible = settings.messages_channel(l.channel);
            lead = Some(l);
        }
        if !filter.matches(p.as_ref(), eligible) {
            continue;
        }
        found.push((id, p, lead));
        if found.len() > per_page {
            break;
        }
    }
    let more = found.len() > per_page;
    found.truncate(per_page);
    if backwards {
        found.reverse();
    }
    let mut rows = Vec::with_capacity(found.len());
    for (id, p, lead) in found {
        let Some(lead) =
            lead.map_or_else(|| get_json::<Lead>(&leads, "leads", id), |l| Ok(Some(l)))?
        else {
            continue;
        };
        let p = match p {
            Some(p) => Some(p),
            None => get_json(&progress, "lead_progress", id)?,
        };
        let delivery = match p.as_ref().map(|p| p.outcome) {
            Some(LeadOutcome::Messaged(m)) => message(txn, m)?.map(|m| m.status),
            _ => None,
        };
        rows.push(LeadRow {
            lead,
            progress: p,
            delivery,
        });
    }
    Ok(LeadPage {
        rows,
        earlier: if backwards {
            more
        } else {
            cursor != LeadCursor::First
        },
        later: if backwards { true } else { more },
    })
}
