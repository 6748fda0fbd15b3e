//! The test harness: boots the real app on 127.0.0.1:0 with a temp data dir, and talks to it
//! over HTTP like a browser (cookies, CSRF header) or like a provider (signed webhooks).
#![allow(dead_code)] // helpers shared by test modules; not each module uses each one

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use parley::clock::{Clock, ManualClock};
use parley::config::Config;
use parley::domain::{AgentSettings, QueueId, Role, User};
use parley::state::AppState;
use parley::tasks::Shutdown;
use serde_json::Value;
use tempfile::TempDir;

mod client;
mod events;
mod fixtures;
mod predictive;
mod processes;
mod provider;
pub use client::*;
pub use events::*;
pub use predictive::*;
pub use processes::*;

/// How long any awaited condition may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(10);
pub const TWILIO_TOKEN: &str = "test-auth-token";
pub const OUR_NUMBER: &str = "+14155550100";
/// The number of the outbound campaign [`TestServer::follow_ups_number`] makes.
pub const FOLLOW_UPS: &str = "+14155550101";
/// The number of the inbound campaign [`TestServer::twilio_number`] makes.
pub const TWILIO_NUMBER: &str = "+14155550111";
pub const PASSWORD: &str = "correct horse battery";

pub struct TestServer {
    pub url: String,
    pub state: AppState,
    /// Moves time for the ACD and sessions.
    pub clock: Arc<ManualClock>,
    pub dir: Arc<TempDir>,
    shutdown: Shutdown,
    handle: tokio::task::JoinHandle<Result<(), parley::RunError>>,
}

pub fn config(dir: &TempDir) -> Config {
    let mut config = Config {
        data_dir: dir.path().to_owned(),
        ..Config::default()
    };
    config.sms.twilio.auth_token = TWILIO_TOKEN.into();
    config
}

impl TestServer {
    pub async fn start() -> TestServer {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        Self::start_in(dir, |_| {}).await
    }

    /// Boots on an existing data dir (for restarts), with the config adjusted by `tweak`.
    pub async fn start_in(dir: Arc<TempDir>, tweak: impl FnOnce(&mut Config)) -> TestServer {
        Self::start_with(dir, tweak, None).await
    }

    /// Boots with `provider` sending the outbound messages instead of the configured one.
    pub async fn start_with(
        dir: Arc<TempDir>,
        tweak: impl FnOnce(&mut Config),
        provider: Option<Arc<dyn parley::sms::Provider>>,
    ) -> TestServer {
        Self::boot("127.0.0.1:0", dir, tweak, provider).await
    }

    /// Boots listening on `bind` (e.g. `0.0.0.0:0`, every network), reached on 127.0.0.1.
    pub async fn start_bound(bind: &str, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        Self::boot(bind, dir, tweak, None).await
    }

    /// Boots again where a stopped server was: on its port (so browsers find it at the same
    /// URL with the same cookies) and its data dir.
    pub async fn restart(port: u16, dir: Arc<TempDir>) -> TestServer {
        Self::boot(&format!("127.0.0.1:{port}"), dir, |_| {}, None).await
    }

