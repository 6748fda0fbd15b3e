//! The crash-point benchmark: `cargo bench --bench crash` (`PARLEY_BENCH=quick` for a
//! tenth; `--trials N`).
//!
//! Runs the store's crash trials (`parley::store::crash_trials`: a store on a simulated disk
//! that fails a write or a sync, or loses power, at a random call under a mix of acknowledged
//! acts, then is opened again and checked) 100,000 times, one series per core, and reports
//! how many faults happened and how fast trials run. Any trial that finds an acknowledged act
//! missing or doubled, or an act half-applied, fails the run with its seed, which
//! reproduces it (`--from SEED --trials 1`).

use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn main() -> Res<()> {
    let quick = std::env::var("PARLEY_BENCH").is_ok_and(|v| v == "quick");
    let mut trials: u64 = if quick { 10_000 } else { 100_000 };
    let mut from: u64 = 0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--trials" => trials = args.next().ok_or("--trials N")?.parse()?,
            "--from" => from = args.next().ok_or("--from SEED")?.parse()?,
            // `cargo bench` passes --bench.
            _ => {}
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    println!("Parley crash trials: {trials} from seed {from}, {threads} threads");
    let started = Instant::now();
    let per = trials.div_ceil(threads);
    let series: Vec<_> = (0..threads)
        .map(|t| {
            let start = from + t * per;
            let end = (start + per).min(from + trials);
            std::thread::spawn(move || -> Result<u64, String> {
                // In chunks, to show progress.
                let mut fired = 0;
                let mut at = start;
                while at < end {
                    let to = (at + 5_000).min(end);
                    fired += parley::store::crash_trials::run(at..to)?;
                    at = to;
                    println!("  thread {t}: {} of {} trials", at - start, end - start);
                }
                Ok(fired)
            })
        })
        .collect();
    let mut fired = 0;
    for s in series {
        fired += s.join().map_err(|_| "a trial series panicked")??;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{trials} crash trials in {secs:.0} s ({:.0} trials/s): every acknowledged act present exactly once after each; \
         the fault happened in {fired} ({:.1} %)",
        trials as f64 / secs,
        fired as f64 * 100.0 / trials as f64
    );
    Ok(())
}
