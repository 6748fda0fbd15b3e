//! The report: every figure with its target and baseline.

use super::*;

pub(crate) fn us(d: Duration) -> String {
    format!("{:.2} µs", d.as_secs_f64() * 1e6)
}

pub(crate) fn report(
    settings: &Settings,
    machine: &Machine,
    fsync: &Fsync,
    micro: &Micro,
    b: &Throughput,
    store_only: &StoreOnly,
    c: &Latency,
) -> String {
    let floor = &c.floor;
    let mut r = String::new();
    let reference = fsync.reference();
    let ratio = b.rate / reference;
    let _ = writeln!(r, "## Load benchmark\n");
    let _ = writeln!(r, "Command: `{}`\n", settings.command);
    let _ = writeln!(
        r,
        "Machine: {} CPUs ({}), Linux {}; data dir and fsync file on {} ({}, mounted at {}, {}).\n",
        machine.cpus,
        machine.cpu_model,
        machine.kernel,
        machine.device,
        machine.fs_type,
        machine.mount_point,
        machine.mount_options,
    );
    let _ = writeln!(r, "| Measure | Result | Target | |");
    let _ = writeln!(r, "|---|---|---|---|");
    let _ = writeln!(
        r,
        "| (a) fsync rate: 4 KiB write + fdatasync, same disk | {}/s (append {}/s, overwrite {}/s) | — | |",
        thousands(reference),
        thousands(fsync.append),
        thousands(fsync.overwrite),
    );
    let _ = writeln!(
        r,
        "| (b) durable signed inbound webhooks ({} in flight) | {} msg/s | ≥ 10,000 msg/s | {} |",
        settings.concurrency,
        thousands(b.rate),
        verdict(b.rate >= 10_000.0),
    );
    let _ = writeln!(
        r,
        "| (b) ÷ (a) | {ratio:.1}× | ≥ 2× | {} |",
        verdict(ratio >= 2.0)
    );
    let _ = writeln!(
        r,
        "| (c) webhook POST → SSE offer, p50 at {} msg/s | {} | — | |",
        c.rate,
        ms(c.p50)
    );
    let _ = writeln!(r, "| (c) p95 | {} | — | |", ms(c.p95));
    let _ = writeln!(
        r,
        "| (c) p99 | {} | < 10 ms | {} |",
        ms(c.p99),
        verdict(c.p99 < Duration::from_millis(10))
    );
    let _ = writeln!(r, "| (c) max | {} | — | |", ms(c.max));
    let _ = writeln!(
        r,
        "| (c) floor: the disk alone at the same pace, p99 (max) | {} ({}) | — | |",
        ms(floor.latency[2]),
        ms(floor.latency[3])
    );
    let _ = writeln!(
        r,
        "| (c) offers arrived | {} of {} | all | {} |",
        c.offers_arrived,
        c.sent,
        if c.offers_arrived == c.sent {
            "PASS"
        } else {
            "FAIL"
        }
    );

    let _ = writeln!(r, "\nDetails:\n");
    let _ = writeln!(
        r,
        "- (a) {:?} per loop, in the data dir's parent; the larger of the two rates is the reference for the ratio. \
         One write + fdatasync: append p50 {} / p99 {} / max {}; overwrite p50 {} / p99 {} / max {}.",
        settings.fsync,
        ms(fsync.append_latency[0]),
        ms(fsync.append_latency[1]),
        ms(fsync.append_latency[2]),
        ms(fsync.overwrite_latency[0]),
        ms(fsync.overwrite_latency[1]),
        ms(fsync.overwrite_latency[2]),
    );
    let _ = writeln!(
        r,
        "- (b) {} acknowledged in a {:.1} s window after {:?} warm-up; group commit {:.1} writes/commit \
         (~{:.0} messages per durable commit: the inbound task hands each batch in as one write), {:.0} commits/s; \
         process CPU {:.0}% of {}00% (load generator included), store writer thread {}.",
        thousands(b.window_acked as f64),
        b.window.as_secs_f64(),
        settings.warmup,
        b.writes_per_commit,
        b.rate / b.commits_per_sec.max(f64::MIN_POSITIVE),
        b.commits_per_sec,
        b.cpu_percent,
        machine.cpus,
        b.writer_cpu_percent
            .map_or("n/a".to_owned(), |p| format!("{p:.0}% busy")),
    );
    let refused = if b.refused.is_empty() {
        "none".to_owned()
    } else {
        b.refused
            .iter()
            .map(|(k, v)| format!("{v}× HTTP {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        r,
        "- (b) data check: {} sent, {} acknowledged (200), refused: {refused}, I/O errors: {}{}; \
         the store reopened from disk in {} ms holds {} messages ({} provider ids) → {}.",
        thousands(b.sent as f64),
        thousands(b.acked as f64),
        b.io_errors,
        b.first_error
            .as_ref()
            .map_or(String::new(), |e| format!(" (first: {e})")),
        b.reopen.as_millis(),
        thousands(b.stored as f64),
        thousands(b.stored_ids as f64),
        b.data_problem.as_deref().unwrap_or("no message lost"),
    );
    let _ = writeln!(
        r,
        "- (b) search index: {} changes behind when the load stopped; it held all of them {:.1} s \
         later. Counting that time too, the run stored and indexed {} msg/s.",
        thousands(b.index.behind as f64),
        b.index.took.as_secs_f64(),
        thousands(b.acked as f64 / (b.run_time + b.index.took).as_secs_f64()),
    );
    let _ = writeln!(
        r,
        "- HTTP ceiling: GET /healthz through the same client, {} in flight: {} req/s.",
        settings.concurrency,
        thousands(b.health_rate),
    );
    let _ = writeln!(
        r,
        "- Store alone (the webhook's ingest transaction through group commit, no HTTP): {} writers in a closed loop {} msg/s, \
         {:.1} writes/commit, writer thread {}; paced at {} msg/s, one durable write takes p50 {} / p99 {} / max {}.",
        settings.concurrency,
        thousands(store_only.rate),
        store_only.writes_per_commit,
        store_only
            .writer_cpu_percent
            .map_or("n/a".to_owned(), |p| format!("{p:.0}% busy")),
        store_only.paced_rate,
        ms(store_only.paced[0]),
        ms(store_only.paced[1]),
        ms(store_only.paced[2]),
    );
    let _ = writeln!(
        r,
        "- CPU per step (one core): E.164 parse of a number seen before {} (two per webhook), Twilio signature {}; \
         the ACD's scan for its next timer (on every command it handles) {} with {} workitems waiting.",
        us(micro.phone_parse),
        us(micro.signature),
        us(micro.deadline_scan.1),
        thousands(micro.deadline_scan.0 as f64),
    );
    let _ = writeln!(
        r,
        "- (c) open loop, one new customer (→ new workitem) per message, {} agents (capacity {} each, \
         all Available on their SSE stream); {} messages, the first {} ({:?}) are warm-up; \
         latency over the other {}. Sends kept {:.0} msg/s (max schedule lag {}, {} extra connections). \
         Webhook 200 latency p50 {}, p99 {}. {} offer events for {} workitems.",
        c.agents,
        AGENT_CAPACITY,
        c.sent,
        c.warmup_messages,
        settings.latency_warmup,
        c.measured,
        c.achieved_rate,
        ms(c.lag_max),
        c.extra_connections,
        ms(c.ack_p50),
        ms(c.ack_p99),
        c.offer_events,
        c.sent,
    );
    let _ = writeln!(
        r,
        "- (c) the store writer's waits on the disk during (c), warm-up included: {} log appends with fdatasync, \
         {} over {:?} (slowest {}); {} durable commits (checkpoints and the other writes), slowest {}.",
        thousands(c.disk.log_syncs as f64),
        c.disk.slow_log_syncs,
        parley::store::SLOW_SYNC,
        ms(c.disk.slowest_log_sync),
        c.disk.durable_commits,
        ms(c.disk.slowest_durable_commit),
    );
    let _ = writeln!(
        r,
        "- (c) floor, right after (c) on the same disk: {} arrivals/s for {:?}, each answered after the first 4 KiB write + \
         fdatasync that starts at or after it (one thread doing nothing else; ideal group commit): \
         p50 {} / p95 {} / p99 {} / max {}; {} syncs, {} over {:?} (slowest {}). A design that answers only once a \
         message is on disk cannot beat this on this disk at that time.",
        c.rate,
        settings.latency,
        ms(floor.latency[0]),
        ms(floor.latency[1]),
        ms(floor.latency[2]),
        ms(floor.latency[3]),
        thousands(floor.syncs as f64),
        floor.stalls,
        parley::store::SLOW_SYNC,
        ms(floor.slowest_sync),
    );
    if let Some(p) = &c.problem {
        let _ = writeln!(r, "- (c) data check FAILED: {p}");
    }
    r
}
