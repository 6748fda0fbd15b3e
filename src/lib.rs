//! Parley: a self-hosted SMS contact center in one binary.
//!
//! # Layout
//! - [`config`]: the one `Config` (defaults → TOML file → `PARLEY_` environment).
//! - [`domain`]: plain data and rules (ids, E.164 phones, users, workitems, events).
//! - [`insights`]: personality insights from a customer's own SMS history (pure, explained).
//! - [`store`]: redb, the single source of truth; one writer thread with group commit.
//! - [`search`]: the tantivy index over messages, notes, answers and contacts; its indexer
//!   follows the store's change log.
//! - [`acd`]: the routing engine (pure state machine) and the task that owns it.
//! - [`live`]: the hub fanning pushes out to agents' and simulated phones' streams.
//! - [`metrics`]: counters and histograms of atomics, and the Prometheus text format, for
//!   `/metrics`.
//! - [`sms`]: providers (simulator, Twilio), inbound handling and keywords, outbound SMS, the
//!   outbox and its sender (per-number rates, exactly-once claims).
//! - [`campaigns`]: predictive campaigns: lead lists (CSV import) and the scheduler that
//!   messages them at their pace within their hours.
//! - [`web`]: axum router, auth (sessions, argon2id, CSRF, roles), pages, API, SSE, webhooks.
//! - [`bootstrap`]: first-run admin and the `--demo` data.
//! - [`local_socket`]: `parley.sock` in the data dir, where `parley backup` asks the running
//!   server for a backup.
//! - [`passwords`]: argon2id hashing under its own limit, random passwords.
//! - [`background`]: work at a lower CPU priority (indexing, hashing).
//! - [`allocator`]: mimalloc, and giving freed memory back when a thread goes idle.
//! - [`clock`], [`tasks`], [`state`]: time, background tasks and shutdown, shared handles.
//!
//! Data flows one way: providers → store → ACD → hub → browsers; handlers send the ACD
//! commands and never touch its state.

pub mod acd;
pub mod allocator;
pub mod background;
pub mod bootstrap;
pub mod campaigns;
pub mod clock;
pub mod config;
pub mod domain;
pub mod insights;
pub mod live;
pub mod local_socket;
pub mod metrics;
pub mod passwords;
pub mod search;
pub mod sms;
pub mod state;
pub mod store;
pub mod tasks;
#[cfg(test)]
mod testing;
pub mod web;

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::{Config, ProviderKind};
use crate::live::Hub;
use crate::sms::Provider;
use crate::state::AppState;
use crate::store::{Store, StoreError};
use crate::tasks::{Shutdown, Tasks};

/// The name of the database file inside the data dir.
pub const DB_FILE: &str = "parley.redb";

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot create data dir {path}: {source}")]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] search::SearchError),
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
}

/// What tests (and benchmarks) may swap out; the binary uses the defaults.
#[derive(Default)]
pub struct Options {
    pub clock: Clock,
    /// Replaces the provider chosen by the config (e.g. a failing one in tests).
    pub provider: Option<Arc<dyn Provider>>,
    /// Receives the running app's state once it serves, for tests that need to look inside.
    pub ready: Option<tokio::sync::oneshot::Sender<AppState>>,
    /// The store, already open (the binary's first-run set-up opened it); by default
    /// [`run_with`] opens it.
    pub store: Option<(Store, std::thread::JoinHandle<()>)>,
}

/// Opens the store in `config.data_dir`, creating the directory if needed.
pub fn open_store(config: &Config) -> Result<(Store, std::thread::JoinHandle<()>), RunError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| RunError::DataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    Ok(Store::open(&config.data_dir.join(DB_FILE))?)
}

