//! Plain data types and rules, no I/O.

mod contact;
pub mod contact_form;
mod ids;
mod note;
mod permission;
mod phone;
mod routing;
pub mod segments;
pub mod survey;
pub mod template;
mod user;
mod workitem;

pub use contact::{ChannelPreference, Contact};
pub use contact_form::{ContactForm, ContactUpdate, FieldErrors};
pub use ids::{
    CampaignId, ClassId, ContactId, EventId, MessageId, NoteId, QueueId, SurveyId, TemplateId,
    UserId, WorkitemId,
};
pub use note::{MAX_NOTE_CHARS, Note, NoteError, validate_note_body};
pub use permission::{ClassOfService, Permission, Permissions};
pub use phone::{E164, PhoneError};
pub use routing::{Campaign, CampaignKind, Queue};
pub use survey::{Answer, Question, QuestionKind, Survey, SurveyResponse};
pub use template::{Audience, Template};
pub use user::{AgentSettings, Role, User, validate_password, validate_username};
pub use workitem::{
    DeliveryStatus, Direction, Event, EventKind, Message, Workitem, WorkitemState, preview,
};
