//! Classes of service, and the permissions of one user.

use std::collections::BTreeSet;

use redb::{ReadTransaction, WriteTransaction};

use super::codec::{all_json, get_json, next_id, put_json};
use super::directory::agent_settings;
use super::{CLASSES, StoreError};
use crate::domain::{ClassId, ClassOfService, Permission, Permissions, Role, User};

pub fn all_classes(txn: &ReadTransaction) -> Result<Vec<ClassOfService>, StoreError> {
    all_json(&txn.open_table(CLASSES)?, "classes")
}

pub fn class(txn: &ReadTransaction, id: ClassId) -> Result<Option<ClassOfService>, StoreError> {
    get_json(&txn.open_table(CLASSES)?, "classes", id.0)
}

/// Creates a class (`id: None`) or replaces one.
pub fn put_class(
    txn: &WriteTransaction,
    id: Option<ClassId>,
    name: &str,
    permissions: BTreeSet<Permission>,
) -> Result<ClassOfService, StoreError> {
    let id = match id {
        Some(id) => id,
        None => ClassId(next_id(txn, "class")?),
    };
    let class = ClassOfService {
        id,
        name: name.to_owned(),
        permissions,
    };
    put_json(&mut txn.open_table(CLASSES)?, id.0, &class)?;
    Ok(class)
}

/// What `user` may do: everything for admins and for users without a class of service.
pub fn permissions_of(txn: &ReadTransaction, user: &User) -> Result<Permissions, StoreError> {
    if user.role == Role::Admin {
        return Ok(Permissions::all());
    }
    let Some(class_id) = agent_settings(txn, user.id)?.class_of_service else {
        return Ok(Permissions::all());
    };
    // A class that was deleted grants nothing rather than everything.
    Ok(class(txn, class_id)?
        .map(|c| Permissions::of(&c))
        .unwrap_or_default())
}

/// Outcome of saving a class of service from the admin page.
pub enum SavedClass {
    Saved(ClassOfService),
    /// Another class has this name (compared without regard to case).
    NameTaken,
    /// The class to update does not exist.
    Missing,
}

/// Creates a class (`id: None`) or updates one, after checking the name is free. Nothing is
/// written unless the result is `Saved`.
pub fn save_class(
    txn: &WriteTransaction,
    id: Option<ClassId>,
    name: &str,
    permissions: BTreeSet<Permission>,
) -> Result<SavedClass, StoreError> {
    let mut exists = false;
    {
        let table = txn.open_table(CLASSES)?;
        for row in redb::ReadableTable::iter(&table)? {
            let (_, v) = row?;
            let class: ClassOfService = super::codec::decode("classes", v.value())?;
            if Some(class.id) == id {
                exists = true;
            } else if super::queues::same_name(&class.name, name) {
                return Ok(SavedClass::NameTaken);
            }
        }
    }
    if id.is_some() && !exists {
        return Ok(SavedClass::Missing);
    }
    put_class(txn, id, name, permissions).map(SavedClass::Saved)
}
