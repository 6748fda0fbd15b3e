//! Every redb table, declared once. Values are JSON (self-describing, so a record gains fields
//! with `#[serde(default)]` without breaking an existing data dir); keys are ids or strings.

use redb::{Key, MultimapTableDefinition, TableDefinition, Value};
use serde::de::DeserializeOwned;

use super::StoreError;

/// Counters (`next_*` ids) and the schema version.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub const USERS: TableDefinition<u64, &[u8]> = TableDefinition::new("users");
/// Lower-case login name → user id.
pub const USERS_BY_NAME: TableDefinition<&str, u64> = TableDefinition::new("users_by_name");
/// SHA-256 of the session token (hex) → session; the token itself is never stored.
pub const SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions");
pub const AGENT_SETTINGS: TableDefinition<u64, &[u8]> = TableDefinition::new("agent_settings");
pub const QUEUES: TableDefinition<u64, &[u8]> = TableDefinition::new("queues");
pub const CAMPAIGNS: TableDefinition<u64, &[u8]> = TableDefinition::new("campaigns");
/// Our E.164 number → the campaign owning it.
pub const CAMPAIGN_NUMBERS: TableDefinition<&str, u64> = TableDefinition::new("campaign_numbers");
pub const CONTACTS: TableDefinition<u64, &[u8]> = TableDefinition::new("contacts");
/// Customer E.164 number → contact.
pub const CONTACTS_BY_PHONE: TableDefinition<&str, u64> = TableDefinition::new("contacts_by_phone");
pub const WORKITEMS: TableDefinition<u64, &[u8]> = TableDefinition::new("workitems");
/// `"{customer} {our_number}"` → the conversation's open (not terminated) workitem.
pub const OPEN_WORKITEMS: TableDefinition<&str, u64> = TableDefinition::new("open_workitems");
pub const WORKITEMS_BY_CONTACT: MultimapTableDefinition<u64, u64> =
    MultimapTableDefinition::new("workitems_by_contact");
pub const MESSAGES: TableDefinition<u64, &[u8]> = TableDefinition::new("messages");
pub const MESSAGES_BY_WORKITEM: MultimapTableDefinition<u64, u64> =
    MultimapTableDefinition::new("messages_by_workitem");
/// (message, `"{provider}:{id}"`): makes a retried webhook store one message and lets a
/// delivery report find its message. Keyed by message first so new rows append; lookups go
/// through `PROVIDER_PRINTS` (see `provider_ids.rs`).
pub const PROVIDER_IDS: TableDefinition<(u64, &str), ()> =
    TableDefinition::new("provider_ids_by_message");
/// (fingerprint of `"{provider}:{id}"`, message): the messages a provider id may belong to.
pub const PROVIDER_PRINTS: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("provider_id_prints");
/// (message, fingerprint): the fingerprints held in memory and not yet in `PROVIDER_PRINTS`,
/// in message order, for a start to read back (see `recent_prints.rs`).
pub const PROVIDER_PRINTS_PENDING: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("provider_id_prints_pending");
/// Schema 1's `"{provider}:{id}"` → message, moved into `PROVIDER_IDS` on upgrade.
pub const PROVIDER_IDS_V1: TableDefinition<&str, u64> = TableDefinition::new("provider_ids");
pub const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");
pub const EVENTS_BY_WORKITEM: MultimapTableDefinition<u64, u64> =
    MultimapTableDefinition::new("events_by_workitem");
/// Outbound message id → pending send (attempts, next attempt time).
pub const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
/// Classes of service (named permission sets).
pub const CLASSES: TableDefinition<u64, &[u8]> = TableDefinition::new("classes");
/// Response templates.
pub const RESPONSE_TEMPLATES: TableDefinition<u64, &[u8]> = TableDefinition::new("templates");
pub const NOTES: TableDefinition<u64, &[u8]> = TableDefinition::new("notes");
pub const NOTES_BY_CONTACT: MultimapTableDefinition<u64, u64> =
    MultimapTableDefinition::new("notes_by_contact");
