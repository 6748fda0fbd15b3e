//! Exactly-once sending across a crash, with the real binary and a stand-in for Twilio's API:
//! SIGKILL while the provider holds one message of a batch, restart, and count what the
//! provider received. Sent messages are not sent again, waiting ones are sent once, and the one
//! in flight is recorded as interrupted instead of risking a second copy.

use std::sync::{Arc, Mutex};

use parley::domain::{CampaignKind, DeliveryStatus, E164, UserId};
use parley::store::{InboundSms, Ingested};
use tokio::sync::mpsc;

use crate::common::*;
use crate::crash::{start_binary_with, stop_gracefully};

const BATCH: usize = 10;
/// The provider never answers this call (1-based) of the first run.
const HANG_ON: usize = 4;

/// Stores one conversation with `BATCH` replies waiting in the outbox, on a number whose
/// campaign allows a high rate; returns the replies' ids in order.
async fn prepare(dir: &std::path::Path) -> Vec<u64> {
    {
        let (store, writer) = open_store_at(dir);
        let queue = parley::bootstrap::ensure_default_queue(&store)
            .await
            .unwrap();
        let ids = store
            .write(move |txn| {
                let parley::store::NewCampaign::Created(mut c) = parley::store::insert_campaign(
                    txn,
                    "Fast",
                    CampaignKind::Inbound,
                    queue,
                    vec![E164::parse(OUR_NUMBER).unwrap()],
                )?
                else {
                    panic!("number taken");
                };
                c.send_rate = 500.0;
                parley::store::save_campaign(txn, c)?;
                let sms = InboundSms {
                    provider: "twilio",
                    provider_id: Some("SMin".into()),
                    from: E164::parse("+14155550142").unwrap(),
                    to: E164::parse(OUR_NUMBER).unwrap(),
                    body: "hello".into(),
                    received_at: chrono::Utc::now(),
                };
                let Ingested::Stored { workitem, .. } = parley::store::ingest_inbound(txn, &sms)?
                else {
                    panic!("duplicate");
                };
                let mut ids = Vec::new();
                for i in 0..BATCH {
                    let m = parley::store::insert_outbound(
                        txn,
                        workitem.id,
                        UserId(1),
                        &format!("reply {i}"),
                        chrono::Utc::now(),
                    )?;
                    ids.push(m.id.0);
                }
                Ok(ids)
            })
            .await
            .unwrap();
        close_store(store, writer).await;
        ids
    }
}

/// A stand-in for Twilio's Messages API that records each body and never answers one call,
/// so the binary can be killed while that message is in flight.
pub struct HangingTwilio {
    pub bodies: Arc<Mutex<Vec<String>>>,
    hang: Arc<Mutex<Option<usize>>>,
    in_flight: mpsc::UnboundedReceiver<String>,
    url: String,
}

impl HangingTwilio {
    /// Holds the `hang_on`th call (counting from 1).
    pub async fn start(hang_on: usize) -> HangingTwilio {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let hang = Arc::new(Mutex::new(Some(hang_on)));
        let (tx, in_flight) = mpsc::unbounded_channel();
        let url = fake_api(bodies.clone(), hang.clone(), tx).await;
        HangingTwilio {
            bodies,
            hang,
            in_flight,
            url,
        }
    }

    /// The environment that points Parley's binary at it.
    pub fn env(&self) -> [(&'static str, &str); 3] {
        [
            ("PARLEY_SMS__PROVIDER", "twilio"),
            ("PARLEY_SMS__TWILIO__ACCOUNT_SID", "AC123"),
            ("PARLEY_SMS__TWILIO__API_BASE", self.url.as_str()),
        ]
    }

    /// The body of the held message, once it arrived.
    pub async fn held(&mut self) -> String {
        tokio::time::timeout(DEADLINE, self.in_flight.recv())
            .await
            .expect("the provider was never called with the message to hang on")
            .unwrap()
    }

    /// Answers every later call.
    pub fn release(&self) {
        *self.hang.lock().unwrap() = None;
    }
}

/// Records each body; while `hang` is set, the call with that number never answers and is
/// reported on `in_flight`.
async fn fake_api(
    bodies: Arc<Mutex<Vec<String>>>,
    hang: Arc<Mutex<Option<usize>>>,
    in_flight: mpsc::UnboundedSender<String>,
) -> String {
    use axum::extract::Form;
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/2010-04-01/Accounts/{sid}/Messages.json",
        post(move |Form(form): Form<Vec<(String, String)>>| {
            let body = form
                .iter()
                .find(|(k, _)| k == "Body")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let n = {
                let mut all = bodies.lock().unwrap();
                all.push(body.clone());
                all.len()
            };
            let hangs = *hang.lock().unwrap() == Some(n);
            let in_flight = in_flight.clone();
            async move {
                if hangs {
                    let _ = in_flight.send(body);
                    std::future::pending::<()>().await;
                }
                (
                    axum::http::StatusCode::CREATED,
                    format!("{{\"sid\":\"SMout{n}\",\"status\":\"queued\"}}"),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

pub async fn wait_for(bodies: &Arc<Mutex<Vec<String>>>, n: usize) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while bodies.lock().unwrap().len() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "provider got {:?}, expected {n} calls",
            bodies.lock().unwrap()
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_sent_exactly_once_across_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let ids = prepare(dir.path()).await;
    let mut twilio = HangingTwilio::start(HANG_ON).await;
    let bodies = twilio.bodies.clone();

    let (mut child, _) = start_binary_with(dir.path(), &twilio.env());
    assert_eq!(twilio.held().await, format!("reply {}", HANG_ON - 1));
    child.kill().unwrap();
    child.wait().unwrap();

    twilio.release();
    let (child, _) = start_binary_with(dir.path(), &twilio.env());
    // Sends go in id order, so the last reply arriving means every earlier one was decided.
    wait_for(&bodies, BATCH).await;
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while bodies.lock().unwrap().last().map(String::as_str) != Some("reply 9") {
        assert!(tokio::time::Instant::now() < deadline, "reply 9 never sent");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // Not a SIGKILL here: the provider has reply 9, but Parley may not have recorded it yet;
    // a graceful stop lets it finish.
    tokio::task::spawn_blocking(move || stop_gracefully(child))
        .await
        .unwrap();

    let got = bodies.lock().unwrap().clone();
    let expected: Vec<String> = (0..BATCH).map(|i| format!("reply {i}")).collect();
    assert_eq!(
        got, expected,
        "each reply reached the provider exactly once"
    );

    // The store agrees: the interrupted one failed with the reason, the others were sent.
    let (store, writer) = open_store_at(dir.path());
    for (i, id) in ids.iter().enumerate() {
        let id = parley::domain::MessageId(*id);
        let m = store
            .read(move |txn| parley::store::message(txn, id))
            .await
            .unwrap()
            .unwrap();
        if i == HANG_ON - 1 {
            assert_eq!(m.status, DeliveryStatus::Failed);
            assert_eq!(m.error.as_deref(), Some(parley::store::INTERRUPTED));
        } else {
            assert_eq!(m.status, DeliveryStatus::Sent, "reply {i}: {m:?}");
        }
    }
    close_store(store, writer).await;
}
