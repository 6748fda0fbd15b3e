//! Predictive campaign benchmark: `cargo bench --bench predictive`.
//!
//! The real server runs in-process (`parley::run_with`, system clock, temp data dir) with a
//! provider that, like the simulator, takes every message at once; it records when it was
//! called, to whom and from which number. One predictive campaign (09:00–20:00 in each lead's
//! own zone) gets 100,000 leads spread over zones chosen at run time: some inside their hours
//! for the whole run, some outside them for the whole run (they must get nothing), and a share
//! that prefers another channel (skipped). Then, in one run:
//! 1. baseline: as many agent messages as the campaign will send, stored with
//!    `store::insert_outbound` at the campaign's pace, go through the same outbox and provider;
//!    process CPU per 1,000 sends. Paced rather than as fast as the outbox drains, because the
//!    CPU a message costs depends on how many share a wake-up and a commit: at the same pace
//!    both phases batch alike, so the difference is what the scheduler adds (loading and
//!    deciding leads, and its transactions storing each lead's workitem, progress and counts);
//! 2. the campaign is started (`store::change_run` + `scheduler.wake()`) and runs until every
//!    lead in an open zone is messaged. Reported: the provider-send rate over every full 60 s
//!    window (tumbling from the first send; also the lowest and highest sliding 60 s window)
//!    as a ratio to the set pace (target ±1 %); sends outside the recipient's hours in its own
//!    zone, sends to closed-zone or other-channel leads, and repeated recipients (all must be
//!    0); process CPU per 1,000 sends, and the scheduler's share: the difference to (1).
//!
//! The lead mix, in every 20 leads: 10 SMS in open zones, 2 SMS with no zone (read in the
//! campaign's, an open one), 5 SMS in closed zones, 3 in open zones preferring email, unknown
//! or none. So 60 % are to be messaged.
//!
//! Environment: `PARLEY_BENCH_PACE` messages per minute, default 12,000 (200/s): the 60,000
//! leads to message take five minutes, four full windows. On the 2-core reference machine the
//! outbox alone drained about 900 messages/s and a campaign about 700/s
//! (`PARLEY_BENCH_PACE=60000`), so the default leaves more than 3× headroom.
//! `PARLEY_BENCH_LEADS`, default 100,000. Exit code 1 when a send breaks a rule or the
//! campaign does not finish in time; the pace is reported as PASS/MISS only.
//!
//! Parts, in `benches/predictive/`: `server.rs` (the recording provider, CPU readings; the
//! server boots through `benches/common`), `leads.rs` (zones, the lead mix, storing), `phases.rs` (baseline, campaign),
//! `checks.rs` (windows, rule breaches), `report.rs` (the table).

use std::sync::Arc;
use std::time::Duration;

use parley::domain::SendingHours;

mod common;
use common::{Machine, Res, boot_with, say, thousands, writer_thread_stat};
#[path = "predictive/checks.rs"]
mod checks;
#[path = "predictive/leads.rs"]
mod leads;
#[path = "predictive/phases.rs"]
mod phases;
#[path = "predictive/report.rs"]
mod report;
#[path = "predictive/server.rs"]
mod server;

use checks::{breaches, windows};
use leads::{Kind, pick_zones, plan_leads, setup_campaign};
use phases::{baseline, run_campaign};
use report::{Mix, Report, describe_mix};
use server::RecordingProvider;

const DEFAULT_PACE: f64 = 12_000.0;
const DEFAULT_LEADS: usize = 100_000;