pub const SURVEYS: TableDefinition<u64, &[u8]> = TableDefinition::new("surveys");
/// Workitem id → the survey answers given for it.
pub const SURVEY_RESPONSES: TableDefinition<u64, &[u8]> = TableDefinition::new("survey_responses");
/// Store sequence → what changed that the search index must see (see `changes.rs`). The
/// indexer deletes rows once its index holds them.
pub const CHANGES: TableDefinition<u64, &[u8]> = TableDefinition::new("changes");
/// SHA-256 of an API token (hex) → the token's owner and label; the token itself is never
/// stored.
pub const API_TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("api_tokens");
/// User id → the choices the workspace remembers for them (JSON, see `prefs.rs`).
pub const USER_PREFS: TableDefinition<u64, &[u8]> = TableDefinition::new("user_prefs");
/// Customer E.164 number → its consent now (absent: never changed, messages welcome).
pub const CONSENT: TableDefinition<&str, &[u8]> = TableDefinition::new("consent");
/// Ledger id → one change of a number's consent, kept for ever.
pub const CONSENT_LEDGER: TableDefinition<u64, &[u8]> = TableDefinition::new("consent_ledger");
pub const CONSENT_BY_PHONE: MultimapTableDefinition<&str, u64> =
    MultimapTableDefinition::new("consent_by_phone");
/// Lead id → lead (a person a predictive campaign may message).
pub const LEADS: TableDefinition<u64, &[u8]> = TableDefinition::new("leads");
/// `"{campaign} {phone}"` → lead: a campaign has one lead per number.
pub const LEADS_BY_NUMBER: TableDefinition<&str, u64> = TableDefinition::new("leads_by_number");
pub const CAMPAIGN_LEADS: MultimapTableDefinition<u64, u64> =
    MultimapTableDefinition::new("campaign_leads");
/// Campaign id → the custom field names its leads carry (JSON list), for checking the
/// placeholders of its message without reading every lead.
pub const CAMPAIGN_LEAD_FIELDS: TableDefinition<u64, &[u8]> =
    TableDefinition::new("campaign_lead_fields");
/// Campaign id → its run (state, start), for predictive campaigns that were ever started.
pub const CAMPAIGN_RUNS: TableDefinition<u64, &[u8]> = TableDefinition::new("campaign_runs");
/// Campaign id → its counters (messaged, sent, delivered, replied, skipped, …).
pub const CAMPAIGN_STATS: TableDefinition<u64, &[u8]> = TableDefinition::new("campaign_stats");
/// (campaign id, Unix minute) → sends, deliveries and replies in that minute.
pub const CAMPAIGN_MINUTES: TableDefinition<(u64, i64), &[u8]> =
    TableDefinition::new("campaign_minutes");
/// Lead id → what became of it; no row: not reached yet. Its (lead, step) key makes the
/// scheduler idempotent.
pub const LEAD_PROGRESS: TableDefinition<u64, &[u8]> = TableDefinition::new("lead_progress");
/// Message id → the lead a predictive campaign sent it to.
pub const CAMPAIGN_MESSAGES: TableDefinition<u64, u64> = TableDefinition::new("campaign_messages");
/// Sequence → one audit entry (who did what security-relevant act); appended, never changed.
pub const AUDIT_LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_log");
/// (Unix seconds / 900 of the workitems' creation, queue, agent or 0, campaign or 0,
/// outbound) → the statistics of those workitems (`domain::stats::Tally`, JSON; see
/// `stats.rs`).
pub const STATS: TableDefinition<StatsKey, &[u8]> = TableDefinition::new("stats_quarter_hours");
/// The same tallies summed per hour: (Unix hour, queue, agent, campaign, outbound) →
/// `Tally`, so a report of months reads a quarter of the rows.
pub const STATS_HOURLY: TableDefinition<StatsKey, &[u8]> = TableDefinition::new("stats_hours");
/// The key of [`STATS`] and [`STATS_HOURLY`].
pub type StatsKey = (i64, u64, u64, u64, bool);
/// "provider:message id" → a provider message no conversation can hold (`HeldSms`, JSON).
pub const HELD_SMS: TableDefinition<&str, &[u8]> = TableDefinition::new("held_sms");
/// Site-wide settings an admin edits, by name (`"away_reasons"`) → JSON (see `settings.rs`).
pub const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");
/// (agent id, Unix microseconds) → the agent's state from then on (`PresenceChange`).
pub const PRESENCE_LOG: TableDefinition<(u64, i64), &[u8]> = TableDefinition::new("presence_log");

/// What walks every table: [`each_table`] calls it once per table, with the table's own key
/// and value types, so copying (backup), opening (init) and checking (`parley check`) share
/// one list and a new table cannot be left out of any of them.
pub trait TableVisitor {
    fn table<K: Key + 'static, V: Value + 'static>(
        &mut self,
        def: TableDefinition<'static, K, V>,
    ) -> Result<(), StoreError>;

    fn multimap<K: Key + 'static, V: Key + 'static>(
        &mut self,
        def: MultimapTableDefinition<'static, K, V>,
    ) -> Result<(), StoreError>;

