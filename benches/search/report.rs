//! The search bench's table: targets as PASS/MISS, like the load bench's.

use std::fmt::Write as _;
use std::time::Duration;

use super::queries::CLASSES;
use crate::common::{Machine, ms, percentile, thousands, verdict};
use crate::{Outcome, Settings};

const P95_TARGET: Duration = Duration::from_millis(20);
const P99_TARGET: Duration = Duration::from_millis(50);
const SEARCHABLE_TARGET: Duration = Duration::from_secs(1);

/// p50, p95, p99 of unsorted samples.
fn spread(mut samples: Vec<Duration>) -> [Duration; 3] {
    samples.sort();
    [
        percentile(&samples, 50.0),
        percentile(&samples, 95.0),
        percentile(&samples, 99.0),
    ]
}

fn ratio(a: Duration, b: Duration) -> String {
    if b.is_zero() {
        "n/a".into()
    } else {
        format!("{:.1}×", a.as_secs_f64() / b.as_secs_f64())
    }
}

pub fn render(settings: &Settings, machine: &Machine, o: &Outcome) -> String {
    let mut r = String::new();
    let _ = writeln!(r, "## Search benchmark\n");
    settings.describe(&mut r);
    let _ = writeln!(
        r,
        "Machine: {} CPUs ({}), Linux {}; data dir on {} ({}, mounted at {}).\n",
        machine.cpus,
        machine.cpu_model,
        machine.kernel,
        machine.device,
        machine.fs_type,
        machine.mount_point,
    );
    let all = spread(o.timed.iter().map(|t| t.latency).collect());
    let _ = writeln!(r, "| Measure | Result | Target | |");
    let _ = writeln!(r, "|---|---|---|---|");
    let _ = writeln!(
        r,
        "| search via HTTP, all {} queries, p50 | {} | — | |",
        o.timed.len(),
        ms(all[0])
    );
    let _ = writeln!(
        r,
        "| search via HTTP, p95 | {} | < 20 ms | {} |",
        ms(all[1]),
        verdict(all[1] < P95_TARGET)
    );
    let _ = writeln!(
        r,
        "| search via HTTP, p99 | {} | < 50 ms | {} |",
        ms(all[2]),
        verdict(all[2] < P99_TARGET)
    );
    let found: Vec<Duration> = o.probes.iter().flatten().copied().collect();
    let missing = o.probes.len() - found.len();
    // A probe never found counts as slower than every found one.
    let mut with_missing = found.clone();
    with_missing.extend(std::iter::repeat_n(Duration::MAX, missing));
    let searchable = spread(with_missing);
    let shown = |d: Duration| {
        if d == Duration::MAX {
            "never (10 s)".to_owned()
        } else {
            ms(d)
        }
    };
    let _ = writeln!(
        r,
        "| webhook 200 → searchable, p50 / p95 | {} / {} | — | |",
        shown(searchable[0]),
        shown(searchable[1])
    );
    let _ = writeln!(
        r,
        "| webhook 200 → searchable, p99 | {} | < 1 s | {} |",
        shown(searchable[2]),
        verdict(searchable[2] < SEARCHABLE_TARGET)
    );
    let per_million = o.index_bytes as f64 / (o.messages as f64 / 1e6);
    let _ = writeln!(
        r,
        "| index size per million messages | {:.0} MiB ({:.0} MiB for {} messages) | — | |",
        per_million / (1024.0 * 1024.0),
        o.index_bytes as f64 / (1024.0 * 1024.0),
        thousands(o.messages as f64),
    );
    match &o.raw {
        Ok(raw) => {
            let rs = spread(raw.iter().map(|x| x.0).collect());
            let _ = writeln!(
                r,
                "| same queries on the index alone (tantivy), p50 / p95 / p99 | {} / {} / {} | — | |",
                ms(rs[0]),
                ms(rs[1]),
                ms(rs[2])
            );
            let _ = writeln!(
                r,
                "| HTTP ÷ tantivy, p50 / p95 / p99 | {} / {} / {} | — | |",
                ratio(all[0], rs[0]),
                ratio(all[1], rs[1]),
                ratio(all[2], rs[2])
            );
        }
        Err(e) => {
            let _ = writeln!(
                r,
                "| same queries on the index alone | not measured: {e} | — | |"
            );
        }
    }

    let _ = writeln!(r, "\nBy kind of query (HTTP; tantivy alone in brackets):\n");
    let _ = writeln!(r, "| Query | n | p50 | p95 | p99 | mean hits |");
    let _ = writeln!(r, "|---|---|---|---|---|---|");
    for (c, name) in CLASSES.iter().enumerate() {
        let idx: Vec<usize> = (0..o.timed.len())
            .filter(|&i| o.timed[i].class == c)
            .collect();
        if idx.is_empty() {
            continue;
        }
        let h = spread(idx.iter().map(|&i| o.timed[i].latency).collect());
        let raw = o
            .raw
            .as_ref()
            .ok()
            .filter(|raw| raw.len() == o.timed.len())
            .map(|raw| spread(idx.iter().map(|&i| raw[i].0).collect()));
        let cell = |k: usize| match &raw {
            Some(raw) => format!("{} ({})", ms(h[k]), ms(raw[k])),
            None => ms(h[k]),
        };
        let hits: u64 = idx.iter().map(|&i| o.timed[i].total).sum();
        let _ = writeln!(
            r,
            "| {name} | {} | {} | {} | {} | {} |",
            idx.len(),
            cell(0),
            cell(1),
            cell(2),
            thousands(hits as f64 / idx.len() as f64)
        );
    }

    let _ = writeln!(r, "\nDetails:\n");
    let _ = writeln!(
        r,
        "- Store: {} messages, {} notes, {} contacts; {} ({:.0} s); copied into the run dir in {:.1} s.",
        thousands(o.messages as f64),
        thousands(o.notes as f64),
        thousands(o.contacts as f64),
        if o.reused {
            "reused from the cache"
        } else {
            "generated in this run"
        },
        o.fill_secs,
        o.copy_secs,
    );
    let _ = writeln!(
        r,
        "- Index rebuilt at start: searchable {:.1} s after boot{}; size measured after the run.",
        o.rebuild.as_secs_f64(),
        o.docs.map_or(String::new(), |d| format!(
            ", {} documents",
            thousands(d as f64)
        )),
    );
    let _ = writeln!(
        r,
        "- Background ingest: {} webhooks in {:.0} s ({:.0}/s), {} answered 200, {} failed{}.",
        thousands(o.ingest_sent as f64),
        o.ingest_secs,
        o.ingest_sent as f64 / o.ingest_secs.max(1e-9),
        thousands(o.ingest_acked as f64),
        o.ingest_failed,
        o.ingest_error
            .as_ref()
            .map_or(String::new(), |e| format!(" (first: {e})")),
    );
    let _ = writeln!(
        r,
        "- Searchable probes: {} webhooks each carrying a unique word, 4 at a time, polled every 5 ms; {} found, {} not within 10 s.",
        o.probes.len(),
        found.len(),
        missing,
    );
    let _ = writeln!(
        r,
        "- `/api/search` against the contract (fields, paging, 400 for an empty query): {}.",
        if o.contract.is_empty() {
            "as specified".to_owned()
        } else {
            o.contract.join("; ")
        }
    );
    let _ = writeln!(
        r,
        "- Latency is request sent → body read (reqwest, keep-alive, {}), relevance order, {} per page.",
        settings.auth(),
        super::queries::PER_PAGE
    );
    r
}
