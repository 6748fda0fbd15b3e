//! Per-user choices the workspace remembers between visits (such as the history's range).

use redb::{ReadTransaction, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::codec::{get_json, put_json};
use super::{StoreError, USER_PREFS};
use crate::domain::{CampaignId, UserId};

/// What one user chose; every field has a default, so new choices read from old records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPrefs {
    /// The history timeline's range (`HistoryRange::as_str`), once the user picked one.
    #[serde(default)]
    pub history_range: Option<String>,
    /// The campaign an SMS started from a contact goes out on.
    #[serde(default)]
    pub default_sms_campaign: Option<CampaignId>,
    /// Whether a new offer plays a sound (on unless turned off).
    #[serde(default)]
    pub mute_notifications: bool,
    /// Whether a new offer shows a browser notification while the workspace tab is not in
    /// front (off unless turned on: the browser must be asked for permission first).
    #[serde(default)]
    pub notify_offers: bool,
}

/// A user's choices (the defaults when they never chose anything).
pub fn user_prefs(txn: &ReadTransaction, user: UserId) -> Result<UserPrefs, StoreError> {
    Ok(get_json(&txn.open_table(USER_PREFS)?, "user_prefs", user.0)?.unwrap_or_default())
}

/// Changes a user's choices with `change`, keeping the others.
pub fn update_user_prefs(
    txn: &WriteTransaction,
    user: UserId,
    change: impl FnOnce(&mut UserPrefs),
) -> Result<UserPrefs, StoreError> {
    let mut table = txn.open_table(USER_PREFS)?;
    let mut prefs: UserPrefs = get_json(&table, "user_prefs", user.0)?.unwrap_or_default();
    change(&mut prefs);
    put_json(&mut table, user.0, &prefs)?;
    Ok(prefs)
}
