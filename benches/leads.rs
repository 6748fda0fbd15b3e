//! Lead import benchmark: a 100,000-row CSV list (10 % of rows refused for a bad phone, an
//! unknown zone or a duplicate) read, checked and stored into a predictive campaign through
//! the functions `parley import leads` calls, on a fresh data dir. Prints the times.
//!
//! `cargo bench --bench leads` (PARLEY_BENCH=quick: 20,000 rows).

use std::fmt::Write as _;
use std::time::Instant;

use parley::campaigns::leads;
use parley::domain::{Campaign, CampaignId, CampaignKind};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn list(rows: usize) -> String {
    let zones = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", ""];
    let mut csv = String::from("phone,first_name,last_name,time_zone,channel,plan\n");
    for i in 0..rows {
        let phone = match i % 20 {
            7 => "12345".to_owned(),                     // bad phone
            13 => format!("+1415{}", 2_000_000 + i - 1), // duplicate of the row before
            _ => format!("+1415{}", 2_000_000 + i),
        };
        let zone = if i % 20 == 17 {
            "Mars/Base"
        } else {
            zones[i % 4]
        };
        let _ = writeln!(csv, "{phone},First{i},Last{i},{zone},sms,plan{}", i % 3);
    }
    csv
}

fn main() -> Res<()> {
    let rows = match std::env::var("PARLEY_BENCH").as_deref() {
        Ok("quick") => 20_000,
        _ => 100_000,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let dir = tempfile::tempdir()?;
        let config = parley::config::Config {
            data_dir: dir.path().to_owned(),
            ..Default::default()
        };
        let (store, writer) = parley::open_store(&config)?;
        let queue = parley::bootstrap::ensure_default_queue(&store).await?;
        store
            .write(move |txn| {
                let c = Campaign::new(CampaignId(0), "Bench", CampaignKind::Predictive, queue);
                parley::store::save_campaign(txn, c).map(|_| ())
            })
            .await?;
        let csv = list(rows);
        println!("Lead import: {rows} rows, {:.1} MB", csv.len() as f64 / 1e6);
        let started = Instant::now();
        let parsed = leads::parse(csv.as_bytes(), &[])?;
        let parse_s = started.elapsed().as_secs_f64();
        let campaign = leads::predictive_campaign(&store, "Bench").await?;
        let stored = Instant::now();
        let report =
            leads::store_rows(&store, campaign, parsed, chrono::Utc::now(), |_, _| {}).await?;
        let store_s = stored.elapsed().as_secs_f64();
        let total = started.elapsed().as_secs_f64();
        println!(
            "read and checked in {parse_s:.2} s; stored {} leads (and their contacts) in {store_s:.2} s; \
             {} rows refused; {total:.2} s in all ({:.0} rows/s)",
            report.added,
            report.errors.len(),
            rows as f64 / total
        );
        drop(store);
        writer.join().ok();
        Ok(())
    })
}
