//! Customers: the mini-CRM record, keyed by id and by mobile number.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{ContactId, E164};

/// How the customer prefers to be reached; predictive campaigns message only `Sms` (or, when
/// allowed, `Unknown`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelPreference {
    #[default]
    Unknown,
    Sms,
    Email,
    Voice,
    /// Does not want to be contacted.
    None,
}

impl ChannelPreference {
    pub const ALL: [ChannelPreference; 5] = [
        ChannelPreference::Unknown,
        ChannelPreference::Sms,
        ChannelPreference::Email,
        ChannelPreference::Voice,
        ChannelPreference::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelPreference::Unknown => "unknown",
            ChannelPreference::Sms => "sms",
            ChannelPreference::Email => "email",
            ChannelPreference::Voice => "voice",
            ChannelPreference::None => "none",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ChannelPreference::Unknown => "Not known",
            ChannelPreference::Sms => "SMS",
            ChannelPreference::Email => "Email",
            ChannelPreference::Voice => "Voice",
            ChannelPreference::None => "No contact",
        }
    }

    pub fn parse(s: &str) -> Option<ChannelPreference> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Contact {
    pub id: ContactId,
    /// The number the customer texts from; unique across contacts.
    pub mobile: E164,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub email: String,
    /// IANA zone name (e.g. `Europe/Berlin`), empty when unknown.
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default)]
    pub date_of_birth: Option<NaiveDate>,
    /// The customer's id in the company's own systems (also the CRM link's key).
    #[serde(default)]
    pub customer_id: String,
    #[serde(default)]
    pub case_numbers: Vec<String>,
    #[serde(default)]
    pub other_phones: Vec<E164>,
    #[serde(default)]
    pub channel_preference: ChannelPreference,
    /// Free key/value pairs, in the order the agent entered them.
    #[serde(default)]
    pub custom_fields: Vec<(String, String)>,
}

impl Contact {
    /// A contact known only by number.
    pub fn new(id: ContactId, mobile: E164, created_at: DateTime<Utc>) -> Contact {
        Contact {
            id,
            mobile,
            first_name: String::new(),
            last_name: String::new(),
            created_at,
            street: String::new(),
            city: String::new(),
            region: String::new(),
            postal_code: String::new(),
            country: String::new(),
            email: String::new(),
            time_zone: String::new(),
            latitude: None,
            longitude: None,
            date_of_birth: None,
            customer_id: String::new(),
            case_numbers: Vec::new(),
            other_phones: Vec::new(),
            channel_preference: ChannelPreference::Unknown,
            custom_fields: Vec::new(),
        }
    }

    /// The name to show, or the number when no name is known.
    pub fn display_name(&self) -> String {
        let name = format!("{} {}", self.first_name.trim(), self.last_name.trim());
        let name = name.trim();
        if name.is_empty() {
            self.mobile.to_string()
        } else {
            name.to_owned()
        }
    }
}
