//! Users, agent settings, queues, campaigns and contacts.

use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::codec::{all_json, decode, get_json, next_id, put_json};
use super::*;
use crate::domain::{
    AgentSettings, Campaign, CampaignId, CampaignKind, Contact, ContactId, E164, Queue, QueueId,
    Role, User, UserId,
};

/// Outcome of adding a user: the name may already be taken.
pub enum NewUser {
    Created(User),
    NameTaken,
}

pub fn insert_user(
    txn: &WriteTransaction,
    username: &str,
    display_name: &str,
    role: Role,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<NewUser, StoreError> {
    let mut by_name = txn.open_table(USERS_BY_NAME)?;
    if by_name.get(username)?.is_some() {
        return Ok(NewUser::NameTaken);
    }
    let user = User {
        id: UserId(next_id(txn, "user")?),
        username: username.to_owned(),
        display_name: display_name.to_owned(),
        role,
        password_hash,
        created_at: now,
        disabled: false,
    };
    by_name.insert(username, user.id.0)?;
    put_json(&mut txn.open_table(USERS)?, user.id.0, &user)?;
    Ok(NewUser::Created(user))
}

pub fn user_by_name(txn: &ReadTransaction, username: &str) -> Result<Option<User>, StoreError> {
    let Some(id) = txn
        .open_table(USERS_BY_NAME)?
        .get(username)?
        .map(|v| v.value())
    else {
        return Ok(None);
    };
    get_json(&txn.open_table(USERS)?, "users", id)
}

/// The id of the user called `username`, inside a write.
pub fn user_id_by_name(
    txn: &WriteTransaction,
    username: &str,
) -> Result<Option<UserId>, StoreError> {
    Ok(txn
        .open_table(USERS_BY_NAME)?
        .get(username)?
        .map(|v| UserId(v.value())))
}

pub fn user(txn: &ReadTransaction, id: UserId) -> Result<Option<User>, StoreError> {
    get_json(&txn.open_table(USERS)?, "users", id.0)
}

pub fn all_users(txn: &ReadTransaction) -> Result<Vec<User>, StoreError> {
    all_json(&txn.open_table(USERS)?, "users")
}

/// Outcome of changing a user's account.
pub enum UserChange {
    Changed {
        before: User,
        after: User,
    },
    NoSuchUser,
    /// Refused: no enabled admin would be left (the user's name).
    LastAdmin(String),
}

/// Changes user `id` with `change`, refusing (and writing nothing) when that would leave no
/// enabled admin; checked in the same transaction, so two admins demoting each other at once
/// cannot both succeed.
pub fn change_user(
    txn: &WriteTransaction,
    id: UserId,
    change: impl FnOnce(&mut User),
) -> Result<UserChange, StoreError> {
    let mut table = txn.open_table(USERS)?;
    let Some(before): Option<User> = get_json(&table, "users", id.0)? else {
        return Ok(UserChange::NoSuchUser);
    };
    let mut after = before.clone();
    change(&mut after);
    let is_admin = |u: &User| u.role == Role::Admin && !u.disabled;
    if is_admin(&before) && !is_admin(&after) {
        let others = all_json::<User>(&table, "users")?
            .iter()
            .filter(|u| u.id != id && is_admin(u))
            .count();
        if others == 0 {
            return Ok(UserChange::LastAdmin(before.username));
        }
    }
    put_json(&mut table, id.0, &after)?;
    Ok(UserChange::Changed { before, after })
}

pub fn count_users(txn: &ReadTransaction) -> Result<u64, StoreError> {
    Ok(txn.open_table(USERS)?.len()?)
}

pub fn put_agent_settings(
    txn: &WriteTransaction,
    agent: UserId,
    settings: &AgentSettings,
) -> Result<(), StoreError> {
    put_json(&mut txn.open_table(AGENT_SETTINGS)?, agent.0, settings)
}

pub fn agent_settings(txn: &ReadTransaction, agent: UserId) -> Result<AgentSettings, StoreError> {
    Ok(get_json(&txn.open_table(AGENT_SETTINGS)?, "agent_settings", agent.0)?.unwrap_or_default())
}

pub fn all_agent_settings(
    txn: &ReadTransaction,
) -> Result<Vec<(UserId, AgentSettings)>, StoreError> {
    let mut out = Vec::new();
    for row in txn.open_table(AGENT_SETTINGS)?.iter()? {
        let (k, v) = row?;
        out.push((UserId(k.value()), decode("agent_settings", v.value())?));
    }
    Ok(out)
}

pub fn insert_queue(
    txn: &WriteTransaction,
    name: &str,
    priority: i32,
    offer_timeout_secs: u64,
) -> Result<Queue, StoreError> {
    let queue = Queue {
        id: QueueId(next_id(txn, "queue")?),
        name: name.to_owned(),
        priority,
        offer_timeout_secs,
        sla_secs: crate::domain::DEFAULT_SLA_SECS,
        wrap_up: Default::default(),
    };
    put_json(&mut txn.open_table(QUEUES)?, queue.id.0, &queue)?;
    Ok(queue)
}

pub fn all_queues(txn: &ReadTransaction) -> Result<Vec<Queue>, StoreError> {
    all_json(&txn.open_table(QUEUES)?, "queues")
}

pub fn queue(txn: &ReadTransaction, id: QueueId) -> Result<Option<Queue>, StoreError> {
    get_json(&txn.open_table(QUEUES)?, "queues", id.0)
}

/// Outcome of adding a campaign: each number belongs to one campaign.
#[allow(clippy::large_enum_variant)] // made once per save and matched at once, never stored
pub enum NewCampaign {
    Created(Campaign),
    NumberTaken(E164),
}

pub fn insert_campaign(
    txn: &WriteTransaction,
    name: &str,
    kind: CampaignKind,
    queue: QueueId,
    numbers: Vec<E164>,
) -> Result<NewCampaign, StoreError> {
    let campaign = Campaign {
        numbers,
        ..Campaign::new(CampaignId(0), name, kind, queue)
    };
    save_campaign(txn, campaign)
}

/// Stores a new campaign (id 0: one is allocated) or a changed one, moving its numbers;
/// refused when a number belongs to another campaign.
pub fn save_campaign(
    txn: &WriteTransaction,
    mut campaign: Campaign,
) -> Result<NewCampaign, StoreError> {
    let mut owners = txn.open_table(CAMPAIGN_NUMBERS)?;
    for n in &campaign.numbers {
        if let Some(owner) = owners.get(n.as_str())?.map(|v| v.value())
            && owner != campaign.id.0
        {
            return Ok(NewCampaign::NumberTaken(n.clone()));
        }
    }
    let mut campaigns = txn.open_table(CAMPAIGNS)?;
    if campaign.id.0 == 0 {
        campaign.id = CampaignId(next_id(txn, "campaign")?);
    } else if let Some(old) = get_json::<Campaign>(&campaigns, "campaigns", campaign.id.0)? {
        for n in old.numbers.iter().filter(|n| !campaign.numbers.contains(n)) {
            owners.remove(n.as_str())?;
        }
    }
    for n in &campaign.numbers {
        owners.insert(n.as_str(), campaign.id.0)?;
    }
    put_json(&mut campaigns, campaign.id.0, &campaign)?;
    Ok(NewCampaign::Created(campaign))
}

pub fn campaign(txn: &ReadTransaction, id: CampaignId) -> Result<Option<Campaign>, StoreError> {
    get_json(&txn.open_table(CAMPAIGNS)?, "campaigns", id.0)
}

pub fn all_campaigns(txn: &ReadTransaction) -> Result<Vec<Campaign>, StoreError> {
    all_json(&txn.open_table(CAMPAIGNS)?, "campaigns")
}

pub fn contact(txn: &ReadTransaction, id: ContactId) -> Result<Option<Contact>, StoreError> {
    get_json(&txn.open_table(CONTACTS)?, "contacts", id.0)
}

pub fn contact_by_phone(
    txn: &ReadTransaction,
    phone: &E164,
) -> Result<Option<Contact>, StoreError> {
    let Some(id) = txn
        .open_table(CONTACTS_BY_PHONE)?
        .get(phone.as_str())?
        .map(|v| v.value())
    else {
        return Ok(None);
    };
    get_json(&txn.open_table(CONTACTS)?, "contacts", id)
}

/// Finds the contact for a number, creating one with no name when the number is new.
pub fn find_or_create_contact(
    txn: &WriteTransaction,
    phone: &E164,
    now: DateTime<Utc>,
) -> Result<Contact, StoreError> {
    let mut by_phone = txn.open_table(CONTACTS_BY_PHONE)?;
    let mut contacts = txn.open_table(CONTACTS)?;
    if let Some(id) = by_phone.get(phone.as_str())?.map(|v| v.value())
        && let Some(existing) = get_json(&contacts, "contacts", id)?
    {
        return Ok(existing);
    }
    let contact = Contact::new(ContactId(next_id(txn, "contact")?), phone.clone(), now);
    by_phone.insert(phone.as_str(), contact.id.0)?;
    put_json(&mut contacts, contact.id.0, &contact)?;
    record_change(txn, Change::Contact(contact.id))?;
    Ok(contact)
}

/// Updates a contact's name (the demo and later the mini-CRM use this).
pub fn set_contact_name(
    txn: &WriteTransaction,
    id: ContactId,
    first: &str,
    last: &str,
) -> Result<Option<Contact>, StoreError> {
    let mut contacts = txn.open_table(CONTACTS)?;
    let Some(mut c): Option<Contact> = get_json(&contacts, "contacts", id.0)? else {
        return Ok(None);
    };
    c.first_name = first.to_owned();
    c.last_name = last.to_owned();
    put_json(&mut contacts, id.0, &c)?;
    record_change(txn, Change::Contact(id))?;
    Ok(Some(c))
}
