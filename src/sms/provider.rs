//! The one interface every SMS provider implements for sending.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::domain::{DeliveryStatus, E164, MessageId, effective_provider};

/// One stored outbound message, ready to hand to a provider.
#[derive(Clone, Debug)]
pub struct OutboundSms {
    /// Our stored message id (idempotency on our side; echoed in logs).
    pub message: MessageId,
    pub from: E164,
    pub to: E164,
    pub body: String,
}

/// The provider took the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendReceipt {
    /// The provider's id for the message, used to match later delivery reports.
    pub provider_id: String,
    /// The status known right after sending (`Sent`, or `Delivered` when the provider knows).
    pub status: DeliveryStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying later: network trouble, 5xx, rate limiting.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Retrying cannot help: bad number, opted out, bad credentials.
    #[error("rejected by the provider (code {code}): {message}")]
    Permanent { code: String, message: String },
    /// The request may have reached the provider but no answer came (a timeout): retrying
    /// could deliver the message twice, so it is not retried.
    #[error("no answer from the provider; not sent again so the customer cannot get it twice: {0}")]
    Uncertain(String),
}

pub trait Provider: Send + Sync + 'static {
    /// Short name, part of the provider-id dedup key (`"twilio"`, `"simulator"`).
    fn name(&self) -> &'static str;
    /// Hands one message to the provider.
    fn send<'a>(&'a self, sms: &'a OutboundSms) -> BoxFuture<'a, Result<SendReceipt, SendError>>;
}

/// Every provider this server can send through: the configured one (the default for
/// campaigns that name none) and any other with its credentials set.
#[derive(Clone)]
pub struct Providers {
    default: Arc<dyn Provider>,
    others: Vec<Arc<dyn Provider>>,
}

impl Providers {
    pub fn new(default: Arc<dyn Provider>, others: Vec<Arc<dyn Provider>>) -> Providers {
        let others = others
            .into_iter()
            .filter(|p| p.name() != default.name())
            .collect();
        Providers { default, others }
    }

    /// The provider a campaign chose (`None`: the default); `None` when it is not available.
    pub fn pick(&self, name: Option<&str>) -> Option<&Arc<dyn Provider>> {
        let wanted = effective_provider(name, self.default.name());
        std::iter::once(&self.default)
            .chain(&self.others)
            .find(|p| p.name() == wanted)
    }
}
