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

pub fn hidden_csrf(html: &str) -> String {
    let at = html
        .find("name=\"_csrf\" value=\"")
        .expect("csrf field in page");
    let rest = &html[at + "name=\"_csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

impl Client {
    pub fn anonymous(base: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
            csrf: String::new(),
        }
    }

    /// The same client with its session's CSRF token (after a login or a new session).
    pub async fn with_session_csrf(self) -> Client {
        let me: Value = self.get("/api/me").await.json().await.unwrap();
        Client {
            csrf: me["csrf"].as_str().unwrap().to_owned(),
            ..self
        }
    }

    /// A browser-like client whose connections come from `local` (on Linux any 127.x.y.z can
    /// reach the server on 127.0.0.1), holding the login page's pre-login CSRF token.
    pub async fn visitor_from(base: &str, local: std::net::IpAddr) -> Client {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .local_address(local)
            .build()
            .unwrap();
        let page = http.get(format!("{base}/login")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        Client {
            csrf: hidden_csrf(&page.text().await.unwrap()),
            http,
            base: base.to_owned(),
        }
    }

    /// Posts the login form (with the pre-login token from [`Client::visitor_from`]); the raw
    /// answer: 303 on success.
    pub async fn try_login(&self, username: &str, password: &str) -> reqwest::Response {
        self.try_login_forwarded(username, password, None).await
    }

    /// The same, with an `X-Forwarded-For` header as a proxy would add.
    pub async fn try_login_forwarded(
        &self,
        username: &str,
        password: &str,
        forwarded_for: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.http.post(format!("{}/login", self.base)).form(&[
            ("_csrf", self.csrf.as_str()),
            ("username", username),
            ("password", password),
        ]);
        if let Some(f) = forwarded_for {
            req = req.header("X-Forwarded-For", f);
        }
        req.send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// A JSON POST with the CSRF header, as the workspace script sends it.
    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A POST with the CSRF header and no body at all (no content type either).
    pub async fn post_bare(&self, path: &str) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .send()
            .await
            .unwrap()
    }

    /// Posts an HTML form as a page does, with the session's `_csrf` field unless `csrf` is
    /// false; (status, body, Location).
    pub async fn form_post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        csrf: bool,
    ) -> (u16, String, String) {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if csrf {
            all.push(("_csrf", self.csrf.as_str()));
        }
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .form(&all)
            .send()
            .await
            .unwrap();
        let location = location(&res);
        (res.status().as_u16(), res.text().await.unwrap(), location)
    }

    pub async fn post_ok(&self, path: &str, body: Value) -> Value {
        let res = self.post(path, body).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "POST {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Posts a form from inside a workspace tab, as the workspace script does (CSRF header).
    pub async fn tab_post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Accepts the next offer on `events`; its workitem id.
    pub async fn accept_next(&self, events: &mut Events) -> u64 {
        let id = events.offer().await;
        self.post_ok(
            &format!("/api/workitems/{id}/accept"),
            serde_json::json!({}),
        )
        .await;
        id
    }

    pub async fn available(&self) {
        self.post_ok(
            "/api/presence",
            serde_json::json!({"presence": "available"}),
        )
        .await;
    }

    /// Opens the agent's live stream; returns once its `sync` arrived.
    pub async fn events(&self) -> Events {
        let res = self.get("/api/events").await;
        assert_eq!(res.status(), 200, "event stream refused");
        let mut events = Events::from_response(res);
        events.next_named("sync").await;
        events
    }
}

type ByteStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// A parsed SSE stream.
pub struct Events {
    stream: ByteStream,
    buf: String,
}

impl Events {
    pub fn from_response(res: reqwest::Response) -> Events {
        Events {
            stream: Box::pin(res.bytes_stream()),
            buf: String::new(),
        }
    }

    /// The next event (name, data), or panics after the deadline.
    pub async fn next(&mut self) -> (String, Value) {
        tokio::time::timeout(DEADLINE, self.next_inner())
            .await
            .expect("no event before the deadline")
    }

    /// The next event, or None if nothing comes within `within`.
    pub async fn try_next(&mut self, within: Duration) -> Option<(String, Value)> {
        tokio::time::timeout(within, self.next_inner()).await.ok()
    }

    async fn next_inner(&mut self) -> (String, Value) {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut name = "message".to_owned();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // keep-alive comment
                }
                return (name, serde_json::from_str(&data).unwrap());
            }
            let chunk = self
                .stream
                .next()
                .await
                .expect("event stream ended")
                .expect("event stream failed");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Waits until the server ends the stream, skipping whatever comes before; panics if it is
    /// still open after `within`.
    pub async fn assert_ends_within(&mut self, within: Duration, why: &str) {
        let end = async {
            while let Some(chunk) = self.stream.next().await {
                if chunk.is_err() {
                    break;
                }
            }
        };
        assert!(
            tokio::time::timeout(within, end).await.is_ok(),
            "the event stream stayed open after {why}"
        );
    }

    /// Skips events until one named `name` arrives.
    pub async fn next_named(&mut self, name: &str) -> Value {
        loop {
            let (n, data) = self.next().await;
            if n == name {
                return data;
            }
        }
    }

    /// The next offer's workitem id.
    pub async fn offer(&mut self) -> u64 {
        self.next_named("offer").await["workitem"]["id"]
            .as_u64()
            .unwrap()
    }
}

/// One message a [`FakeProvider`] was asked to send.
#[derive(Clone, Debug)]
pub struct Sent {
    pub message: u64,
    pub from: String,
    pub to: String,
    pub body: String,
    /// The server's (manual) clock when the provider was called.
    pub at: chrono::DateTime<Utc>,
}

/// A provider that records every call; `answers` (consumed first to last) decide the first
/// calls' outcomes, later calls succeed. Calls itself "twilio" so status webhooks find its ids.
pub struct FakeProvider {
    pub sent: std::sync::Mutex<Vec<Sent>>,
    pub answers: std::sync::Mutex<std::collections::VecDeque<parley::sms::SendError>>,
    pub clock: std::sync::OnceLock<Arc<ManualClock>>,
}

impl FakeProvider {
    pub fn new(failures: Vec<parley::sms::SendError>) -> Arc<FakeProvider> {
        Arc::new(FakeProvider {
            sent: Default::default(),
            answers: std::sync::Mutex::new(failures.into()),
            clock: Default::default(),
        })
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    /// Waits until `n` calls were made (or fails at the deadline).
    pub async fn wait_calls(&self, n: usize) -> Vec<Sent> {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let sent = self.sent();
            if sent.len() >= n {
                return sent;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "provider called {} times, expected {n}: {sent:?}",
                sent.len()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl parley::sms::Provider for FakeProvider {
    fn name(&self) -> &'static str {
        "twilio"
    }

    fn send<'a>(
        &'a self,
        sms: &'a parley::sms::OutboundSms,
    ) -> futures_util::future::BoxFuture<'a, Result<parley::sms::SendReceipt, parley::sms::SendError>>
    {
        Box::pin(async move {
            let at = self.clock.get().map_or_else(Utc::now, |c| c.now());
            let mut sent = self.sent.lock().unwrap();
            sent.push(Sent {
                message: sms.message.0,
                from: sms.from.to_string(),
                to: sms.to.to_string(),
                body: sms.body.clone(),
                at,
            });
            let n = sent.len();
            drop(sent);
            match self.answers.lock().unwrap().pop_front() {
                Some(e) => Err(e),
                None => Ok(parley::sms::SendReceipt {
                    provider_id: format!("SMfake{n}"),
                    status: parley::domain::DeliveryStatus::Sent,
                }),
            }
        })
    }
}

impl TestServer {
    /// Boots with a [`FakeProvider`] that reads the server's clock.
    pub async fn start_faked(
        failures: Vec<parley::sms::SendError>,
    ) -> (TestServer, Arc<FakeProvider>) {
        Self::start_faked_with(failures, |_| {}).await
    }

    /// The same, with the config adjusted by `tweak`.
    pub async fn start_faked_with(
        failures: Vec<parley::sms::SendError>,
        tweak: impl FnOnce(&mut Config),
    ) -> (TestServer, Arc<FakeProvider>) {
        let fake = FakeProvider::new(failures);
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let server = Self::start_with(dir, tweak, Some(fake.clone())).await;
        let _ = fake.clock.set(server.clock.clone());
        (server, fake)
    }
}

impl TestServer {
    /// Stores a campaign called `name` of `kind` on `number`, serving `queue`, with the
    /// defaults of a new campaign changed by `tweak`; its id.
    pub async fn campaign(
        &self,
        name: &str,
        kind: parley::domain::CampaignKind,
        queue: QueueId,
        number: &str,
        tweak: impl FnOnce(&mut parley::domain::Campaign) + Send + 'static,
    ) -> parley::domain::CampaignId {
        let mut c = parley::domain::Campaign::new(parley::domain::CampaignId(0), name, kind, queue);
        c.numbers = vec![parley::domain::E164::parse(number).expect("number")];
        tweak(&mut c);
        self.state
            .store
            .write(move |txn| match parley::store::save_campaign(txn, c)? {
                parley::store::NewCampaign::Created(c) => Ok(c.id),
                parley::store::NewCampaign::NumberTaken(n) => panic!("{n} taken"),
            })
            .await
            .expect("campaign")
    }
}

impl TestServer {
    /// Gives [`OUR_NUMBER`] to an inbound campaign serving `queue` that sends through the
    /// server's default provider (the simulator), so the simulator may text it.
    pub async fn simulator_number(&self, queue: QueueId) -> parley::domain::CampaignId {
        self.campaign(
            "Support line",
            parley::domain::CampaignKind::Inbound,
            queue,
            OUR_NUMBER,
            |_| {},
        )
        .await
    }
}

impl TestServer {
    /// Boots on a data dir filled as `parley --demo` fills it (users, campaigns, contacts,
    /// history, the predictive campaign), every demo login's password set to [`PASSWORD`].
    pub async fn start_demo() -> TestServer {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let (store, writer) = open_store_at(dir.path());
        let logins = parley::bootstrap::first_run(&store, true)
            .await
            .expect("demo data");
        for login in &logins {
            parley::bootstrap::set_password(&store, &login.username, PASSWORD)
                .await
                .expect("demo password");
        }
        close_store(store, writer).await;
        Self::start_in(dir, |_| {}).await
    }
}

impl TestServer {
    /// An outbound "Follow-ups" campaign on [`FOLLOW_UPS`] serving `queue`, sending at any
    /// hour through the server's default provider (the simulator).
    pub async fn follow_ups_number(&self, queue: QueueId) -> parley::domain::CampaignId {
        self.campaign(
            "Follow-ups",
            parley::domain::CampaignKind::Outbound,
            queue,
            FOLLOW_UPS,
            |c| c.quiet_hours = None,
        )
        .await
    }

    /// An inbound "Real customers" campaign on [`TWILIO_NUMBER`] serving `queue` that sends
    /// through Twilio, so the simulator may not use it.
    pub async fn twilio_number(&self, queue: QueueId) -> parley::domain::CampaignId {
        self.campaign(
            "Real customers",
            parley::domain::CampaignKind::Inbound,
            queue,
            TWILIO_NUMBER,
            |c| c.provider = Some("twilio".into()),
        )
        .await
    }
}

/// Opens the store of the data dir `dir` directly, as the CLI does (no server running).
pub fn open_store_at(dir: &std::path::Path) -> (parley::store::Store, std::thread::JoinHandle<()>) {
    let config = parley::config::Config {
        data_dir: dir.to_owned(),
        ..Default::default()
    };
    parley::open_store(&config).unwrap()
}

/// Closes a store opened with [`open_store_at`], once every write is on disk.
pub async fn close_store(store: parley::store::Store, writer: std::thread::JoinHandle<()>) {
    drop(store);
    tokio::task::spawn_blocking(move || writer.join().unwrap())
        .await
        .unwrap();
}

/// The real binary on the data dir `data_dir` (quiet logs), to run a command or the server.
pub fn parley_binary(data_dir: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_parley"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env("PARLEY_LOG", "warn");
    cmd
}

/// Runs a command of the binary to completion with `stdin` as its input; its output.
pub fn parley_command(
    data_dir: &std::path::Path,
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = parley_binary(data_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// A response's `Location` header, or "" without one.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

impl TestServer {
    /// Gives `queue` these wrap-up codes (and whether one is required), as the admin page
    /// stores them.
    pub async fn set_wrap_up(&self, queue: QueueId, codes: &[&str], required: bool) {
        let wrap_up = parley::domain::WrapUp {
            codes: codes.iter().map(|c| (*c).to_owned()).collect(),
            required,
        };
        let q = self
            .state
            .store
            .read(move |txn| parley::store::queue(txn, queue))
            .await
            .expect("read queue")
            .expect("queue");
        self.state
            .store
            .write(move |txn| {
                let (p, t, s) = (q.priority, q.offer_timeout_secs, q.sla_secs);
                parley::store::save_queue(txn, Some(queue), &q.name, p, t, s, wrap_up)
            })
            .await
            .expect("wrap-up codes");
    }

    /// Sets the away reasons agents pick from.
    pub async fn set_away_reasons(&self, reasons: &[&str], allow_other: bool) {
        let reasons = parley::domain::AwayReasons {
            reasons: reasons.iter().map(|r| (*r).to_owned()).collect(),
            allow_other,
        };
        self.state
            .store
            .write(move |txn| parley::store::put_away_reasons(txn, &reasons))
            .await
            .expect("away reasons");
    }

    /// A new agent of `queue`, logged in with their stream open and Available.
    pub async fn agent_on_duty(&self, username: &str, queue: QueueId) -> (Client, Events) {
        self.add_agent(username, &[queue], None).await;
        let client = self.login(username).await;
        let events = client.events().await;
        client.available().await;
        (client, events)
    }

    /// A server whose site time zone is `zone` and whose sessions outlive the days a test
    /// moves the clock over, with Sam the supervisor.
    pub async fn start_in_zone(zone: &str) -> TestServer {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let zone = zone.to_owned();
        let server = TestServer::start_in(dir, move |c| {
            c.site_time_zone = zone;
            c.auth.session_idle_minutes = 60 * 24 * 365 * 10;
            c.auth.session_max_hours = 24 * 365 * 10;
        })
        .await;
        server.add_user("sam", Role::Supervisor).await;
        server
    }

    /// A workitem as stored now.
    pub async fn stored_workitem(&self, id: u64) -> parley::domain::Workitem {
        let id = parley::domain::WorkitemId(id);
        self.state
            .store
            .read(move |txn| parley::store::workitem(txn, id))
            .await
            .expect("read workitem")
            .expect("workitem")
    }

    /// A workitem's messages as stored now, oldest first.
    pub async fn stored_messages(&self, id: u64) -> Vec<parley::domain::Message> {
        let id = parley::domain::WorkitemId(id);
        self.state
            .store
            .read(move |txn| parley::store::messages_of(txn, id))
            .await
            .expect("read messages")
    }

    /// The provider ids of every stored message (what a provider acknowledged).
    pub async fn stored_provider_ids(&self) -> std::collections::HashSet<String> {
        use redb::ReadableTable as _;
        self.state
            .store
            .read(|txn| {
                let mut ids = std::collections::HashSet::new();
                for row in txn.open_table(parley::store::MESSAGES)?.iter()? {
                    let (_, v) = row?;
                    let m: parley::domain::Message = parley::store::decode("messages", v.value())?;
                    ids.extend(m.provider_id);
                }
                Ok(ids)
            })
            .await
            .expect("read messages")
    }

    /// `customer` texts `body` to our number and `agent` (Available, with `events` open)
    /// accepts it: the workitem's id.
    pub async fn accepted_text(
        &self,
        agent: &Client,
        events: &mut Events,
        customer: &str,
        body: &str,
    ) -> u64 {
        let sid = format!("SM{}{}", customer.trim_start_matches('+'), body.len());
        assert_eq!(self.twilio_sms(&sid, customer, body).await.status(), 200);
        agent.accept_next(events).await
    }
}
