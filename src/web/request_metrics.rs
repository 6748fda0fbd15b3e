//! Counts every request by its route template, method and status, with its latency, for
//! `/metrics`. Layered around each route (and the fallback), so the router has already
//! matched: the route is the template (`/api/workitems/{id}`), never the raw path, and a
//! request no route matched counts as `unmatched`. Only layered when metrics are enabled.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::Metrics;

pub async fn record(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    // A shared string underneath: cloning it does not copy the path.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = method_label(req.method());
    let res = next.run(req).await;
    // A stream's time is to its first byte: its headers, not its whole life.
    metrics.http.record(
        route.as_ref().map(MatchedPath::as_str),
        method,
        res.status().as_u16(),
        started.elapsed(),
    );
    res
}

/// The method as a label: the standard ones by name, anything else as `other`, so a client
/// cannot add series by inventing methods.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
