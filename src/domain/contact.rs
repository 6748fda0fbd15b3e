//! Customers. The mini-CRM fields arrive with the workspace tabs; the core loop needs a contact
//! per phone number so every conversation with one customer is linked.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ContactId, E164};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Contact {
    pub id: ContactId,
    /// The number the customer texts from; unique across contacts.
    pub mobile: E164,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    pub created_at: DateTime<Utc>,
}

impl Contact {
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
