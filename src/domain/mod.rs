//! Plain data types and rules, no I/O.

mod contact;
mod ids;
mod phone;
mod routing;
mod user;
mod workitem;

pub use contact::Contact;
pub use ids::{CampaignId, ContactId, EventId, MessageId, QueueId, UserId, WorkitemId};
pub use phone::{E164, PhoneError};
pub use routing::{Campaign, CampaignKind, Queue};
pub use user::{AgentSettings, Role, User, validate_password, validate_username};
pub use workitem::{
    DeliveryStatus, Direction, Event, EventKind, Message, Workitem, WorkitemState, preview,
};
