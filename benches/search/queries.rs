//! The benchmark's queries: 1-, 2- and 3-word queries and quoted phrases drawn from the
//! generator's vocabulary (deterministic), each without and with filters, as `/api/search`
//! parameters.

use chrono::{DateTime, Duration as Span, Utc};

use super::corpus::{PHRASES, Rng, Vocabulary, Zipf, query_terms};
use super::fill::{HISTORY_DAYS, history_end};

/// The kinds of query reported apart.
pub const CLASSES: [&str; 8] = [
    "1 word",
    "2 words",
    "3 words",
    "phrase",
    "1 word + filter",
    "2 words + filter",
    "3 words + filter",
    "phrase + filter",
];

/// Ids the filters draw from, read from the store after boot.
pub struct Ids {
    pub queues: Vec<u64>,
    pub campaigns: Vec<u64>,
    pub agents: Vec<u64>,
    pub contacts: u64,
}

/// The filters of `/api/search` (all optional).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub contact: Option<u64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub queue: Option<u64>,
    pub campaign: Option<u64>,
    pub agent: Option<u64>,
    /// `"in"` or `"out"`.
    pub direction: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct Query {
    /// Index into [`CLASSES`].
    pub class: usize,
    pub text: String,
    pub filter: Filter,
}

/// Results on one page, as the bench asks.
pub const PER_PAGE: usize = 20;

impl Query {
    /// The request path and query string.
    pub fn path(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("q", &self.text);
        let f = &self.filter;
        let id = |q: &mut form_urlencoded::Serializer<String>, k: &str, v: Option<u64>| {
            if let Some(v) = v {
                q.append_pair(k, &v.to_string());
            }
        };
        id(&mut q, "contact", f.contact);
        id(&mut q, "queue", f.queue);
        id(&mut q, "campaign", f.campaign);
        id(&mut q, "agent", f.agent);
        if let Some(t) = f.from {
            q.append_pair("from", &t.to_rfc3339());
        }
        if let Some(t) = f.to {
            q.append_pair("to", &t.to_rfc3339());
        }
        if let Some(d) = f.direction {
            q.append_pair("direction", d);
        }
        q.append_pair("per_page", &PER_PAGE.to_string());
        format!("/api/search?{}", q.finish())
    }
}

/// `n` queries cycling through the classes, the same for the same seed and ids.
pub fn make(seed: u64, n: usize, ids: &Ids) -> Vec<Query> {
    let vocab = Vocabulary::new();
    let terms = query_terms(&vocab);
    // People search for the common topical words more than the rare ones.
    let rank = Zipf::new(terms.len(), 0.8);
    let mut rng = Rng::new(seed ^ 0x5ea7_c4ed);
    (0..n)
        .map(|i| {
            let class = i % CLASSES.len();
            let text = match class % 4 {
                3 => format!("\"{}\"", rng.pick(PHRASES)),
                words => {
                    let mut picked: Vec<&str> = Vec::new();
                    while picked.len() <= words {
                        let t = terms[rank.sample(&mut rng)].as_str();
                        if !picked.contains(&t) {
                            picked.push(t);
                        }
                    }
                    picked.join(" ")
                }
            };
            let filter = if class >= 4 {
                filter(&mut rng, i / CLASSES.len(), ids)
            } else {
                Filter::default()
            };
            Query {
                class,
                text,
                filter,
            }
        })
        .collect()
}

/// One filter or a common pair, rotating through every kind.
fn filter(rng: &mut Rng, k: usize, ids: &Ids) -> Filter {
    let mut f = Filter::default();
    let window = |rng: &mut Rng, f: &mut Filter, days: i64| {
        let end = history_end() - Span::days(rng.below((HISTORY_DAYS - days) as u64) as i64);
        f.from = Some(end - Span::days(days));
        f.to = Some(end);
    };
    match k % 7 {
        0 => window(rng, &mut f, 30),
        1 => f.direction = Some(if rng.chance(0.5) { "in" } else { "out" }),
        2 => f.queue = Some(*rng.pick(&ids.queues)),
        3 => f.campaign = Some(*rng.pick(&ids.campaigns)),
        4 => f.agent = Some(*rng.pick(&ids.agents)),
        5 => f.contact = Some(1 + rng.below(ids.contacts.max(1))),
        _ => {
            window(rng, &mut f, 90);
            f.direction = Some("in");
        }
    }
    f
}
