//! Surveys, the survey a campaign uses, and the answers given per workitem.

use redb::{ReadTransaction, WriteTransaction};

use super::codec::{all_json, get_json, next_id, put_json};
use super::{CAMPAIGNS, Change, SURVEY_RESPONSES, SURVEYS, StoreError, WORKITEMS, record_change};
use crate::domain::{
    Campaign, CampaignId, Survey, SurveyId, SurveyResponse, Workitem, WorkitemId, WorkitemState,
};

/// A fresh survey id, for creating a survey with [`put_survey`].
pub fn next_survey_id(txn: &WriteTransaction) -> Result<SurveyId, StoreError> {
    Ok(SurveyId(next_id(txn, "survey")?))
}

/// Creates or replaces a survey (its id comes from [`next_survey_id`] when new).
pub fn put_survey(txn: &WriteTransaction, survey: &Survey) -> Result<(), StoreError> {
    put_json(&mut txn.open_table(SURVEYS)?, survey.id.0, survey)
}

pub fn survey(txn: &ReadTransaction, id: SurveyId) -> Result<Option<Survey>, StoreError> {
    get_json(&txn.open_table(SURVEYS)?, "surveys", id.0)
}

pub fn all_surveys(txn: &ReadTransaction) -> Result<Vec<Survey>, StoreError> {
    all_json(&txn.open_table(SURVEYS)?, "surveys")
}

/// Attaches a survey to a campaign (or detaches with `None`). Returns the updated campaign,
/// or `None` when there is no such campaign. The caller checks the survey exists.
pub fn set_campaign_survey(
    txn: &WriteTransaction,
    campaign: CampaignId,
    survey: Option<SurveyId>,
) -> Result<Option<Campaign>, StoreError> {
    let mut table = txn.open_table(CAMPAIGNS)?;
    let Some(mut c): Option<Campaign> = get_json(&table, "campaigns", campaign.0)? else {
        return Ok(None);
    };
    c.survey = survey;
    put_json(&mut table, campaign.0, &c)?;
    Ok(Some(c))
}

/// The survey a campaign uses, if the campaign exists and has one.
pub fn campaign_survey(
    txn: &ReadTransaction,
    campaign: CampaignId,
) -> Result<Option<SurveyId>, StoreError> {
    let found: Option<Campaign> = get_json(&txn.open_table(CAMPAIGNS)?, "campaigns", campaign.0)?;
    Ok(found.and_then(|c| c.survey))
}

/// The answers given for a workitem, if any.
pub fn survey_response(
    txn: &ReadTransaction,
    workitem: WorkitemId,
) -> Result<Option<SurveyResponse>, StoreError> {
    get_json(
        &txn.open_table(SURVEY_RESPONSES)?,
        "survey_responses",
        workitem.0,
    )
}

/// What became of a survey response sent to [`save_survey_response`].
#[derive(Debug, PartialEq, Eq)]
pub enum SavedResponse {
    Saved,
    NoWorkitem,
    /// The workitem ended; its answers are final.
    Terminated,
    /// Only the agent who holds the workitem (accepted, not ended) may save.
    NotTheAgent,
}

/// Stores a workitem's survey answers, replacing earlier ones — checked in the same
/// transaction that the workitem is still active and held by `response.updated_by`, so a
/// save racing a termination cannot slip in after it.
pub fn save_survey_response(
    txn: &WriteTransaction,
    workitem: WorkitemId,
    response: &SurveyResponse,
) -> Result<SavedResponse, StoreError> {
    let found: Option<Workitem> = get_json(&txn.open_table(WORKITEMS)?, "workitems", workitem.0)?;
    let Some(w) = found else {
        return Ok(SavedResponse::NoWorkitem);
    };
    if w.state == WorkitemState::Terminated {
        return Ok(SavedResponse::Terminated);
    }
    if w.state != WorkitemState::Active || w.agent != Some(response.updated_by) {
        return Ok(SavedResponse::NotTheAgent);
    }
    put_json(&mut txn.open_table(SURVEY_RESPONSES)?, workitem.0, response)?;
    record_change(txn, Change::Survey(workitem))?;
    Ok(SavedResponse::Saved)
}
