//! The only part of the bench that looks inside the search module: the same queries run
//! straight on the index (`SearchIndex::search_raw`: tantivy's query and the hits' stored
//! fields, no HTTP, no auth, no snippets), so the overhead of our layers shows as a ratio.

use std::time::{Duration, Instant};

use parley::domain::{CampaignId, ContactId, Direction, QueueId, UserId};
use parley::search::{SearchIndex, SearchRequest};

use super::queries::{PER_PAGE, Query};
use crate::common::Res;

/// Times each query once on the index, in order; returns the latencies and hit totals.
pub fn run(search: &SearchIndex, queries: &[Query]) -> Res<Vec<(Duration, usize)>> {
    let requests: Vec<SearchRequest> = queries.iter().map(request).collect();
    // Warm the same caches the HTTP pass warmed.
    for r in requests.iter().take(200) {
        search.search_raw(r)?;
    }
    let mut out = Vec::with_capacity(requests.len());
    for r in &requests {
        let t = Instant::now();
        let page = search.search_raw(r)?;
        out.push((t.elapsed(), page.total));
    }
    Ok(out)
}

/// Documents the index serves now.
pub fn num_docs(search: &SearchIndex) -> u64 {
    search.num_docs()
}

fn request(q: &Query) -> SearchRequest {
    let f = &q.filter;
    SearchRequest {
        text: q.text.clone(),
        contact: f.contact.map(ContactId),
        from: f.from,
        to: f.to,
        queue: f.queue.map(QueueId),
        campaign: f.campaign.map(CampaignId),
        agent: f.agent.map(UserId),
        direction: f.direction.map(|d| {
            if d == "in" {
                Direction::In
            } else {
                Direction::Out
            }
        }),
        limit: PER_PAGE,
        ..SearchRequest::default()
    }
}