/// Serves Parley on `listener` until `shutdown` fires, then stops every task in order and
/// returns once every acknowledged write is on disk.
pub async fn run_with(
    config: Config,
    listener: TcpListener,
    shutdown: Shutdown,
    options: Options,
) -> Result<(), RunError> {
    allocator::return_freed_memory_at_once();
    let (store, writer) = match options.store {
        Some(open) => open,
        None => open_store(&config)?,
    };
    bootstrap::ensure_default_queue(&store).await?;
    let clock = options.clock;
    let hub = Arc::new(Hub::default());
    let metrics = Arc::new(metrics::Metrics::default());
    let mut tasks = Tasks::default();
    let index = search::SearchIndex::open(&search::index_dir(&config.data_dir), &store)?;
    let search = index.search.clone();
    search::spawn_indexer(
        index,
        std::time::Duration::from_millis(config.search.commit_interval_ms),
        shutdown.clone(),
        &mut tasks,
    );
    let acd = acd::spawn(
        &config.acd,
        store.clone(),
        hub.clone(),
        clock.clone(),
        metrics.clone(),
        shutdown.clone(),
        &mut tasks,
    )?;
    // Reading the store back (the newest fingerprints, the log's replay, the open workitems)
    // freed much of what it allocated on this thread, which from here on mostly waits: after
    // a busy spell that left 10,000 conversations open, 7 MB stayed resident for good. The
    // page cache it filled goes first: emptied later by the store's own thread, its pages
    // would stay with this thread's heap for good.
    store.empty_page_cache();
    allocator::release_free_memory();
    let twilio = || -> Arc<dyn Provider> {
        Arc::new(sms::twilio::TwilioProvider::new(
            &config.sms.twilio.api_base,
            &config.sms.twilio.account_sid,
            &config.sms.twilio.auth_token,
            Some(format!(
                "{}/webhooks/twilio/status",
                config.public_url.trim_end_matches('/')
            )),
        ))
    };
    let default: Arc<dyn Provider> = match options.provider {
        Some(p) => p,
        None => match config.sms.provider {
            ProviderKind::Simulator => Arc::new(sms::simulator::SimulatorProvider {
                hub: hub.clone(),
                clock: clock.clone(),
            }),
            ProviderKind::Twilio => twilio(),
        },
    };
    // Campaigns may send through Twilio too whenever its credentials are set.
    let others = if config.sms.twilio.configured() {
        vec![twilio()]
    } else {
        Vec::new()
    };
    let providers = sms::Providers::new(default, others);
    let outbox = sms::sender::spawn(
        store.clone(),
        providers,
        hub.clone(),
        clock.clone(),
        metrics.clone(),
        shutdown.clone(),
        &mut tasks,
    );
    let scheduler = campaigns::scheduler::spawn(
        store.clone(),
        outbox.clone(),
        clock.clone(),
        shutdown.clone(),
        &mut tasks,
    );
    local_socket::spawn(
        &config.data_dir,
        store.clone(),
        shutdown.clone(),
        &mut tasks,
    );
    let (inbound, inbound_task) = sms::inbound::spawn(
        store.clone(),
        acd.clone(),
        hub.clone(),
        outbox.clone(),
        metrics.clone(),
    );
    let plain_http_on_lan =
        web::plain_http::plain_http_on_lan(config.serves_https(), listener.local_addr()?);
    if plain_http_on_lan {
        tracing::warn!(addr = %listener.local_addr()?, "{}", web::plain_http::WARNING);
    }
    let state = AppState {
        config: Arc::new(config),
        store,
        search,
        acd,
        hub: hub.clone(),
        inbound,
        outbox,
        scheduler,
        clock,
        login_throttle: Default::default(),
        shutdown: shutdown.clone(),
        plain_http_on_lan,
        metrics,
    };
    web::sessions::spawn_sweeper(state.clone(), &mut tasks);
    let app = web::router(state.clone());
    tracing::info!(addr = %listener.local_addr()?, "Parley is serving");
    if let Some(ready) = options.ready {
        let _ = ready.send(state.clone());
    }
    // With connect info, handlers can see the peer's address (`web::client_addr`).
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown({
        let shutdown = shutdown.clone();
        async move { shutdown.wait().await }
    })
    .await;
    shutdown.trigger();
    hub.close_all();
    // Every handle must be gone before the inbound task and then the writer thread can finish
    // their last batch.
    drop(state);
    if let Err(e) = inbound_task.await {
        tracing::error!(error = %e, "inbound task ended abnormally");
    }
    tasks.join().await;
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .ok();
    tracing::info!("Parley stopped");
    served.map_err(RunError::from)
}
