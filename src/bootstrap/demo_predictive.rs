//! The demo's predictive campaign: a short lead list in several time zones and channel
//! preferences, slow enough to watch, not started. Replies go to the support line's queue.

use chrono::{DateTime, Utc};

use super::{BootstrapError, DEMO_CUSTOMER};
use crate::domain::{
    Campaign, CampaignId, CampaignKind, ChannelPreference, ContactId, E164, Lead, LeadId,
    PredictiveSettings, QueueId, SendingHours,
};
use crate::store::{self, NewCampaign, Store};

/// The number the demo's predictive campaign sends from.
pub const DEMO_PREDICTIVE_NUMBER: &str = "+14155550102";

/// (phone, first name, zone, channel preference): the demo contacts first, then strangers.
const LEADS: [(&str, &str, &str, ChannelPreference); 12] = [
    (
        DEMO_CUSTOMER,
        "Dana",
        "America/Los_Angeles",
        ChannelPreference::Sms,
    ),
    (
        "+14155550142",
        "Marco",
        "Europe/Rome",
        ChannelPreference::Sms,
    ),
    (
        "+14155550177",
        "Priya",
        "Asia/Kolkata",
        ChannelPreference::Unknown,
    ),
    (
        "+14155550130",
        "Jonas",
        "Europe/Berlin",
        ChannelPreference::Sms,
    ),
    ("+14155550131", "Aiko", "Asia/Tokyo", ChannelPreference::Sms),
    (
        "+14155550132",
        "Lucas",
        "America/Sao_Paulo",
        ChannelPreference::Sms,
    ),
    (
        "+14155550133",
        "Grace",
        "America/New_York",
        ChannelPreference::Email,
    ),
    (
        "+14155550134",
        "Omar",
        "Africa/Cairo",
        ChannelPreference::Sms,
    ),
    (
        "+14155550135",
        "Mia",
        "Australia/Sydney",
        ChannelPreference::Sms,
    ),
    ("+14155550136", "Liam", "", ChannelPreference::Voice),
    (
        "+14155550137",
        "Sofia",
        "Europe/Madrid",
        ChannelPreference::Sms,
    ),
    ("+14155550138", "Noah", "", ChannelPreference::Sms),
];

pub async fn seed(
    store: &Store,
    queue: QueueId,
    replies_to: CampaignId,
    now: DateTime<Utc>,
) -> Result<(), BootstrapError> {
    let number =
        E164::parse(DEMO_PREDICTIVE_NUMBER).map_err(|e| BootstrapError::Invalid(e.to_string()))?;
    let leads = LEADS
        .iter()
        .map(|(phone, first, zone, channel)| {
            Ok(Lead {
                id: LeadId(0),
                campaign: CampaignId(0),
                phone: E164::parse(phone).map_err(|e| BootstrapError::Invalid(e.to_string()))?,
                contact: ContactId(0),
                first_name: (*first).to_owned(),
                last_name: String::new(),
                time_zone: (*zone).to_owned(),
                channel: *channel,
                fields: Vec::new(),
                imported_at: now,
            })
        })
        .collect::<Result<Vec<Lead>, BootstrapError>>()?;
    let created = store
        .write(move |txn| {
            let mut c = Campaign::new(
                CampaignId(0),
                "Spring offer",
                CampaignKind::Predictive,
                queue,
            );
            c.numbers = vec![number];
            c.time_zone = "America/Los_Angeles".into();
            let mut p = PredictiveSettings::new();
            p.message = "Hi {first_name}, this is the {campaign} from the Parley demo: \
                         reply to chat with an agent, STOP to opt out."
                .into();
            // Any hour but the last minute of the day, so the demo runs whenever it is tried.
            p.hours = SendingHours::parse("00:00", "23:59").unwrap_or(p.hours);
            p.per_minute = 6.0;
            p.replies_to = Some(replies_to);
            c.predictive = Some(p);
            let created = store::save_campaign(txn, c)?;
            if let NewCampaign::Created(c) = &created {
                let leads = leads
                    .into_iter()
                    .map(|l| Lead {
                        campaign: c.id,
                        ..l
                    })
                    .collect();
                store::insert_leads(txn, leads, now)?;
            }
            Ok(created)
        })
        .await?;
    match created {
        NewCampaign::Created(_) => Ok(()),
        NewCampaign::NumberTaken(n) => Err(BootstrapError::Invalid(format!(
            "{n} already belongs to a campaign"
        ))),
    }
}
