//! The built-in simulator: customers are browser tabs on `/simulator`; sending to one pushes
//! the message onto its page. Needs no configuration, reaches no network.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::provider::{OutboundSms, Provider, SendError, SendReceipt};
use crate::clock::Clock;
use crate::domain::{DeliveryStatus, Direction};
use crate::live::{Hub, PhonePush};

/// The simulator's provider name, as campaigns and stored inbound messages spell it.
pub const NAME: &str = "simulator";

pub struct SimulatorProvider {
    pub hub: Arc<Hub>,
    pub clock: Clock,
}

impl Provider for SimulatorProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn send<'a>(&'a self, sms: &'a OutboundSms) -> BoxFuture<'a, Result<SendReceipt, SendError>> {
        Box::pin(async move {
            self.hub.push_phone(
                &sms.to,
                PhonePush {
                    direction: Direction::Out,
                    our_number: sms.from.clone(),
                    body: sms.body.clone(),
                    at: self.clock.now(),
                },
            );
            Ok(SendReceipt {
                provider_id: format!("SIM{}", sms.message),
                status: DeliveryStatus::Delivered,
            })
        })
    }
}
