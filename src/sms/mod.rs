//! SMS connectivity: the provider interface and its implementations, inbound handling, and
//! the outbox that sends agents' replies.

pub mod compose;
pub mod inbound;
pub mod outbound;
pub mod provider;
pub mod rate;
pub mod sender;
pub mod simulator;
pub mod twilio;

pub use provider::{OutboundSms, Provider, Providers, SendError, SendReceipt};
