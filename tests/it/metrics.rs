//! `/metrics`: read as a scraper reads it, with a Prometheus text-format parser (a grammar
//! that refuses what Prometheus would refuse), after real traffic; and who may read it.

use std::net::IpAddr;
use std::sync::Arc;

use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{
    HistogramValue, MetricsExposition, PrometheusType, PrometheusValue, Sample,
};
use parley::sms::SendError;
use serde_json::json;

use crate::common::*;

const SCRAPE_TOKEN: &str = "scrape-token-0123456789";

/// A parsed scrape.
struct Scraped(MetricsExposition<PrometheusType, PrometheusValue>);

impl Scraped {
    fn parse(text: &str) -> Scraped {
        let parsed = parse_prometheus(text)
            .unwrap_or_else(|e| panic!("not the Prometheus text format: {e:?}\n{text}"));
        let scraped = Scraped(parsed);
        scraped.check_histograms();
        scraped
    }

    /// The sample of `family` whose labels are exactly `labels`.
    fn sample(&self, family: &str, labels: &[(&str, &str)]) -> &Sample<PrometheusValue> {
        let f = self
            .0
            .families
            .get(family)
            .unwrap_or_else(|| panic!("no family {family}"));
        f.iter_samples()
            .find(|s| {
                let set = s.get_labelset().expect("labels");
                set.iter().count() == labels.len()
                    && labels
                        .iter()
                        .all(|(k, v)| set.get_label_value(k) == Some(*v))
            })
            .unwrap_or_else(|| panic!("no {family} sample with {labels:?}"))
    }

    /// A counter's or a gauge's value.
    fn value(&self, family: &str, labels: &[(&str, &str)]) -> f64 {
        match &self.sample(family, labels).value {
            PrometheusValue::Counter(c) => c.value.as_f64(),
            PrometheusValue::Gauge(g) => g.as_f64(),
            other => panic!("{family} is not a counter or gauge: {other:?}"),
        }
    }

    fn histogram(&self, family: &str, labels: &[(&str, &str)]) -> &HistogramValue {
        match &self.sample(family, labels).value {
            PrometheusValue::Histogram(h) => h,
            other => panic!("{family} is not a histogram: {other:?}"),
        }
    }

    /// Observations of a histogram at or under `bound` seconds.
    fn at_most(&self, family: &str, labels: &[(&str, &str)], bound: f64) -> f64 {
        self.histogram(family, labels)
            .buckets
            .iter()
            .find(|b| b.upper_bound == bound)
            .unwrap_or_else(|| panic!("{family} has no bucket {bound}"))
            .count
            .as_f64()
    }

    /// Every histogram is well formed: cumulative buckets ending in `+Inf`, which equals its
    /// count.
    fn check_histograms(&self) {
        for (name, family) in &self.0.families {
            for s in family.iter_samples() {
                let PrometheusValue::Histogram(h) = &s.value else {
                    continue;
                };
                let counts: Vec<f64> = h.buckets.iter().map(|b| b.count.as_f64()).collect();
                assert!(
                    counts.windows(2).all(|w| w[0] <= w[1]),
                    "{name}: buckets not cumulative {counts:?}"
                );
                let last = h.buckets.last().expect("buckets");
                assert!(last.upper_bound.is_infinite(), "{name}: no +Inf bucket");
                assert_eq!(
                    Some(last.count.as_f64() as u64),
                    h.count,
                    "{name}: +Inf is not the count"
                );
            }
        }
    }
}

