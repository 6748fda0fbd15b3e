//! The audit log's entries: who did what security-relevant thing, when, from where, to what.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::UserId;

/// What kind of act an audit entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    LoginSucceeded,
    LoginFailed,
    LoginThrottled,
    Logout,
    PasswordChanged,
    PasswordReset,
    RoleChanged,
    UserDisabled,
    UserEnabled,
    UserCreated,
    TokenCreated,
    TokenRevoked,
    ConsentChanged,
    CampaignRun,
    /// Any other change an admin made (create, update, delete), named by its request.
    AdminChange,
    /// A copy of the whole store was taken (`/admin/backup` or `parley backup`).
    BackupTaken,
}

impl AuditKind {
    pub const ALL: [AuditKind; 16] = [
        AuditKind::LoginSucceeded,
        AuditKind::LoginFailed,
        AuditKind::LoginThrottled,
        AuditKind::Logout,
        AuditKind::PasswordChanged,
        AuditKind::PasswordReset,
        AuditKind::RoleChanged,
        AuditKind::UserDisabled,
        AuditKind::UserEnabled,
        AuditKind::UserCreated,
        AuditKind::TokenCreated,
        AuditKind::TokenRevoked,
        AuditKind::ConsentChanged,
        AuditKind::CampaignRun,
        AuditKind::AdminChange,
        AuditKind::BackupTaken,
    ];

    /// The stable name, as stored, filtered and exported.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::LoginSucceeded => "login_succeeded",
            AuditKind::LoginFailed => "login_failed",
            AuditKind::LoginThrottled => "login_throttled",
            AuditKind::Logout => "logout",
            AuditKind::PasswordChanged => "password_changed",
            AuditKind::PasswordReset => "password_reset",
            AuditKind::RoleChanged => "role_changed",
            AuditKind::UserDisabled => "user_disabled",
            AuditKind::UserEnabled => "user_enabled",
            AuditKind::UserCreated => "user_created",
            AuditKind::TokenCreated => "token_created",
            AuditKind::TokenRevoked => "token_revoked",
            AuditKind::ConsentChanged => "consent_changed",
            AuditKind::CampaignRun => "campaign_run",
            AuditKind::AdminChange => "admin_change",
            AuditKind::BackupTaken => "backup_taken",
        }
    }

    /// How the log page names it.
    pub fn label(self) -> &'static str {
        match self {
            AuditKind::LoginSucceeded => "Login",
            AuditKind::LoginFailed => "Login failed",
            AuditKind::LoginThrottled => "Login throttled",
            AuditKind::Logout => "Logout",
            AuditKind::PasswordChanged => "Password changed",
            AuditKind::PasswordReset => "Password reset",
            AuditKind::RoleChanged => "Role changed",
            AuditKind::UserDisabled => "User disabled",
            AuditKind::UserEnabled => "User enabled",
            AuditKind::UserCreated => "User added",
            AuditKind::TokenCreated => "API token created",
            AuditKind::TokenRevoked => "API token revoked",
            AuditKind::ConsentChanged => "Consent changed by an agent",
            AuditKind::CampaignRun => "Campaign started, paused, resumed or cancelled",
            AuditKind::AdminChange => "Administration change",
            AuditKind::BackupTaken => "Backup taken",
        }
    }

    pub fn parse(s: &str) -> Option<AuditKind> {
        AuditKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One act, as stored for ever.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// Who acted; `None` for an anonymous request (a failed login names the user it tried
    /// in `target`).
    pub actor: Option<UserId>,
    /// The actor's user name at the time.
    pub actor_name: String,
    /// The client's address (see `trusted_proxies`).
    pub client: String,
    pub kind: AuditKind,
    /// What was acted on: a user name, a campaign, a number, a request path.
    pub target: String,
    pub detail: String,
}
