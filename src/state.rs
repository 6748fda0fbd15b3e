//! The handles every handler gets.

use std::sync::{Arc, Mutex};

use crate::acd::Acd;
use crate::campaigns::scheduler::Scheduler;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::login_throttle::LoginThrottle;
use crate::live::Hub;
use crate::metrics::Metrics;
use crate::search::SearchIndex;
use crate::sms::inbound::Inbound;
use crate::sms::outbound::Outbox;
use crate::store::Store;
use crate::tasks::Shutdown;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub search: SearchIndex,
    pub acd: Acd,
    pub hub: Arc<Hub>,
    pub inbound: Inbound,
    pub outbox: Outbox,
    pub scheduler: Scheduler,
    pub clock: Clock,
    /// Failed-login counts; in memory only, so a restart forgets them (as it may).
    pub login_throttle: Arc<Mutex<LoginThrottle>>,
    /// Long-lived responses (SSE) end when this fires, so shutdown is not held up.
    pub shutdown: Shutdown,
    /// Served unencrypted on a network address (decided at start): admins see a warning.
    pub plain_http_on_lan: bool,
    /// Event counters for `/metrics` (levels are read from the rest when scraped).
    pub metrics: Arc<Metrics>,
}
