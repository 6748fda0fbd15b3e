//! `GET /metrics`: Prometheus text format. The route exists only with `metrics.enabled`
//! (otherwise it is an unknown page, 404). With `metrics.bearer_token` set, a scraper anywhere must send it as
//! `Authorization: Bearer <token>` (401 otherwise); without one only loopback clients may
//! scrape (403 for others; the client address is judged as for login throttling, so a
//! forged `X-Forwarded-For` counts only from a trusted proxy).
//!
//! Counts of events come from [`crate::metrics::Metrics`] and the store writer; levels (queue
//! depth, agents by state, outbox backlog, the store's page cache, index lag, resident memory)
//! are read from the ACD, the store, the search index and the system at scrape time.

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::client_addr::ClientAddr;
use crate::acd::Presence;
use crate::config::MetricsConfig;
use crate::metrics::{CONTENT_TYPE, Counter, Exposition, LabelValue, Labelled, NO_LABELS};
use crate::state::AppState;
use crate::store;

/// Who may scrape, decided from the config, the request's `Authorization` header and the
/// client's address.
#[derive(Debug, PartialEq, Eq)]
enum Access {
    Allowed,
    /// A token is configured and the request lacks it or sent another.
    NeedsToken,
    /// No token is configured and the client is not on this machine.
    NotLoopback,
}

fn access(config: &MetricsConfig, headers: &HeaderMap, client: Option<ClientAddr>) -> Access {
    if !config.bearer_token.is_empty() {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        return match sent {
            Some(token) if same_secret(token, &config.bearer_token) => Access::Allowed,
            _ => Access::NeedsToken,
        };
    }
    match client {
        Some(ClientAddr(ip)) if ip.is_loopback() => Access::Allowed,
        _ => Access::NotLoopback,
    }
}

/// Compares digests in constant time, so neither the token's bytes nor its length show in
/// how long a refusal takes.
fn same_secret(sent: &str, expected: &str) -> bool {
    let (a, b) = (Sha256::digest(sent), Sha256::digest(expected));
    a.as_slice().ct_eq(b.as_slice()).into()
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn metrics_get(State(state): State<AppState>, parts: Parts) -> Response {
    let client = ClientAddr::from_parts(&parts, &state.config.trusted_proxies);
    match access(&state.config.metrics, &parts.headers, client) {
        Access::Allowed => {}
        Access::NeedsToken => {
            return (
                StatusCode::UNAUTHORIZED,
                [(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"metrics\""),
                )],
                "Send the metrics token as Authorization: Bearer <token>.",
            )
                .into_response();
        }
        Access::NotLoopback => {
            return (
                StatusCode::FORBIDDEN,
                "Metrics are served only to this machine unless metrics.bearer_token is set.",
            )
                .into_response();
        }
    }
    match scrape(&state).await {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "metrics scrape failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The metrics could not be read.",
            )
                .into_response()
        }
    }
}

