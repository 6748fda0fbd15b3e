//! Response templates.

use redb::{ReadTransaction, WriteTransaction};

use super::codec::{all_json, get_json, next_id, put_json};
use super::{RESPONSE_TEMPLATES, StoreError};
use crate::domain::{Audience, CampaignId, ResponseTemplate, ResponseTemplateId};

/// Outcome of saving a template: names are unique (ignoring case), and an edited template
/// may have been deleted meanwhile.
#[derive(Debug)]
pub enum SavedResponseTemplate {
    Saved(ResponseTemplate),
    NameTaken,
    NotFound,
}

/// What an administrator writes; the store gives it an id.
#[derive(Clone, Debug)]
pub struct ResponseTemplateFields {
    pub name: String,
    pub body: String,
    pub campaigns: Vec<CampaignId>,
    pub audience: Audience,
}

/// Creates a template (`id: None`) or replaces one, unless another template has its name.
pub fn put_response_template(
    txn: &WriteTransaction,
    id: Option<ResponseTemplateId>,
    fields: ResponseTemplateFields,
) -> Result<SavedResponseTemplate, StoreError> {
    let mut table = txn.open_table(RESPONSE_TEMPLATES)?;
    let existing: Vec<ResponseTemplate> = all_json(&table, "templates")?;
    let wanted = fields.name.to_lowercase();
    if existing
        .iter()
        .any(|t| Some(t.id) != id && t.name.to_lowercase() == wanted)
    {
        return Ok(SavedResponseTemplate::NameTaken);
    }
    let id = match id {
        Some(id) if existing.iter().any(|t| t.id == id) => id,
        Some(_) => return Ok(SavedResponseTemplate::NotFound),
        None => ResponseTemplateId(next_id(txn, "template")?),
    };
    let template = ResponseTemplate {
        id,
        name: fields.name,
        body: fields.body,
        campaigns: fields.campaigns,
        audience: fields.audience,
    };
    put_json(&mut table, id.0, &template)?;
    Ok(SavedResponseTemplate::Saved(template))
}

/// Every template, by name (ignoring case).
pub fn all_response_templates(txn: &ReadTransaction) -> Result<Vec<ResponseTemplate>, StoreError> {
    let mut all: Vec<ResponseTemplate> =
        all_json(&txn.open_table(RESPONSE_TEMPLATES)?, "templates")?;
    all.sort_by_key(|t| (t.name.to_lowercase(), t.id));
    Ok(all)
}

pub fn response_template(
    txn: &ReadTransaction,
    id: ResponseTemplateId,
) -> Result<Option<ResponseTemplate>, StoreError> {
    get_json(&txn.open_table(RESPONSE_TEMPLATES)?, "templates", id.0)
}

/// Removes a template; whether there was one.
pub fn delete_response_template(
    txn: &WriteTransaction,
    id: ResponseTemplateId,
) -> Result<bool, StoreError> {
    let mut table = txn.open_table(RESPONSE_TEMPLATES)?;
    let removed = table.remove(id.0)?.is_some();
    Ok(removed)
}
