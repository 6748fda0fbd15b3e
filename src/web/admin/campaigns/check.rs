//! The campaign form: what was typed, and every check before a campaign is stored.
//!
//! [`check`] runs inside the write transaction that stores the campaign, so a name or a number
//! taken by another admin a moment earlier is refused rather than stored twice.

use redb::{ReadTransaction, WriteTransaction};
use serde::Deserialize;

use super::predictive::{self, PredictiveErrors, PredictiveInput};
use super::times;
use crate::domain::contact_form::parse_time_zone;
use crate::domain::{
    Campaign, CampaignId, CampaignKind, E164, MAX_SEND_RATE, Queue, QueueId, SendingHours, Survey,
    SurveyId,
};
use crate::store::{self, StoreError, same_name};
use crate::web::admin::validate_name;

/// Longest HELP answer or opt-out confirmation, in characters (about two SMS).
pub const MAX_REPLY_CHARS: usize = 320;

pub const KINDS: [CampaignKind; 3] = [
    CampaignKind::Inbound,
    CampaignKind::Outbound,
    CampaignKind::Predictive,
];

/// The form's value of a kind (as serde spells it).
pub fn kind_value(kind: CampaignKind) -> &'static str {
    match kind {
        CampaignKind::Inbound => "inbound",
        CampaignKind::Outbound => "outbound",
        CampaignKind::Predictive => "predictive",
    }
}

/// A kind in one word, for the list.
pub fn kind_name(kind: CampaignKind) -> &'static str {
    match kind {
        CampaignKind::Inbound => "Inbound",
        CampaignKind::Outbound => "Outbound",
        CampaignKind::Predictive => "Predictive",
    }
}

/// A kind with what it does, for the form.
pub fn kind_label(kind: CampaignKind) -> &'static str {
    match kind {
        CampaignKind::Inbound => "Inbound: customers message its numbers",
        CampaignKind::Outbound => "Outbound: agents message customers from its numbers",
        CampaignKind::Predictive => "Predictive: sends to leads on its own",
    }
}

/// The form as posted (and as drawn again when refused). Every field is text so that what
/// was typed comes back exactly.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct CampaignInput {
    pub name: String,
    pub kind: String,
    pub queue: String,
    /// One number per line.
    pub numbers: String,
    /// A survey id; empty for none.
    pub survey: String,
    pub help_text: String,
    pub opt_out_text: String,
    pub send_rate: String,
    /// The "limit to sending hours" checkbox: present when ticked.
    pub limit_hours: Option<String>,
    pub hours_start: String,
    pub hours_end: String,
    pub time_zone: String,
    /// A provider's name; empty for the server's configured one.
    pub provider: String,
    #[serde(flatten)]
    pub predictive: PredictiveInput,
}