fn main() -> std::process::ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "warn,parley::search=error",
        ))
        .with_writer(std::io::stderr)
        .try_init();
    let outcome = tokio::runtime::Runtime::new()
        .map_err(Into::into)
        .and_then(|rt| rt.block_on(run()));
    match outcome {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("\npredictive bench FAILED: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn env_number(name: &str, default: f64) -> Res<f64> {
    match std::env::var(name) {
        Ok(v) => Ok(v
            .replace(['_', ','], "")
            .parse::<f64>()
            .map_err(|e| format!("{name}: {e}"))?),
        Err(_) => Ok(default),
    }
}

async fn run() -> Res<bool> {
    let pace = env_number("PARLEY_BENCH_PACE", DEFAULT_PACE)?;
    let leads = env_number("PARLEY_BENCH_LEADS", DEFAULT_LEADS as f64)?;
    if !(1.0..=1e6).contains(&pace) || !(20.0..=7e6).contains(&leads) {
        return Err(
            "PARLEY_BENCH_PACE must be 1–1,000,000 a minute, PARLEY_BENCH_LEADS 20–7,000,000"
                .into(),
        );
    }
    let hours = SendingHours::parse("09:00", "20:00")?;
    // The zones must keep their side through storing, the baseline and the campaign (each
    // about `minutes`), twice over.
    let minutes = leads * 0.6 / pace;
    let horizon = Duration::from_secs_f64((2.0 * minutes + 10.0) * 2.0 * 60.0);
    let zones = pick_zones(&hours, horizon)?;
    let plan = plan_leads(leads as usize, &zones)?;
    let count = |kinds: &[Kind]| plan.iter().filter(|p| kinds.contains(&p.kind)).count();
    let mix = Mix {
        leads: plan.len(),
        to_message: count(&[Kind::Open, Kind::CampaignZone]),
        campaign_zone: count(&[Kind::CampaignZone]),
        closed: count(&[Kind::Closed]),
        other_channel: count(&[Kind::OtherChannel]),
    };
    let temp = tempfile::Builder::new()
        .prefix("parley-predictive-")
        .tempdir()?;
    let machine = Machine::probe(temp.path());
    let mix_line = describe_mix(&mix, &zones);
    say(&format!(
        "Parley predictive bench: {} CPUs, data dir in {}\n{mix_line}",
        machine.cpus,
        temp.path().display()
    ));

    let provider = Arc::new(RecordingProvider::default());
    let server = boot_with(&temp.path().join("data"), Some(provider.clone())).await?;
    let state = server.state.clone();
    let writer_stat = writer_thread_stat();
    say(&format!(
        "storing {} leads ...",
        thousands(mix.leads as f64)
    ));
    let (campaign, stored_in) = setup_campaign(&state, &plan, &zones, pace, hours).await?;
    say(&format!("    in {:.1} s", stored_in.as_secs_f64()));

    say(&format!(
        "(1) baseline: {} agent messages through the outbox at {}/min ...",
        thousands(mix.to_message as f64),
        thousands(pace)
    ));
    let (base, base_calls) = baseline(
        &state,
        &provider,
        mix.to_message,
        pace,
        writer_stat.as_deref(),
    )
    .await?;
    let base_windows = windows(&base_calls);
    say(&format!("    done in {:.0} s", base.wall.as_secs_f64()));

    say(&format!("(2) the campaign at {}/min ...", thousands(pace)));
    let limit = Duration::from_secs_f64(mix.to_message as f64 / pace * 60.0 * 2.0 + 300.0);
    let run = run_campaign(
        &state,
        &provider,
        campaign,
        mix.to_message,
        mix.other_channel,
        limit,
        writer_stat.as_deref(),
    )
    .await?;
    drop(state);
    server.stop().await?;

    let w = windows(&run.calls);
    let b = breaches(&run.calls, &plan, &hours);
    let first_send = run
        .calls
        .iter()
        .map(|c| c.at)
        .min()
        .map(|t| t - run.started);
    let report = Report {
        pace,
        machine: &machine,
        mix_line: &mix_line,
        mix: &mix,
        stored_in,
        base: &base,
        base_windows: &base_windows,
        run: &run,
        windows: &w,
        breaches: &b,
        first_send,
    };
    println!("\n{}", report.render());
    let ok = run.finished && b.total() == 0 && run.stray == 0;
    if !ok {
        eprintln!("RULE CHECK FAILED: see the table above");
    }
    Ok(ok)
}
