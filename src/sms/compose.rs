//! An agent's new outbound SMS: checked (campaign, permission, consent, quiet hours), stored as
//! an active workitem of theirs with the message in the outbox, and shown in their workspace.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::outbound::{MAX_BODY_CHARS, Outbox};
use crate::acd::Acd;
use crate::clock::Clock;
use crate::domain::sending_hours::zone;
use crate::domain::{
    AgentSettings, Campaign, CampaignId, CampaignKind, Consent, Contact, E164, UserId, Workitem,
    WorkitemState,
};
use crate::store::{self, OutboundRefusal, StartedOutbound, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is too long ({0} characters; at most {MAX_BODY_CHARS})")]
    TooLong(usize),
    #[error("choose an SMS campaign to send from")]
    NoCampaign,
    #[error("no such SMS campaign")]
    UnknownCampaign,
    #[error("“{0}” is not an outbound campaign you may send from")]
    NotAllowed(String),
    #[error("the campaign “{0}” has no number to send from; ask an administrator to add one")]
    NoNumber(String),
    #[error("{}", .0.warning().unwrap_or_default())]
    OptedOut(Consent),
    #[error(
        "outside the campaign's sending hours ({hours}, {zone} time); the next allowed time is {}",
        next.with_timezone(zone).format("%a %d %b %H:%M %Z")
    )]
    QuietHours {
        hours: String,
        zone: Tz,
        next: DateTime<Utc>,
    },
    #[error("{0}")]
    Busy(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The outbound campaigns an agent may send from: those serving one of the agent's queues.
pub fn usable_campaigns(campaigns: Vec<Campaign>, settings: &AgentSettings) -> Vec<Campaign> {
    let mut usable: Vec<Campaign> = campaigns
        .into_iter()
        .filter(|c| c.kind == CampaignKind::Outbound && settings.queues.contains(&c.queue))
        .collect();
    usable.sort_by_key(|c| c.name.to_lowercase());
    usable
}

/// The zone a customer's local time is read in: the contact's, else the campaign's, else UTC.
pub fn customer_zone(contact: Option<&Contact>, campaign: &Campaign) -> Tz {
    contact
        .and_then(|c| zone(&c.time_zone))
        .or_else(|| zone(&campaign.time_zone))
        .unwrap_or(Tz::UTC)
}

/// Refuses a message that would reach the customer outside the campaign's sending hours.
pub fn check_quiet_hours(
    campaign: &Campaign,
    contact: Option<&Contact>,
    now: DateTime<Utc>,
) -> Result<(), ComposeError> {
    let Some(hours) = campaign.quiet_hours else {
        return Ok(());
    };
    let zone = customer_zone(contact, campaign);
    match hours.next_allowed(now, zone) {
        None => Ok(()),
        Some(next) => Err(ComposeError::QuietHours {
            hours: hours.label(),
            zone,
            next,
        }),
    }
}

pub fn validate_body(body: &str) -> Result<String, ComposeError> {
    let body = body.trim_end().to_owned();
    if body.trim().is_empty() {
        return Err(ComposeError::Empty);
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(ComposeError::TooLong(chars));
    }
    Ok(body)
}

/// Everything a new outbound SMS needs.
pub struct Compose<'a> {
    pub store: &'a Store,
    pub outbox: &'a Outbox,
    pub acd: &'a Acd,
    pub clock: &'a Clock,
}

impl Compose<'_> {
    pub async fn send(
        &self,
        agent: UserId,
        campaign: Option<CampaignId>,
        to: E164,
        body: &str,
    ) -> Result<StartedOutbound, ComposeError> {
        let body = validate_body(body)?;
        let campaign = campaign.ok_or(ComposeError::NoCampaign)?;
        let lookup = to.clone();
        let (campaign, settings, contact) = self
            .store
            .read(move |txn| {
                Ok((
                    store::campaign(txn, campaign)?,
                    store::agent_settings(txn, agent)?,
                    store::contact_by_phone(txn, &lookup)?,
                ))
            })
            .await?;
        let campaign = campaign.ok_or(ComposeError::UnknownCampaign)?;
        if campaign.kind != CampaignKind::Outbound || !settings.queues.contains(&campaign.queue) {
            return Err(ComposeError::NotAllowed(campaign.name));
        }
        let now = self.clock.now();
        check_quiet_hours(&campaign, contact.as_ref(), now)?;
        let c = campaign.clone();
        let started = self
            .store
            .write(move |txn| store::start_outbound(txn, agent, &c, &to, &body, now))
            .await?;
        let started = started.map_err(|refusal| match refusal {
            OutboundRefusal::OptedOut(consent) => ComposeError::OptedOut(consent),
            OutboundRefusal::NoNumber => ComposeError::NoNumber(campaign.name.clone()),
            OutboundRefusal::Busy(w) => ComposeError::Busy(busy_reason(&w, agent)),
        })?;
        self.outbox.wake();
        if started.new_workitem {
            self.acd
                .adopt(started.workitem.clone(), started.contact.display_name());
        }
        Ok(started)
    }
}

fn busy_reason(w: &Workitem, agent: UserId) -> String {
    match (w.state, w.agent == Some(agent)) {
        (WorkitemState::Queued, _) => {
            "this customer's conversation on that number is waiting in a queue; accept it there"
        }
        (WorkitemState::Offered, true) => {
            "this customer's conversation on that number is being offered to you; accept it"
        }
        (WorkitemState::Offered | WorkitemState::Active, _) => {
            "this customer already has an open conversation on that number with another agent"
        }
        (WorkitemState::Terminated, _) => "this customer's conversation was just closed; try again",
    }
    .to_owned()
}