impl CampaignInput {
    /// A stored campaign, as its form shows it.
    pub fn of(c: &Campaign) -> CampaignInput {
        // With no limit, the hour fields still show the usual hours, ready to be ticked.
        let hours = c.quiet_hours.unwrap_or_else(SendingHours::agent_default);
        CampaignInput {
            name: c.name.clone(),
            kind: kind_value(c.kind).into(),
            queue: c.queue.to_string(),
            numbers: c
                .numbers
                .iter()
                .map(E164::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
            survey: c.survey.map(|s| s.to_string()).unwrap_or_default(),
            help_text: c.help_text.clone(),
            opt_out_text: c.opt_out_text.clone(),
            send_rate: c.send_rate.to_string(),
            limit_hours: c.quiet_hours.map(|_| "on".into()),
            hours_start: times::show_time(hours.start),
            hours_end: times::show_time(hours.end),
            time_zone: c.time_zone.clone(),
            provider: c.provider.clone().unwrap_or_default(),
            predictive: PredictiveInput::of(c),
        }
    }

    /// The new-campaign form: a new campaign's defaults, the queue still to be chosen.
    pub fn blank() -> CampaignInput {
        CampaignInput {
            queue: String::new(),
            ..CampaignInput::of(&new_campaign())
        }
    }
}

/// What a new campaign starts from before the form's values are applied.
pub fn new_campaign() -> Campaign {
    Campaign::new(CampaignId(0), "", CampaignKind::Inbound, QueueId(0))
}

/// Why a campaign was refused, per field.
#[derive(Debug, Default)]
pub struct CampaignErrors {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub queue: Option<String>,
    pub numbers: Option<String>,
    pub survey: Option<String>,
    pub help_text: Option<String>,
    pub opt_out_text: Option<String>,
    pub send_rate: Option<String>,
    pub hours: Option<String>,
    pub time_zone: Option<String>,
    pub provider: Option<String>,
    pub predictive: PredictiveErrors,
}

impl CampaignErrors {
    fn any(&self) -> bool {
        [
            &self.name,
            &self.kind,
            &self.queue,
            &self.numbers,
            &self.survey,
            &self.help_text,
            &self.opt_out_text,
            &self.send_rate,
            &self.hours,
            &self.time_zone,
            &self.provider,
        ]
        .iter()
        .any(|e| e.is_some())
            || self.predictive.any()
    }
}

/// What the checks compare against: the campaigns (names and numbers are unique), the queues
/// and the surveys that exist.
pub struct Directory {
    pub campaigns: Vec<Campaign>,
    pub queues: Vec<Queue>,
    pub surveys: Vec<Survey>,
    /// The providers this server can send through (`SmsConfig::available_providers`).
    pub providers: Vec<&'static str>,
}

impl Directory {
    pub fn read(
        txn: &ReadTransaction,
        providers: Vec<&'static str>,
    ) -> Result<Directory, StoreError> {
        Ok(Directory {
            campaigns: store::all_campaigns(txn)?,
            queues: store::all_queues(txn)?,
            surveys: store::all_surveys(txn)?,
            providers,
        })
    }

    /// The same, read inside the write that stores the campaign.
    pub fn read_in(
        txn: &WriteTransaction,
        providers: Vec<&'static str>,
    ) -> Result<Directory, StoreError> {
        Ok(Directory {
            campaigns: store::all_json(&txn.open_table(store::CAMPAIGNS)?, "campaigns")?,
            queues: store::all_json(&txn.open_table(store::QUEUES)?, "queues")?,
            surveys: store::all_json(&txn.open_table(store::SURVEYS)?, "surveys")?,
            providers,
        })
    }

    pub fn campaign(&self, id: CampaignId) -> Option<&Campaign> {
        self.campaigns.iter().find(|c| c.id == id)
    }
}

/// Checks every field; `base` (the stored campaign, or [`new_campaign`]) with the form's
/// values, or why each refused field was refused.
pub fn check(
    input: &CampaignInput,
    base: Campaign,
    dir: &Directory,
    lead_fields: &[String],
) -> Result<Campaign, Box<CampaignErrors>> {
    let mut e = CampaignErrors::default();
    let mut c = base;
    let id = c.id;
    if let Some(v) = keep(name(&input.name, id, dir), &mut e.name) {
        c.name = v;
    }
    if let Some(v) = keep(kind(&input.kind), &mut e.kind) {
        c.kind = v;
    }
    if let Some(v) = keep(queue(&input.queue, dir), &mut e.queue) {
        c.queue = v;
    }
    if let Some(v) = keep(numbers(&input.numbers, id, dir), &mut e.numbers) {
        c.numbers = v;
    }
    if let Some(v) = keep(survey(&input.survey, dir), &mut e.survey) {
        c.survey = v;
    }
    if let Some(v) = keep(reply(&input.help_text, "HELP answer"), &mut e.help_text) {
        c.help_text = v;
    }
    let opt_out = reply(&input.opt_out_text, "opt-out confirmation");
    if let Some(v) = keep(opt_out, &mut e.opt_out_text) {
        c.opt_out_text = v;
    }
    if let Some(v) = keep(send_rate(&input.send_rate), &mut e.send_rate) {
        c.send_rate = v;
    }
    if let Some(v) = keep(hours(input), &mut e.hours) {
        c.quiet_hours = v;
    }
    if let Some(v) = keep(parse_time_zone(&input.time_zone), &mut e.time_zone) {
        c.time_zone = v;
    }
    if let Some(v) = keep(provider(&input.provider, dir), &mut e.provider) {
        c.provider = v;
    }
    match predictive::check(&input.predictive, &c, lead_fields, &dir.campaigns) {
        Ok(p) => c.predictive = p,
        Err(p) => e.predictive = *p,
    }
    if e.any() { Err(Box::new(e)) } else { Ok(c) }
}

/// Empty: the server's configured provider; otherwise one this server has credentials for.
fn provider(raw: &str, dir: &Directory) -> Result<Option<String>, String> {
    match raw.trim() {
        "" => Ok(None),
        name => match dir.providers.iter().find(|p| **p == name) {
            Some(p) => Ok(Some((*p).to_owned())),
            None => Err(format!(
                "This server cannot send through “{name}”; choose one of: {}.",
                dir.providers.join(", ")
            )),
        },
    }
}

/// The value, or the reason put in the field's error slot.
fn keep<T>(result: Result<T, String>, error: &mut Option<String>) -> Option<T> {
    result.map_err(|e| *error = Some(e)).ok()
}

fn name(raw: &str, id: CampaignId, dir: &Directory) -> Result<String, String> {
    let name = validate_name(raw, "campaign")?;
    match dir
        .campaigns
        .iter()
        .find(|c| c.id != id && same_name(&c.name, &name))
    {
        Some(other) => Err(format!(
            "There is already a campaign called \"{}\".",
            other.name
        )),
        None => Ok(name),
    }
}

fn kind(raw: &str) -> Result<CampaignKind, String> {
    KINDS
        .into_iter()
        .find(|k| kind_value(*k) == raw.trim())
        .ok_or_else(|| "Choose inbound, outbound or predictive.".into())
}

fn queue(raw: &str, dir: &Directory) -> Result<QueueId, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("Choose the queue its conversations go to.".into());
    }
    match raw.parse::<QueueId>() {
        Ok(id) if dir.queues.iter().any(|q| q.id == id) => Ok(id),
        _ => Err(format!(
            "Queue {raw} does not exist (any more); choose another."
        )),
    }
}