/// `GET /metrics` from `local`, sent through a proxy saying `forwarded_for` when given,
/// with `token` as the bearer when given.
async fn get_metrics(
    server: &TestServer,
    local: &str,
    forwarded_for: Option<&str>,
    token: Option<&str>,
) -> reqwest::Response {
    let http = reqwest::Client::builder()
        .local_address(local.parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    let mut req = http.get(format!("{}/metrics", server.url));
    if let Some(f) = forwarded_for {
        req = req.header("X-Forwarded-For", f);
    }
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    req.send().await.unwrap()
}

async fn scrape(server: &TestServer) -> Scraped {
    let res = get_metrics(server, "127.0.0.1", None, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    Scraped::parse(&res.text().await.unwrap())
}

/// Scrapes until `ready` holds (or fails at the deadline): some counts move after the
/// request that caused them has been answered.
async fn scrape_until(
    server: &TestServer,
    what: &str,
    ready: impl Fn(&Scraped) -> bool,
) -> Scraped {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let scraped = scrape(server).await;
        if ready(&scraped) {
            return scraped;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "metrics never showed {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn enabled(c: &mut parley::config::Config) {
    c.metrics.enabled = true;
}

#[tokio::test]
async fn metrics_count_the_traffic_a_scraper_then_reads() {
    let transient = || SendError::Transient("provider busy".into());
    let (server, fake) =
        TestServer::start_faked_with(vec![transient(), transient()], enabled).await;
    let queue = server.default_queue().await;
    let (alice, mut events) = server.agent_on_duty("alice", queue).await;
    let before = scrape(&server).await;
    assert_eq!(
        before.value("parley_agents", &[("state", "available")]),
        1.0
    );
    assert_eq!(
        before.value("parley_event_streams", &[("kind", "workspace")]),
        1.0
    );

    // A customer writes; Alice answers the offer three seconds later.
    let res = server.twilio_sms("SM1", "+14155550123", "hello").await;
    assert_eq!(res.status(), 200);
    let w = events.offer().await;
    server.advance(3);
    alice
        .post_ok(&format!("/api/workitems/{w}/accept"), json!({}))
        .await;
    // A forged webhook.
    let forged = [
        ("MessageSid".to_owned(), "SM666".to_owned()),
        ("From".to_owned(), "+14155550166".to_owned()),
        ("To".to_owned(), OUR_NUMBER.to_owned()),
        ("Body".to_owned(), "let me in".to_owned()),
    ];
    let res = server
        .signed_post("/webhooks/twilio/sms", &forged, Some("not-the-token"))
        .await;
    assert_eq!(res.status(), 403);

    // Her reply meets a busy provider twice: it waits in the outbox meanwhile.
    alice
        .post_ok(
            &format!("/api/workitems/{w}/messages"),
            json!({"body": "Hi, how can I help?"}),
        )
        .await;
    fake.wait_calls(1).await;
    scrape_until(&server, "the first retry", |s| {
        s.value("parley_outbound_sends_total", &[("status", "retrying")]) == 1.0
    })
    .await;
    server.advance(1);
    fake.wait_calls(2).await;
    let waiting = scrape_until(&server, "the second retry", |s| {
        s.value("parley_outbound_sends_total", &[("status", "retrying")]) == 2.0
    })
    .await;
    assert_eq!(waiting.value("parley_outbox_backlog", &[]), 1.0);
    // Stored one (manual) second before this scrape.
    assert_eq!(waiting.value("parley_outbox_oldest_age_seconds", &[]), 1.0);

    // Alice steps away; the next customer waits in the queue.
    alice
        .post_ok(
            "/api/presence",
            json!({"presence": "away", "reason": "lunch"}),
        )
        .await;
    let res = server.twilio_sms("SM2", "+14155550124", "anyone?").await;
    assert_eq!(res.status(), 200);
    server.advance(2);
    fake.wait_calls(3).await;
    let sent = scrape_until(&server, "the send", |s| {
        s.value("parley_outbound_sends_total", &[("status", "sent")]) == 1.0
            && s.value("parley_outbox_backlog", &[]) == 0.0
    })
    .await;
    assert_eq!(sent.value("parley_outbox_oldest_age_seconds", &[]), 0.0);
    let res = server.twilio_status("SMfake3", "delivered").await;
    assert_eq!(res.status(), 200);
    let res = Client::anonymous(&server.url).get("/no/such/page").await;
    assert_eq!(res.status(), 404);
    drop(events);

    let s = scrape_until(
        &server,
        "the closed stream, the index and a checkpoint",
        |s| {
            s.value("parley_event_streams", &[("kind", "workspace")]) == 0.0
                && s.value("parley_search_index_lag", &[]) == 0.0
                && s.histogram("parley_store_checkpoint_seconds", &[]).count > Some(0)
        },
    )
    .await;
    let received = |outcome| s.value("parley_inbound_received_total", &[("outcome", outcome)]);
    assert_eq!(received("stored"), 2.0);
    assert_eq!(received("duplicate"), 0.0);
    assert_eq!(received("held"), 0.0);
    let refused = |reason| s.value("parley_inbound_refused_total", &[("reason", reason)]);
    assert_eq!(refused("signature"), 1.0);
    assert_eq!(refused("invalid"), 0.0);
    assert_eq!(
        s.value("parley_outbound_reports_total", &[("status", "delivered")]),
        1.0
    );
    assert_eq!(
        s.value("parley_outbound_sends_total", &[("status", "failed")]),
        0.0
    );

    assert_eq!(s.value("parley_offers_made_total", &[]), 1.0);
    let offers = |outcome| s.value("parley_offers_total", &[("outcome", outcome)]);
    assert_eq!(offers("accepted"), 1.0);
    assert_eq!(
        offers("rejected") + offers("timed_out") + offers("withdrawn"),
        0.0
    );
    let accepted = [("outcome", "accepted")];
    let latency = s.histogram("parley_offer_latency_seconds", &accepted);
    assert_eq!(latency.count, Some(1));
    assert_eq!(latency.sum.as_ref().map(|v| v.as_f64()), Some(3.0));
    assert_eq!(
        s.at_most("parley_offer_latency_seconds", &accepted, 2.0),
        0.0
    );
    assert_eq!(
        s.at_most("parley_offer_latency_seconds", &accepted, 5.0),
        1.0
    );

    let queue_id = queue.0.to_string();
    assert_eq!(
        s.value(
            "parley_queue_depth",
            &[("queue_id", queue_id.as_str()), ("queue", "Support")]
        ),
        1.0
    );
    assert_eq!(s.value("parley_agents", &[("state", "away")]), 1.0);
    assert_eq!(s.value("parley_agents", &[("state", "available")]), 0.0);

    // Every inbound message and routing step went through the log.
    let syncs = s.histogram("parley_store_log_sync_seconds", &[]);
    assert!(syncs.count >= Some(2), "{syncs:?}");
    assert!(syncs.sum.as_ref().is_some_and(|v| v.as_f64() > 0.0));

    // The store read and wrote pages through its cache, which holds some of them still.
    let cached = s.value("parley_store_page_cache_bytes", &[]);
    assert!(cached > 0.0 && cached <= (64 << 20) as f64, "{cached}");
    let reads = |result| s.value("parley_store_page_cache_reads_total", &[("result", result)]);
    assert!(reads("hit") > 0.0, "{}", reads("hit"));
    assert!(s.value("parley_store_page_cache_evictions_total", &[]) >= 0.0);
    if cfg!(target_os = "linux") {
        // This test process is the server's: it holds more than its cache.
        assert!(s.value("process_resident_memory_bytes", &[]) > cached);
    }

    let http = |route, method, status| {
        s.value(
            "parley_http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
    };
    assert_eq!(http("/webhooks/twilio/sms", "POST", "200"), 2.0);
    assert_eq!(http("/webhooks/twilio/sms", "POST", "403"), 1.0);
    assert_eq!(http("/api/workitems/{id}/accept", "POST", "200"), 1.0);
    assert_eq!(http("/webhooks/twilio/status", "POST", "200"), 1.0);
    assert_eq!(http("unmatched", "GET", "404"), 1.0);
    let webhook_times = s.histogram(
        "parley_http_request_duration_seconds",
        &[("route", "/webhooks/twilio/sms")],
    );
    assert_eq!(webhook_times.count, Some(3));
    server.stop().await;
}

#[tokio::test]
async fn metrics_are_off_unless_enabled() {
    let server = TestServer::start().await;
    let res = get_metrics(&server, "127.0.0.1", None, None).await;
    assert_eq!(res.status(), 404);
    // No route at all: not a refusal that would show the endpoint is there.
    let res = reqwest::Client::new()
        .post(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(
        !parley::web::route_list(&server.state)
            .iter()
            .any(|(_, path)| *path == "/metrics")
    );
    server.stop().await;
}

#[tokio::test]
async fn without_a_token_only_this_machine_may_scrape() {
    let server = TestServer::start_in(Arc::new(tempfile::tempdir().unwrap()), |c| {
        enabled(c);
        c.trusted_proxies = "127.0.0.1".parse().unwrap();
    })
    .await;
    assert_eq!(
        get_metrics(&server, "127.0.0.1", None, None).await.status(),
        200
    );
    // Through the trusted proxy, for a client elsewhere.
    let res = get_metrics(&server, "127.0.0.1", Some("203.0.113.9"), None).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("bearer_token"));
    // A peer that is no trusted proxy is the client, whatever it claims.
    let res = get_metrics(&server, "127.0.0.2", Some("203.0.113.9"), None).await;
    assert_eq!(res.status(), 200);
    // Without a configured token, a bearer opens nothing.
    let res = get_metrics(&server, "127.0.0.1", Some("203.0.113.9"), Some("whatever")).await;
    assert_eq!(res.status(), 403);
    server.stop().await;
}

#[tokio::test]
async fn with_a_token_a_scraper_anywhere_must_send_it() {
    let server = TestServer::start_in(Arc::new(tempfile::tempdir().unwrap()), |c| {
        enabled(c);
        c.metrics.bearer_token = SCRAPE_TOKEN.into();
        c.trusted_proxies = "127.0.0.1".parse().unwrap();
    })
    .await;
    for (forwarded, token) in [
        (None, None),
        (None, Some("scrape-token-0123456780")),
        (None, Some("scrape-token-0123456789-and-more")),
        (Some("203.0.113.9"), None),
    ] {
        let res = get_metrics(&server, "127.0.0.1", forwarded, token).await;
        assert_eq!(res.status(), 401, "{forwarded:?} {token:?}");
        assert_eq!(
            res.headers()["www-authenticate"],
            "Bearer realm=\"metrics\""
        );
    }
    // An admin's session is no scrape token either.
    server.add_user("root", parley::domain::Role::Admin).await;
    let root = server.login("root").await;
    assert_eq!(root.get("/metrics").await.status(), 401);

    for forwarded in [None, Some("203.0.113.9")] {
        let res = get_metrics(&server, "127.0.0.1", forwarded, Some(SCRAPE_TOKEN)).await;
        assert_eq!(res.status(), 200, "{forwarded:?}");
        let s = Scraped::parse(&res.text().await.unwrap());
        assert!(
            s.value(
                "parley_http_requests_total",
                &[("route", "/metrics"), ("method", "GET"), ("status", "401"),]
            ) >= 5.0
        );
    }
    server.stop().await;
}
