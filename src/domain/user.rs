//! Users, their roles, and an agent's routing settings.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{QueueId, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    /// Roles are ordered: an admin may do what a supervisor may, a supervisor what an agent may.
    pub fn at_least(self, needed: Role) -> bool {
        self >= needed
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "agent" => Ok(Role::Agent),
            "supervisor" => Ok(Role::Supervisor),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role \"{other}\"; use agent, supervisor or admin"
            )),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// Login name, unique, lower case.
    pub username: String,
    /// Name shown to colleagues and usable in templates.
    pub display_name: String,
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub disabled: bool,
}

/// What the ACD needs to know about an agent besides their live state.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AgentSettings {
    /// Queues this agent takes offers from.
    #[serde(default)]
    pub queues: Vec<QueueId>,
    /// Concurrent SMS workitems; `None` uses the server default.
    #[serde(default)]
    pub capacity: Option<u32>,
    /// What the agent may do; `None` means every permission.
    #[serde(default)]
    pub class_of_service: Option<super::ClassId>,
}

/// Validates a login name: what `user add` and the admin page accept.
pub fn validate_username(name: &str) -> Result<String, String> {
    let name = name.trim().to_ascii_lowercase();
    if name.len() < 2 || name.len() > 64 {
        return Err("user name must be 2 to 64 characters".into());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err("user name may contain only letters, digits, '.', '_' and '-'".into());
    }
    Ok(name)
}

/// Fewest characters of a password.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Validates a new password.
pub fn validate_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if password.len() > 1024 {
        return Err("password is too long".into());
    }
    Ok(())
}