/// One number per line (blank lines skipped); every problem is told, with its line.
fn numbers(raw: &str, id: CampaignId, dir: &Directory) -> Result<Vec<E164>, String> {
    let mut numbers: Vec<E164> = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in raw.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let n = match E164::parse(line) {
            Ok(n) => n,
            Err(e) => {
                problems.push(format!("Line {line_no}: {e}."));
                continue;
            }
        };
        if numbers.contains(&n) {
            problems.push(format!("Line {line_no}: {n} is listed twice."));
        } else if let Some(owner) = dir
            .campaigns
            .iter()
            .find(|c| c.id != id && c.numbers.contains(&n))
        {
            problems.push(format!(
                "Line {line_no}: {n} belongs to the campaign \"{}\"; take it off that campaign first.",
                owner.name
            ));
        } else {
            numbers.push(n);
        }
    }
    if problems.is_empty() {
        Ok(numbers)
    } else {
        Err(problems.join(" "))
    }
}

fn survey(raw: &str, dir: &Directory) -> Result<Option<SurveyId>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<SurveyId>() {
        Ok(id) if dir.surveys.iter().any(|s| s.id == id) => Ok(Some(id)),
        _ => Err(format!(
            "Survey {raw} does not exist (any more); choose another."
        )),
    }
}

/// A text sent to customers; empty means the default.
fn reply(raw: &str, what: &str) -> Result<String, String> {
    let text = raw.trim();
    let chars = text.chars().count();
    if chars > MAX_REPLY_CHARS {
        return Err(format!(
            "The {what} can be at most {MAX_REPLY_CHARS} characters (this one has {chars})."
        ));
    }
    Ok(text.to_owned())
}

fn send_rate(raw: &str) -> Result<f64, String> {
    match raw.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 && r <= MAX_SEND_RATE => Ok(r),
        _ => Err(format!(
            "The send rate must be a number of messages per second, above 0 and at most \
             {MAX_SEND_RATE} (a dot for decimals, e.g. 0.5)."
        )),
    }
}

/// `None` when the box is not ticked: agents may then send at any time.
fn hours(input: &CampaignInput) -> Result<Option<SendingHours>, String> {
    if input.limit_hours.is_none() {
        return Ok(None);
    }
    times::parse_hours(&input.hours_start, &input.hours_end)
        .map(Some)
        .map_err(|e| sentence(&e))
}

/// `the start…` → `The start….`
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