/// Everything a scrape shows, in the text format.
async fn scrape(state: &AppState) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let floor = state.acd.floor().await?;
    let (queues, last_seq, (backlog, oldest)) = state
        .store
        .read(|txn| {
            Ok((
                store::all_queues(txn)?,
                store::last_change_seq(txn)?,
                store::outbox_backlog(txn)?,
            ))
        })
        .await?;
    let now = state.clock.now();
    let m = &state.metrics;
    let mut e = Exposition::default();

    counters(
        &mut e,
        "parley_inbound_received_total",
        "Inbound messages handed in by a provider, by what became of them (stored; duplicate: \
         a provider's retry of a stored one; held for admins).",
        "outcome",
        &m.inbound,
    );
    counters(
        &mut e,
        "parley_inbound_refused_total",
        "Inbound message webhooks refused, by reason (signature: missing or wrong; invalid: no \
         MessageSid; not_stored: the store failed).",
        "reason",
        &m.inbound_refused,
    );
    counters(
        &mut e,
        "parley_outbound_sends_total",
        "Outbox send attempts, by outcome (sent: the provider took it; retrying; failed for \
         good; opted_out: not sent).",
        "status",
        &m.outbound_sends,
    );
    counters(
        &mut e,
        "parley_outbound_reports_total",
        "Providers' delivery reports for messages we sent, by the status reported.",
        "status",
        &m.outbound_reports,
    );
    e.counter(
        "parley_offers_made_total",
        "Offers of a workitem made to an agent.",
        [(NO_LABELS, m.offers_made.get())],
    );
    counters(
        &mut e,
        "parley_offers_total",
        "Offers that ended, by outcome (withdrawn: the agent went Away or Offline or closed \
         the workspace).",
        "outcome",
        &m.offers,
    );
    e.histogram(
        "parley_offer_latency_seconds",
        "Time from an offer to its end, by outcome.",
        m.offer_latency
            .iter()
            .map(|(o, h)| ([("outcome", o)], h.snapshot())),
    );

    let mut depth: Vec<(String, &str, usize)> = queues
        .iter()
        .map(|q| {
            let waiting = floor
                .queues
                .iter()
                .find(|f| f.id == q.id)
                .map_or(0, |f| f.waiting);
            (q.id.to_string(), q.name.as_str(), waiting)
        })
        .collect();
    depth.sort();
    e.gauge(
        "parley_queue_depth",
        "Workitems waiting in each queue for an offer.",
        depth
            .iter()
            .map(|(id, name, n)| ([("queue_id", id.as_str()), ("queue", *name)], *n as f64)),
    );

    let count = |p: Presence| floor.agents.iter().filter(|a| a.presence == p).count() as f64;
    e.gauge(
        "parley_agents",
        "Agents routing knows (those assigned to a queue, or seen), by state.",
        [
            ([("state", "available")], count(Presence::Available)),
            ([("state", "away")], count(Presence::Away)),
            ([("state", "offline")], count(Presence::Offline)),
        ],
    );

    e.gauge(
        "parley_outbox_backlog",
        "Outbound messages waiting in the outbox (in flight included).",
        [(NO_LABELS, backlog as f64)],
    );
    let age = oldest.map_or(0.0, |at| {
        (now - at).num_milliseconds().max(0) as f64 / 1000.0
    });
    e.gauge(
        "parley_outbox_oldest_age_seconds",
        "How long the oldest message in the outbox has waited since it was stored (0 when \
         the outbox is empty).",
        [(NO_LABELS, age)],
    );

    let disk = state.store.disk_timings();
    e.histogram(
        "parley_store_log_sync_seconds",
        "Each append to the write-ahead log with its fdatasync (the count is the log syncs).",
        [(NO_LABELS, disk.log_syncs)],
    );
    e.histogram(
        "parley_store_checkpoint_seconds",
        "Each durable commit of the store: checkpoints of the log, and writes that are not \
         logged.",
        [(NO_LABELS, disk.durable_commits)],
    );

    let cache = state.store.page_cache();
    e.gauge(
        "parley_store_page_cache_bytes",
        "Bytes the store's page cache holds: pages read or written since start, up to its \
         fixed size, and kept until others push them out.",
        [(NO_LABELS, cache.bytes as f64)],
    );
    e.counter(
        "parley_store_page_cache_reads_total",
        "Page reads by the store, by whether its page cache held the page.",
        [
            ([("result", "hit")], cache.read_hits),
            ([("result", "miss")], cache.read_misses),
        ],
    );
    e.counter(
        "parley_store_page_cache_evictions_total",
        "Pages the store's page cache let go to make room.",
        [(NO_LABELS, cache.evictions)],
    );
    if let Some(bytes) = crate::allocator::resident("VmRSS") {
        e.gauge(
            "process_resident_memory_bytes",
            "Resident memory of the server process.",
            [(NO_LABELS, bytes as f64)],
        );
    }

    let lag = last_seq.saturating_sub(state.search.indexed_seq());
    e.gauge(
        "parley_search_index_lag",
        "Store changes not yet in the search index (the store's change sequence minus the \
         indexed one).",
        [(NO_LABELS, lag as f64)],
    );

    e.gauge(
        "parley_event_streams",
        "Server-sent event streams open now, by kind.",
        m.streams
            .iter()
            .map(|(k, g)| ([("kind", k)], g.get() as f64)),
    );

    let counts = m.http.counts();
    let statuses: Vec<String> = counts.iter().map(|c| c.status.to_string()).collect();
    e.counter(
        "parley_http_requests_total",
        "HTTP requests answered, by route template (unmatched: no route), method and status.",
        counts.iter().zip(&statuses).map(|(c, status)| {
            (
                [
                    ("route", c.route.as_str()),
                    ("method", c.method),
                    ("status", status.as_str()),
                ],
                c.count,
            )
        }),
    );
    let latencies = m.http.latencies();
    e.histogram(
        "parley_http_request_duration_seconds",
        "Time to answer an HTTP request (to its response headers), by route template.",
        latencies
            .iter()
            .map(|(route, h)| ([("route", route.as_str())], h.clone())),
    );
    Ok(e.finish())
}

fn counters<L: LabelValue>(
    e: &mut Exposition,
    name: &str,
    help: &str,
    label: &'static str,
    family: &Labelled<L, Counter>,
) {
    e.counter(
        name,
        help,
        family.iter().map(|(v, c)| ([(label, v)], c.get())),
    );
}