    /// A table whose values are JSON records of type `T`; by default, like any table.
    fn json<K: Key + 'static, T: DeserializeOwned>(
        &mut self,
        def: TableDefinition<'static, K, &'static [u8]>,
    ) -> Result<(), StoreError> {
        self.table(def)
    }
}

/// Every table of the current schema, each with the type its JSON values decode to.
/// (`PROVIDER_IDS_V1` is not one: an upgrade moves it into `PROVIDER_IDS` and deletes it.)
pub fn each_table(v: &mut impl TableVisitor) -> Result<(), StoreError> {
    use crate::domain as d;
    v.table(META)?;
    v.json::<_, d::User>(USERS)?;
    v.table(USERS_BY_NAME)?;
    v.json::<_, super::Session>(SESSIONS)?;
    v.json::<_, d::AgentSettings>(AGENT_SETTINGS)?;
    v.json::<_, d::Queue>(QUEUES)?;
    v.json::<_, d::Campaign>(CAMPAIGNS)?;
    v.table(CAMPAIGN_NUMBERS)?;
    v.json::<_, d::Contact>(CONTACTS)?;
    v.table(CONTACTS_BY_PHONE)?;
    v.json::<_, d::Workitem>(WORKITEMS)?;
    v.table(OPEN_WORKITEMS)?;
    v.multimap(WORKITEMS_BY_CONTACT)?;
    v.json::<_, d::Message>(MESSAGES)?;
    v.multimap(MESSAGES_BY_WORKITEM)?;
    v.table(PROVIDER_IDS)?;
    v.table(PROVIDER_PRINTS)?;
    v.table(PROVIDER_PRINTS_PENDING)?;
    v.json::<_, d::Event>(EVENTS)?;
    v.multimap(EVENTS_BY_WORKITEM)?;
    v.json::<_, super::OutboxEntry>(OUTBOX)?;
    v.json::<_, d::ClassOfService>(CLASSES)?;
    v.json::<_, d::ResponseTemplate>(RESPONSE_TEMPLATES)?;
    v.json::<_, d::Note>(NOTES)?;
    v.multimap(NOTES_BY_CONTACT)?;
    v.json::<_, d::Survey>(SURVEYS)?;
    v.json::<_, d::SurveyResponse>(SURVEY_RESPONSES)?;
    v.json::<_, super::Change>(CHANGES)?;
    v.json::<_, super::ApiToken>(API_TOKENS)?;
    v.json::<_, super::UserPrefs>(USER_PREFS)?;
    v.json::<_, d::Consent>(CONSENT)?;
    v.json::<_, d::ConsentEntry>(CONSENT_LEDGER)?;
    v.multimap(CONSENT_BY_PHONE)?;
    v.json::<_, d::Lead>(LEADS)?;
    v.table(LEADS_BY_NUMBER)?;
    v.multimap(CAMPAIGN_LEADS)?;
    v.json::<_, Vec<String>>(CAMPAIGN_LEAD_FIELDS)?;
    v.json::<_, d::CampaignRun>(CAMPAIGN_RUNS)?;
    v.json::<_, d::RunStats>(CAMPAIGN_STATS)?;
    v.json::<_, d::MinuteCounts>(CAMPAIGN_MINUTES)?;
    v.json::<_, d::LeadProgress>(LEAD_PROGRESS)?;
    v.table(CAMPAIGN_MESSAGES)?;
    v.json::<_, d::AuditEntry>(AUDIT_LOG)?;
    // One record per setting, each of its own type: checked as JSON.
    v.json::<_, serde_json::Value>(SETTINGS)?;
    v.json::<_, d::HeldSms>(HELD_SMS)?;
    v.json::<_, d::PresenceChange>(PRESENCE_LOG)?;
    v.json::<_, d::stats::Tally>(STATS)?;
    v.json::<_, d::stats::Tally>(STATS_HOURLY)?;
    Ok(())
}

/// Creates each table that does not exist yet (a new store, or one from an older build).
pub struct CreateMissing<'t>(pub &'t redb::WriteTransaction);

impl TableVisitor for CreateMissing<'_> {
    fn table<K: Key + 'static, V: Value + 'static>(
        &mut self,
        def: TableDefinition<'static, K, V>,
    ) -> Result<(), StoreError> {
        self.0.open_table(def)?;
        Ok(())
    }

    fn multimap<K: Key + 'static, V: Key + 'static>(
        &mut self,
        def: MultimapTableDefinition<'static, K, V>,
    ) -> Result<(), StoreError> {
        self.0.open_multimap_table(def)?;
        Ok(())
    }
}
