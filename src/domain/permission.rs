//! Classes of service: what an agent may do, checked by every handler that does it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::ClassId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Permission {
    #[serde(rename = "notes.read")]
    NotesRead,
    #[serde(rename = "notes.create")]
    NotesCreate,
    #[serde(rename = "contacts.edit")]
    ContactsEdit,
    #[serde(rename = "templates.use")]
    TemplatesUse,
    #[serde(rename = "outbound.send")]
    OutboundSend,
}

impl Permission {
    pub const ALL: [Permission; 5] = [
        Permission::NotesRead,
        Permission::NotesCreate,
        Permission::ContactsEdit,
        Permission::TemplatesUse,
        Permission::OutboundSend,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::NotesRead => "notes.read",
            Permission::NotesCreate => "notes.create",
            Permission::ContactsEdit => "contacts.edit",
            Permission::TemplatesUse => "templates.use",
            Permission::OutboundSend => "outbound.send",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Permission::NotesRead => "Read notes on customers",
            Permission::NotesCreate => "Write notes on customers",
            Permission::ContactsEdit => "Add and edit contacts",
            Permission::TemplatesUse => "Use response templates",
            Permission::OutboundSend => "Send outbound SMS",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Self::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }
}

/// A named set of permissions that admins assign to agents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassOfService {
    pub id: ClassId,
    pub name: String,
    pub permissions: BTreeSet<Permission>,
}

/// What one user may do. Admins may do everything; so may a user with no class of service
/// assigned (a new install works out of the box; admins narrow it by assigning classes).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Permissions(BTreeSet<Permission>);

impl Permissions {
    pub fn all() -> Permissions {
        Permissions(Permission::ALL.into_iter().collect())
    }

    pub fn of(class: &ClassOfService) -> Permissions {
        Permissions(class.permissions.clone())
    }

    pub fn has(&self, p: Permission) -> bool {
        self.0.contains(&p)
    }
}
