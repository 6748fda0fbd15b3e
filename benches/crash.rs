//! The crash-point benchmark: `cargo bench --bench crash` (`PARLEY_BENCH=quick` for a
//! tenth; `--points N`, or `--trials N` for a fixed number of trials).
//!
//! Runs the store's crash trials (`parley::store::crash_trials`: a store on a simulated disk
//! that fails a write or a sync, or loses power, at a random call under a mix of acknowledged
//! acts, then is opened again and checked), one series per core, until 100,000 faults have
//! happened (a fault aimed past a trial's last call does not count), and reports the trials
//! run and how fast. Any trial that finds an acknowledged act missing or doubled, or an act
//! half-applied, fails the run with its seed, which reproduces it (`--from SEED --trials 1`).

use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Seeds apart between two threads' series when counting crash points: more than any run uses.
const SERIES_STRIDE: u64 = 1 << 40;

/// What a run goes on until.
#[derive(Clone, Copy)]
enum Goal {
    /// This many faults happened, over all threads.
    Points(u64),
    /// This many trials ran, over all threads.
    Trials(u64),
}

fn main() -> Res<()> {
    let quick = std::env::var("PARLEY_BENCH").is_ok_and(|v| v == "quick");
    let mut goal = Goal::Points(if quick { 10_000 } else { 100_000 });
    let mut from: u64 = 0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--points" => goal = Goal::Points(args.next().ok_or("--points N")?.parse()?),
            "--trials" => goal = Goal::Trials(args.next().ok_or("--trials N")?.parse()?),
            "--from" => from = args.next().ok_or("--from SEED")?.parse()?,
            // `cargo bench` passes --bench.
            _ => {}
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    match goal {
        Goal::Points(n) => {
            println!("Parley crash trials until {n} faults, from seed {from}, {threads} threads")
        }
        Goal::Trials(n) => println!("Parley crash trials: {n} from seed {from}, {threads} threads"),
    }
    let started = Instant::now();
    let series: Vec<_> = (0..threads)
        .map(|t| {
            // Each thread's share of the goal, and its own seeds.
            let (start, trials_cap, points) = match goal {
                Goal::Points(n) => (from + t * SERIES_STRIDE, u64::MAX, n.div_ceil(threads)),
                Goal::Trials(n) => {
                    let per = n.div_ceil(threads);
                    let start = from + t * per;
                    (start, per.min((from + n).saturating_sub(start)), u64::MAX)
                }
            };
            std::thread::spawn(move || -> Result<(u64, u64), String> {
                // In chunks, to show progress.
                let (mut trials, mut fired) = (0u64, 0u64);
                while trials < trials_cap && fired < points {
                    // At most one fault a trial: never more trials than faults still wanted.
                    let chunk = 1_000.min(trials_cap - trials).min(points - fired);
                    fired +=
                        parley::store::crash_trials::run(start + trials..start + trials + chunk)?;
                    trials += chunk;
                    if trials % 5_000 == 0 || trials == trials_cap || fired >= points {
                        println!("  thread {t}: {trials} trials, {fired} faults");
                    }
                }
                Ok((trials, fired))
            })
        })
        .collect();
    let (mut trials, mut fired) = (0, 0);
    for s in series {
        let (t, f) = s.join().map_err(|_| "a trial series panicked")??;
        trials += t;
        fired += f;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{trials} crash trials in {secs:.0} s ({:.0} trials/s): every acknowledged act present exactly once after each; \
         the fault happened in {fired} ({:.1} %): {fired} crash points",
        trials as f64 / secs,
        fired as f64 * 100.0 / trials as f64
    );
    Ok(())
}
