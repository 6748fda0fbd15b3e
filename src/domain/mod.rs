//! Plain data types and rules, no I/O.

mod contact;
mod ids;
mod permission;
mod phone;
mod routing;
pub mod segments;
mod user;
mod workitem;

pub use contact::{ChannelPreference, Contact};
pub use ids::{
    CampaignId, ClassId, ContactId, EventId, MessageId, NoteId, QueueId, SurveyId, TemplateId,
    UserId, WorkitemId,
};
pub use permission::{ClassOfService, Permission, Permissions};
pub use phone::{E164, PhoneError};
pub use routing::{Campaign, CampaignKind, Queue};
pub use user::{AgentSettings, Role, User, validate_password, validate_username};
pub use workitem::{
    DeliveryStatus, Direction, Event, EventKind, Message, Workitem, WorkitemState, preview,
};
