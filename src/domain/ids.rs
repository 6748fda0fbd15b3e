//! Newtype ids: a workitem id can never be passed where an agent id is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

id_type!(
    /// A login: agent, supervisor or admin.
    UserId,
    /// A queue workitems wait in.
    QueueId,
    /// A named SMS channel owning numbers.
    CampaignId,
    /// A customer.
    ContactId,
    /// A person a predictive campaign may message.
    LeadId,
    /// One SMS conversation from offer to termination.
    WorkitemId,
    /// One SMS, in or out.
    MessageId,
    /// One routing step.
    EventId,
    /// A class of service: a named set of permissions.
    ClassId,
    /// A response template.
    ResponseTemplateId,
    /// A note on a contact.
    NoteId,
    /// A survey agents fill in per workitem.
    SurveyId,
);
