//! Plain data types and rules, no I/O.

mod activity;
mod aside;
mod audit;
mod away;
mod campaign_run;
mod consent;
mod contact;
pub mod contact_form;
mod csv;
mod held;
mod ids;
mod labels;
mod lead;
pub mod login_throttle;
mod note;
mod permission;
mod phone;
pub mod predictive;
mod presence;
mod report_filter;
pub mod response_template;
mod routing;
pub mod segments;
pub mod sending_hours;
pub mod stats;
pub mod survey;
mod user;
mod workitem;
mod wrap_up;

pub use activity::{Activity, MessageMark};
pub use aside::{Aside, AsideKind, MAX_ASIDE_CHARS, clean_aside, transfer_text, whisper_text};
pub use audit::{AuditEntry, AuditKind};
pub use away::{AwayReasons, MAX_AWAY_REASONS, MAX_LISTED_REASON_CHARS, MAX_REASON_CHARS};
pub use campaign_run::{
    CampaignRun, LeadOutcome, LeadProgress, MinuteCounts, RunAction, RunState, RunStats, SkipReason,
};
pub use consent::{
    Consent, ConsentEntry, ConsentSource, Keyword, carrier_code_blocks, keyword_answer,
};
pub use contact::{ChannelPreference, Contact};
pub use contact_form::{ContactForm, ContactUpdate, FieldErrors};
pub use csv::csv_cell;
pub use held::HeldSms;
pub use ids::{
    CampaignId, ClassId, ContactId, EventId, LeadId, MessageId, NoteId, QueueId,
    ResponseTemplateId, SurveyId, UserId, WorkitemId,
};
pub use lead::{Lead, LeadFilter, LeadStatus};
pub use note::{MAX_NOTE_CHARS, Note, NoteError, validate_note_body};
pub use permission::{ClassOfService, Permission, Permissions};
pub use phone::{E164, PhoneError};
pub use predictive::PredictiveSettings;
pub use presence::{Presence, PresenceChange};
pub use report_filter::{MAX_REPORT_DAYS, ReportFilter, direction_of, midnight};
pub use response_template::{Audience, ResponseTemplate};
pub use routing::{
    Campaign, CampaignKind, DEFAULT_SLA_SECS, MAX_SEND_RATE, Queue, default_send_rate,
    effective_provider,
};
pub use sending_hours::SendingHours;
pub use survey::{Answer, Question, QuestionKind, Survey, SurveyResponse};
pub use user::{
    AgentSettings, MIN_PASSWORD_CHARS, Role, User, validate_password, validate_username,
};
pub use workitem::{
    DeliveryStatus, Direction, Event, EventKind, Message, Workitem, WorkitemState, preview,
};
pub use wrap_up::{MAX_WRAP_UP_CODE_CHARS, MAX_WRAP_UP_CODES, WrapUp, WrapUpError};
