//! Provider messages that cannot start a conversation: the sender, or the number it was sent
//! to, is not a phone number (a short code, an alphanumeric sender ID). The provider signed
//! them, so they are kept whatever they say, for an admin to read; nobody can answer them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeldSms {
    pub provider: String,
    /// The provider's id of the message: a retry of it is kept once.
    pub provider_id: String,
    /// As the provider gave them.
    pub from: String,
    pub to: String,
    pub body: String,
    pub received_at: DateTime<Utc>,
    /// Why no conversation could hold it ("From: …").
    pub reason: String,
}