    /// The port this server listens on.
    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port in the URL")
    }

    async fn boot(
        bind: &str,
        dir: Arc<TempDir>,
        tweak: impl FnOnce(&mut Config),
        provider: Option<Arc<dyn parley::sms::Provider>>,
    ) -> TestServer {
        // Server logs show with a failing test's output (PARLEY_LOG=debug for more).
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("PARLEY_LOG")
                    .unwrap_or_else(|_| "warn".into()),
            )
            .with_test_writer()
            .try_init();
        let listener = tokio::net::TcpListener::bind(bind).await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let url = format!("http://127.0.0.1:{port}");
        let mut config = config(&dir);
        config.public_url = url.clone();
        tweak(&mut config);
        // Starts at the real time (browsers compute countdowns from it) and then moves only
        // when a test advances it.
        let (clock, manual) = Clock::manual(Utc::now());
        let shutdown = Shutdown::default();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let options = parley::Options {
            clock,
            provider,
            ready: Some(ready_tx),
            ..Default::default()
        };
        let handle = tokio::spawn(parley::run_with(
            config,
            listener,
            shutdown.clone(),
            options,
        ));
        let state = tokio::time::timeout(DEADLINE, ready_rx)
            .await
            .expect("server did not start in time")
            .expect("server failed to start");
        TestServer {
            url,
            state,
            clock: manual,
            dir,
            shutdown,
            handle,
        }
    }

    /// Stops gracefully and waits until every write is on disk; returns the data dir.
    pub async fn stop(self) -> Arc<TempDir> {
        self.shutdown.trigger();
        drop(self.state);
        tokio::time::timeout(DEADLINE, self.handle)
            .await
            .expect("server did not stop in time")
            .expect("server task panicked")
            .expect("server failed");
        self.dir
    }

    pub fn advance(&self, secs: i64) {
        self.clock.advance(chrono::Duration::seconds(secs));
    }

    /// Moves the clock on to the next `hour`:00 UTC, so a test of whole days never runs
    /// across midnight whenever it runs.
    pub fn advance_to_hour(&self, hour: u32) {
        let now = self.clock.now();
        let mut at = now
            .date_naive()
            .and_hms_opt(hour, 0, 0)
            .expect("an hour of the day")
            .and_utc();
        if at <= now {
            at += chrono::Duration::days(1);
        }
        self.clock.advance(at - now);
    }

    /// Moves the clock forward to `at` (RFC 3339), e.g. to a known time of day.
    pub fn advance_to(&self, at: &str) {
        let at = chrono::DateTime::parse_from_rfc3339(at)
            .expect("time")
            .with_timezone(&Utc);
        let by = at - self.clock.now();
        assert!(
            by >= chrono::Duration::zero(),
            "the clock only moves forward"
        );
        self.clock.advance(by);
    }

    pub async fn add_user(&self, username: &str, role: Role) -> User {
        parley::bootstrap::add_user(&self.state.store, username, username, role, PASSWORD)
            .await
            .expect("add user")
    }

    /// An agent assigned to `queues` (capacity from the config unless given).
    pub async fn add_agent(
        &self,
        username: &str,
        queues: &[QueueId],
        capacity: Option<u32>,
    ) -> User {
        self.add_agent_as(username, Role::Agent, queues, capacity)
            .await
    }

    /// A user of `role` who also takes workitems from `queues`.
    pub async fn add_agent_as(
        &self,
        username: &str,
        role: Role,
        queues: &[QueueId],
        capacity: Option<u32>,
    ) -> User {
        let user = self.add_user(username, role).await;
        let settings = AgentSettings {
            queues: queues.to_vec(),
            capacity,
            ..Default::default()
        };
        let s = settings.clone();
        let id = user.id;
        self.state
            .store
            .write(move |txn| parley::store::put_agent_settings(txn, id, &s))
            .await
            .expect("settings");
        self.state.acd.configure(user.id, settings);
        user
    }

    pub async fn default_queue(&self) -> QueueId {
        parley::bootstrap::ensure_default_queue(&self.state.store)
            .await
            .expect("queue")
    }

    /// A browser-like client with a cookie jar, logged in as `username`.
    pub async fn login(&self, username: &str) -> Client {
        match self.try_login(username, PASSWORD).await {
            Ok(client) => client,
            Err((status, _)) => panic!("login failed: {status}"),
        }
    }

    /// Logs in with `password`: the client, or the refusal's status and page.
    pub async fn try_login(&self, username: &str, password: &str) -> Result<Client, (u16, String)> {
        let client = Client::anonymous(&self.url);
        let page = client.get("/login").await;
        assert_eq!(page.status(), 200);
        let csrf = hidden_csrf(&page.text().await.unwrap());
        let res = client
            .http
            .post(format!("{}/login", self.url))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("username", username),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        if !res.status().is_redirection() {
            return Err((res.status().as_u16(), res.text().await.unwrap()));
        }
        Ok(client.with_session_csrf().await)
    }

    /// Posts a Twilio inbound webhook, signed with the configured token.
    pub async fn twilio_sms(&self, sid: &str, from: &str, body: &str) -> reqwest::Response {
        self.twilio_sms_to(sid, from, OUR_NUMBER, body).await
    }

    /// The same, to one of our other numbers.
    pub async fn twilio_sms_to(
        &self,
        sid: &str,
        from: &str,
        to: &str,
        body: &str,
    ) -> reqwest::Response {
        let res = self.twilio_sms_answered(sid, from, to, body).await;
        // Acknowledged once durable; stored and routed a moment later.
        self.state.inbound.routed().await.expect("inbound routed");
        res
    }

    /// The same, returning as soon as Parley answers (once the message is in its log),
    /// before it is stored and routed.
    pub async fn twilio_sms_answered(
        &self,
        sid: &str,
        from: &str,
        to: &str,
        body: &str,
    ) -> reqwest::Response {
        let params = vec![
            ("MessageSid".to_owned(), sid.to_owned()),
            ("AccountSid".to_owned(), "AC123".to_owned()),
            ("From".to_owned(), from.to_owned()),
            ("To".to_owned(), to.to_owned()),
            ("Body".to_owned(), body.to_owned()),
        ];
        self.signed_post("/webhooks/twilio/sms", &params, None)
            .await
    }

    /// Posts a Twilio delivery report (`delivered`, `undelivered`, …) for the message the
    /// provider knows as `sid`, signed with the configured token.
    pub async fn twilio_status(&self, sid: &str, status: &str) -> reqwest::Response {
        let params = vec![
            ("MessageSid".to_owned(), sid.to_owned()),
            ("MessageStatus".to_owned(), status.to_owned()),
        ];
        self.signed_post("/webhooks/twilio/status", &params, None)
            .await
    }

    /// Posts form `params` to `path` with a signature made with `token` (default: the right one).
    pub async fn signed_post(
        &self,
        path: &str,
        params: &[(String, String)],
        token: Option<&str>,
    ) -> reqwest::Response {
        let url = format!("{}{path}", self.url);
        let sig = parley::sms::twilio::signature(token.unwrap_or(TWILIO_TOKEN), &url, params);
        reqwest::Client::new()
            .post(&url)
            .header("X-Twilio-Signature", sig)
            .form(params)
            .send()
            .await
            .unwrap()
    }
}
