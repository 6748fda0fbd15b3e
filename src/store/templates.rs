//! Response templates.

use redb::{ReadTransaction, WriteTransaction};

use super::codec::{all_json, get_json, next_id, put_json};
use super::{StoreError, TEMPLATES};
use crate::domain::{Audience, CampaignId, Template, TemplateId};

/// Outcome of saving a template: names are unique (ignoring case), and an edited template
/// may have been deleted meanwhile.
#[derive(Debug)]
pub enum SavedTemplate {
    Saved(Template),
    NameTaken,
    NotFound,
}

/// What an administrator writes; the store gives it an id.
#[derive(Clone, Debug)]
pub struct TemplateFields {
    pub name: String,
    pub body: String,
    pub campaigns: Vec<CampaignId>,
    pub audience: Audience,
}

/// Creates a template (`id: None`) or replaces one, unless another template has its name.
pub fn put_template(
    txn: &WriteTransaction,
    id: Option<TemplateId>,
    fields: TemplateFields,
) -> Result<SavedTemplate, StoreError> {
    let mut table = txn.open_table(TEMPLATES)?;
    let existing: Vec<Template> = all_json(&table, "templates")?;
    let wanted = fields.name.to_lowercase();
    if existing
        .iter()
        .any(|t| Some(t.id) != id && t.name.to_lowercase() == wanted)
    {
        return Ok(SavedTemplate::NameTaken);
    }
    let id = match id {
        Some(id) if existing.iter().any(|t| t.id == id) => id,
        Some(_) => return Ok(SavedTemplate::NotFound),
        None => TemplateId(next_id(txn, "template")?),
    };
    let template = Template {
        id,
        name: fields.name,
        body: fields.body,
        campaigns: fields.campaigns,
        audience: fields.audience,
    };
    put_json(&mut table, id.0, &template)?;
    Ok(SavedTemplate::Saved(template))
}

/// Every template, by name (ignoring case).
pub fn all_templates(txn: &ReadTransaction) -> Result<Vec<Template>, StoreError> {
    let mut all: Vec<Template> = all_json(&txn.open_table(TEMPLATES)?, "templates")?;
    all.sort_by_key(|t| (t.name.to_lowercase(), t.id));
    Ok(all)
}

pub fn template(txn: &ReadTransaction, id: TemplateId) -> Result<Option<Template>, StoreError> {
    get_json(&txn.open_table(TEMPLATES)?, "templates", id.0)
}

/// Removes a template; whether there was one.
pub fn delete_template(txn: &WriteTransaction, id: TemplateId) -> Result<bool, StoreError> {
    let mut table = txn.open_table(TEMPLATES)?;
    let removed = table.remove(id.0)?.is_some();
    Ok(removed)
}
