//! The growth bench's tables, in the README's form.

use super::*;

/// Prints the run's tables: the demo and its streams, then each history point, its backup
/// under load and its backup at a steady rate.
pub(super) fn print(
    started: f64,
    demo_idle: u64,
    streams: usize,
    parley_each: f64,
    bare_each: f64,
    points: &[Point],
) {
    let demo_ok = demo_idle < 40_000_000;
    let streams_ok = parley_each <= 26.0 * 1024.0;
    println!();
    println!("| measure | result | baseline (same run) | target |");
    println!("|---|---|---|---|");
    println!(
        "| a fresh demo, idle | **{:.1} MB** resident (served {started:.2} s after start) | — | < 40 MB: {} |",
        demo_idle as f64 / 1e6,
        verdict(demo_ok)
    );
    println!(
        "| memory per open `/api/events` stream, {} streams | **{:.1} KiB** ({} per 256 MiB) | a bare axum SSE stream: {:.1} KiB ({:.1}×) | ≤ 26 KiB: {} |",
        streams,
        parley_each / 1024.0,
        thousands((256u64 << 20) as f64 / parley_each),
        bare_each / 1024.0,
        parley_each / bare_each.max(1.0),
        verdict(streams_ok)
    );
    if let Some(zero) = points.first() {
        println!();
        println!(
            "| messages in the store | cold start to `/healthz` (3 runs; after the webhooks) | resident 10 s after start (after the webhooks; the store's page cache then) | webhooks | ÷ at {} |",
            zero.messages
        );
        println!("|---|---|---|---|---|");
        for p in points {
            let again = &p.restart;
            let slowest = p.cold_starts.iter().copied().fold(again.start, f64::max);
            let most = p.idle.max(again.rss);
            println!(
                "| {} | {} s; {:.2} s (slowest {slowest:.2} s: {}) | {:.1} MB; {:.1} MB ({:.1} MB; {}) | {} msg/s | {:.2} |",
                thousands(p.messages as f64),
                p.cold_starts
                    .iter()
                    .map(|c| format!("{c:.2}"))
                    .collect::<Vec<_>>()
                    .join(" / "),
                again.start,
                verdict(slowest < 1.0),
                p.idle as f64 / 1e6,
                again.rss as f64 / 1e6,
                again.page_cache as f64 / 1e6,
                verdict(most < 60_000_000),
                thousands(p.ingest.per_second()),
                p.ingest.per_second() / zero.ingest.per_second().max(1.0),
            );
        }
        if let Some(last) = points.last() {
            println!(
                "webhooks at {} messages ÷ at {}: {:.2} (target ≥ 0.70: {})",
                thousands(last.messages as f64),
                zero.messages,
                last.ingest.per_second() / zero.ingest.per_second().max(1.0),
                verdict(last.ingest.per_second() >= 0.7 * zero.ingest.per_second())
            );
        }
        println!();
        println!(
            "| messages in the store | a start after a crash under load (webhooks answered before the kill) | start to `/healthz` | resident 10 s after start | the index caught up, s after the start (checked from 10 s on) | resident 5 s later (the store's page cache) |"
        );
        println!("|---|---|---|---|---|---|");
        for p in points {
            let c = &p.after_crash;
            println!(
                "| {} | {} | {:.2} s (< 1 s: {}) | {:.1} MB | {:.1} s | {:.1} MB ({:.1} MB; < 60 MB: {}) |",
                thousands(p.messages as f64),
                thousands(c.answered as f64),
                c.start,
                verdict(c.start < 1.0),
                c.rss as f64 / 1e6,
                c.caught_up,
                c.caught_up_memory[0] as f64 / 1e6,
                c.page_cache as f64 / 1e6,
                verdict(c.caught_up_memory[0] < 60_000_000),
            );
        }
        let backups: Vec<_> = points
            .iter()
            .filter_map(|p| Some((p, p.backup.as_ref()?)))
            .collect();
        if !backups.is_empty() {
            println!();
            println!(
                "| messages in the store | `parley backup` under load | server memory before → highest → after | webhooks meanwhile (÷ just before, without) | slowest webhook meanwhile (without) | longest pause with no webhook answered (without) | pauses of 10 / 25 / 50 ms or more a minute (without) |"
            );
            println!("|---|---|---|---|---|---|---|");
        }
        for (p, (b, without)) in backups {
            println!(
                "| {} | {:.1} s, {:.0} MB | {:.1} → {:.1} → {:.1} MB | {} msg/s ({:.2}) | {} ({}) | {} ({}) | {} ({}) |",
                thousands(p.messages as f64),
                b.seconds,
                b.bytes as f64 / 1e6,
                b.rss[0] as f64 / 1e6,
                b.rss[1] as f64 / 1e6,
                b.rss[2] as f64 / 1e6,
                thousands(b.webhooks.per_second()),
                b.webhooks.per_second() / without.per_second().max(1.0),
                ms(b.webhooks.slowest),
                ms(without.slowest),
                ms(b.webhooks.longest_pause),
                ms(without.longest_pause),
                b.webhooks.pauses(),
                without.pauses(),
            );
        }
        let steady: Vec<_> = points
            .iter()
            .filter_map(|p| Some((p, p.steady.as_ref()?)))
            .collect();
        if !steady.is_empty() {
            println!();
            println!(
                "| messages in the store | `parley backup` at {} webhooks/s | answers from their due time meanwhile, p99 / p99.9 / slowest (just before, without a backup) | log syncs over 10 ms meanwhile (without) | webhooks answered a second meanwhile (without) |",
                thousands(STEADY_RATE)
            );
            println!("|---|---|---|---|---|");
        }
        for (p, (with, without)) in steady {
            println!(
                "| {} | {:.1} s | {} ({}) | {} of {} ({} of {}) | {} ({}) |",
                thousands(p.messages as f64),
                with.seconds,
                with.webhooks.answers(),
                without.answers(),
                with.webhooks.log_syncs.over(0.01),
                with.webhooks.log_syncs.all,
                without.log_syncs.over(0.01),
                without.log_syncs.all,
                thousands(with.webhooks.per_second()),
                thousands(without.per_second()),
            );
        }
    }
}
