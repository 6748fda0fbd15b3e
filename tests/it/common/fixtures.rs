//! Set-ups several tests share: campaigns, numbers, the demo, wrap-up codes, agents on duty.

use chrono::{DateTime, Duration};
use parley::domain::{E164, EventKind, UserId, WorkitemId};
use parley::store::{self, InboundSms, Ingested};

use super::*;

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

impl TestServer {
    /// A finished conversation from the past: `customer`'s text at `at`, the agent's reply a
    /// minute later, ended after five minutes. Returns the workitem.
    pub async fn past_conversation(
        &self,
        customer: &str,
        agent: UserId,
        at: DateTime<Utc>,
        question: &str,
        answer: &str,
    ) -> WorkitemId {
        let sms = InboundSms {
            provider: "simulator",
            provider_id: None,
            from: E164::parse(customer).unwrap(),
            to: E164::parse(OUR_NUMBER).unwrap(),
            body: question.to_owned(),
            received_at: at,
        };
        let answer = answer.to_owned();
        self.state
            .store
            .write(move |txn| {
                let Ingested::Stored { workitem, .. } = store::ingest_inbound(txn, &sms)? else {
                    panic!("a new message");
                };
                let id = workitem.id;
                store::route_step(txn, id, at, EventKind::Accepted { agent })?;
                store::insert_past_reply(txn, id, agent, &answer, at + Duration::minutes(1))?;
                store::route_step(
                    txn,
                    id,
                    at + Duration::minutes(5),
                    EventKind::Terminated {
                        agent: Some(agent),
                        wrap_up: None,
                    },
                )?;
                Ok(id)
            })
            .await
            .unwrap()
    }
}
