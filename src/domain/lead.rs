//! Leads: the people a predictive campaign may message, imported from a list and linked to
//! the contact with the same mobile number.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{CampaignId, ChannelPreference, ContactId, E164, LeadId};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    pub id: LeadId,
    pub campaign: CampaignId,
    pub phone: E164,
    pub contact: ContactId,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    /// IANA zone for the allowed sending hours; empty: the campaign's.
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub channel: ChannelPreference,
    /// The list's other columns, usable as `{placeholders}` in the campaign's message.
    #[serde(default)]
    pub fields: Vec<(String, String)>,
    pub imported_at: DateTime<Utc>,
}
